"""A counter per name: the live updates other clients watch."""

import time

from livebase import mutation, query, v


@mutation(args={"name": v.string()})
async def bump(ctx, name):
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    if doc is None:
        await ctx.db.insert("counters", {"name": name, "value": 1})
        return 1
    await ctx.db.patch(doc["_id"], {"value": doc["value"] + 1})
    return doc["value"] + 1


@mutation(args={"names": v.array(v.string())})
async def bump_all(ctx, names):
    return [await bump(ctx, name) for name in names]


@mutation(args={"name": v.string()})
async def stamp(ctx, name):
    """Set the counter to the time the mutation ran (its frozen clock), for latency figures."""
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    if doc is None:
        await ctx.db.insert("counters", {"name": name, "value": time.time()})
    else:
        await ctx.db.patch(doc["_id"], {"value": time.time()})


@query(args={"name": v.string()})
async def get(ctx, name):
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    return None if doc is None else doc["value"]
