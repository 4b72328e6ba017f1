"""The search bench app's functions: inserts, and a search returning the ten best."""

from livebase import mutation, query, v


@mutation(args={"body": v.string(), "channel": v.string()})
async def insert(ctx, body, channel):
    return await ctx.db.insert("messages", {"body": body, "channel": channel})


@query(args={"text": v.string(), "limit": v.number()})
async def search(ctx, text, limit):
    return await (
        ctx.db.query("messages")
        .with_search_index("search_body", lambda q: q.search("body", text))
        .take(int(limit))
    )
