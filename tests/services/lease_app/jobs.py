"""A slow action, slow mutations, and what the tests read back."""

import asyncio
import time

from livebase import action, internal_mutation, mutation, query, v


@internal_mutation(args={"note": v.string()})
async def record(ctx, note):
    await ctx.db.insert("runs", {"note": note})


@internal_mutation(args={"seconds": v.number()})
async def busy(ctx, seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:  # CPU work on the writer thread, under the time limit
        pass
    await ctx.db.insert("busy", {"at": time.time() * 1000})


@mutation(args={"action_seconds": v.number(), "busy": v.number(), "busy_seconds": v.number()})
async def setup(ctx, action_seconds, busy, busy_seconds):
    """The slow action, due now, then ``busy`` slow mutations due a millisecond later."""
    job = await ctx.scheduler.run_after(0, "jobs:slow", {"seconds": action_seconds})
    for _ in range(int(busy)):
        await ctx.scheduler.run_after(1, "jobs:busy", {"seconds": busy_seconds})
    return job


@mutation(args={"id": v.id("_scheduled_functions")})
async def cancel(ctx, id):
    await ctx.scheduler.cancel(id)


@action(args={"seconds": v.number()})
async def slow(ctx, seconds):
    await ctx.run_mutation("jobs:record", {"note": "started"})
    await asyncio.sleep(seconds)
    await ctx.run_mutation("jobs:record", {"note": "finished"})


@query(args={"id": v.id("_scheduled_functions")})
async def status(ctx, id):
    job = await ctx.db.system.get(id)
    return None if job is None else job["state"]


@query
async def runs(ctx):
    return [r["note"] for r in await ctx.db.query("runs").collect()]


@query
async def busy_times(ctx):
    return [r["at"] for r in await ctx.db.query("busy").collect()]
