"""One mutation writes two tables: an event, and the running count of events."""

from livebase import mutation, v


async def _tick(ctx):
    total = (
        await ctx.db.query("totals")
        .with_index("by_name", lambda q: q.eq("name", "events"))
        .unique()
    )
    count = 1 if total is None else total["count"] + 1
    await ctx.db.insert("events", {"n": count})
    if total is None:
        await ctx.db.insert("totals", {"name": "events", "count": count})
    else:
        await ctx.db.patch(total["_id"], {"count": count})
    return count


@mutation
async def tick(ctx):
    return await _tick(ctx)


@mutation(args={"n": v.number()})
async def tick_many(ctx, n):
    for _ in range(n):
        count = await _tick(ctx)
    return count
