"""Counters: the concurrency test's workload."""

import random
import time

from livebase import mutation, query, v


@mutation(args={"name": v.string()})
async def increment(ctx, name):
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    if doc is None:
        await ctx.db.insert("counters", {"name": name, "value": 1})
        return 1
    await ctx.db.patch(doc["_id"], {"value": doc["value"] + 1})
    return doc["value"] + 1


@query(args={"name": v.string()})
async def get(ctx, name):
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    return None if doc is None else doc["value"]


@query
async def clock(ctx):
    return {"t1": time.time(), "r1": random.random(), "t2": time.time(), "r2": random.random()}
