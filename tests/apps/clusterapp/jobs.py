"""Many scheduled jobs, a slow action, and the counts the tests check."""

import asyncio
import time

from livebase import action, internal_mutation, mutation, query, v


@internal_mutation(args={"tag": v.string(), "i": v.number(), "note": v.optional(v.string())})
async def record(ctx, tag, i, note=None):
    doc = {"tag": tag, "i": i}
    if note is not None:
        doc["note"] = note
    await ctx.db.insert("runs", doc)


@mutation(args={"tag": v.string(), "n": v.number(), "delay": v.number()})
async def schedule_many(ctx, tag, n, delay):
    for i in range(int(n)):
        await ctx.scheduler.run_after(delay, "jobs:record", {"tag": tag, "i": i})


@mutation(args={"tag": v.string(), "seconds": v.number()})
async def schedule_slow(ctx, tag, seconds):
    return await ctx.scheduler.run_after(0, "jobs:slow", {"tag": tag, "seconds": seconds})


@action(args={"tag": v.string(), "seconds": v.number()})
async def slow(ctx, tag, seconds):
    await ctx.run_mutation("jobs:record", {"tag": tag, "i": 0, "note": "started"})
    await asyncio.sleep(seconds)
    await ctx.run_mutation("jobs:record", {"tag": tag, "i": 0, "note": "finished"})


@query(args={"tag": v.string()})
async def runs(ctx, tag):
    rows = await ctx.db.query("runs").with_index("by_tag", lambda q: q.eq("tag", tag)).collect()
    return [[r["i"], r.get("note")] for r in rows]


@query(args={"id": v.id("_scheduled_functions")})
async def status(ctx, id):
    job = await ctx.db.system.get(id)
    return None if job is None else job["state"]


@internal_mutation
async def tick(ctx):
    await ctx.db.insert("ticks", {"at": time.time() * 1000})


@query
async def ticks(ctx):
    return [t["at"] for t in await ctx.db.query("ticks").collect()]
