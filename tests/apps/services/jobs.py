"""Scheduled functions and the work they do."""

import asyncio

from livebase import ConvexError, action, internal_mutation, mutation, query, v


@internal_mutation(args={"job": v.string(), "note": v.optional(v.string())})
async def record(ctx, job, note=None):
    doc = {"job": job, "at": __import__("time").time() * 1000}
    if note is not None:
        doc["note"] = note
    await ctx.db.insert("runs", doc)


@mutation(args={"job": v.string(), "delay": v.number(), "fail": v.optional(v.boolean())})
async def schedule_record(ctx, job, delay, fail=False):
    job_id = await ctx.scheduler.run_after(delay, "jobs:record", {"job": job})
    if fail:
        raise ConvexError("rolled back: nothing is scheduled")
    return job_id


@mutation(args={"job": v.string(), "at": v.number()})
async def schedule_at(ctx, job, at):
    return await ctx.scheduler.run_at(at, "jobs:record", {"job": job})


@mutation(args={"id": v.id("_scheduled_functions")})
async def cancel(ctx, id):
    await ctx.scheduler.cancel(id)


@mutation(args={"job": v.string(), "delay": v.number(), "seconds": v.number()})
async def schedule_slow_action(ctx, job, delay, seconds):
    return await ctx.scheduler.run_after(
        delay, "jobs:slow_action", {"job": job, "seconds": seconds}
    )


@action(args={"job": v.string(), "seconds": v.number()})
async def slow_action(ctx, job, seconds):
    await ctx.run_mutation("jobs:record", {"job": job, "note": "started"})
    await asyncio.sleep(seconds)
    await ctx.run_mutation("jobs:record", {"job": job, "note": "finished"})


@mutation
async def schedule_failing(ctx):
    return await ctx.scheduler.run_after(0, "jobs:explode", {})


@internal_mutation
async def explode(ctx):
    raise ConvexError({"code": "boom"})


@query(args={"job": v.string()})
async def runs(ctx, job):
    rows = ctx.db.query("runs").with_index("by_job", lambda q: q.eq("job", job))
    return [r.get("note") for r in await rows.collect()]


@query(args={"id": v.id("_scheduled_functions")})
async def status(ctx, id):
    job = await ctx.db.system.get(id)
    return None if job is None else {"state": job["state"], "name": job["name"]}


@query
async def whoami(ctx):
    return await ctx.auth.get_user_identity()


@action(args={"job": v.string()})
async def schedule_from_action(ctx, job):
    """Schedules from an action (no transaction to join), then cancels what it scheduled."""
    job_id = await ctx.scheduler.run_after(60_000, "jobs:record", {"job": job})
    await ctx.scheduler.cancel(job_id)
    return job_id
