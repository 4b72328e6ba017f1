"""Functions for the scheduler and cron tests (tests/services)."""

import asyncio

from livebase import ConvexError, action, internal_action, internal_mutation, query, v


@internal_mutation(args={"job": v.string(), "note": v.optional(v.string())})
async def record(ctx, job, note=None):
    doc = {"job": job}
    if note is not None:
        doc["note"] = note
    await ctx.db.insert("runs", doc)


@internal_action(args={"job": v.string(), "seconds": v.number(), "fail": v.optional(v.boolean())})
async def slow(ctx, job, seconds, fail=False):
    await ctx.run_mutation("work:record", {"job": job, "note": "started"})
    await asyncio.sleep(seconds)
    if fail:
        raise ConvexError("the slow action failed")
    await ctx.run_mutation("work:record", {"job": job, "note": "finished"})


@action(args={"job": v.string(), "delay": v.number()})
async def schedule_then_fail(ctx, job, delay):
    await ctx.scheduler.run_after(delay, "work:record", {"job": job})
    raise ConvexError("the action failed after scheduling")


@internal_mutation(args={"job": v.string(), "left": v.number()})
async def chain(ctx, job, left):
    """One batch of a chain: each link schedules the next with run_after(0)."""
    await ctx.db.insert("runs", {"job": job})
    if left > 0:
        await ctx.scheduler.run_after(0, "work:chain", {"job": job, "left": left - 1})


@query(args={"job": v.string()})
async def runs(ctx, job):
    rows = ctx.db.query("runs").with_index("by_job", lambda q: q.eq("job", job))
    return [r.get("note") for r in await rows.collect()]
