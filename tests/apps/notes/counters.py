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


@mutation(args={"reads": v.array(v.string()), "writes": v.array(v.string()), "stamp": v.number()})
async def transfer(ctx, reads, writes, stamp):
    """Reads some counters and sets others to ``stamp``; returns what it read (0: missing)."""
    seen = {}
    for name in reads:
        doc = (
            await ctx.db.query("counters")
            .with_index("by_name", lambda q, n=name: q.eq("name", n))
            .unique()
        )
        seen[name] = 0 if doc is None else doc["value"]
    for name in writes:
        doc = (
            await ctx.db.query("counters")
            .with_index("by_name", lambda q, n=name: q.eq("name", n))
            .unique()
        )
        if doc is None:
            await ctx.db.insert("counters", {"name": name, "value": stamp})
        else:
            await ctx.db.patch(doc["_id"], {"value": stamp})
    return seen
