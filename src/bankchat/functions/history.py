"""Query history, with re-run."""

from bankchat.functions._access import MEMBER, allow, current_user
from bankchat.functions._shapes import AskResult
from livebase import ConvexError, action, query, v


@query(args={"limit": v.optional(v.number())}, returns=v.array(v.doc("queryHistory")))
@allow(MEMBER)
async def list_history(ctx, limit=50):
    user = await current_user(ctx)
    rows = ctx.db.query("queryHistory").with_index("by_user", lambda q: q.eq("userId", user["_id"]))
    return await rows.order("desc").take(int(min(max(limit, 1), 500)))


@query(
    args={"paginationOpts": v.pagination_opts()},
    returns=v.pagination_result(v.doc("queryHistory")),
)
@allow(MEMBER)
async def page_history(ctx, paginationOpts):
    """The user's query history, newest first, a page at a time (for usePaginatedQuery)."""
    user = await current_user(ctx)
    rows = ctx.db.query("queryHistory").with_index("by_user", lambda q: q.eq("userId", user["_id"]))
    return await rows.order("desc").paginate(paginationOpts)


@query(args={"historyId": v.id("queryHistory")}, returns=v.doc("queryHistory"))
@allow(MEMBER)
async def get_entry(ctx, historyId):
    user = await current_user(ctx)
    entry = await ctx.db.get(historyId)
    if entry is None or entry["userId"] != user["_id"]:
        raise ConvexError({"code": "not_found", "message": "No such history entry"})
    return entry


@action(args={"historyId": v.id("queryHistory")}, returns=AskResult)
@allow(MEMBER)
async def rerun(ctx, historyId):
    """Run a past query again: its SQL if it had one, else its question."""
    entry = await ctx.run_query("history:get_entry", {"historyId": historyId})
    if entry.get("sql"):
        return await ctx.run_action("chat:run_sql", {"sql": entry["sql"]})
    return await ctx.run_action("chat:ask", {"question": entry["question"]})
