"""Functions that run longer than they should, each in its own way."""

import asyncio
import contextlib
import os
import time

from livebase import ConvexError, action, mutation, query, v


def _spin(seconds):
    # time.time is frozen inside functions; perf_counter is not
    end = time.perf_counter() + seconds
    count = 0
    while time.perf_counter() < end:
        count += 1
    return count


@query(args={"seconds": v.number()})
async def loop(ctx, seconds):
    """Pure Python on the CPU: never touches ctx."""
    return _spin(seconds)


@query(args={"seconds": v.number()})
async def swallow(ctx, seconds):
    """Catches every Exception on the way, and goes on."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        with contextlib.suppress(Exception):
            _spin(0.01)
    return "finished"


@query(args={"seconds": v.number()})
async def scan(ctx, seconds):
    """Reads the rows table again and again, and works through what it read: a query busy
    with the database and the CPU. Stays within the 32,000 documents a query may read."""
    end = time.perf_counter() + seconds
    rows, read, passes = [], 0, 0
    while time.perf_counter() < end:
        if read + max(len(rows), 1) <= 30_000:
            rows = []
            async for row in ctx.db.query("rows"):
                rows.append(row)
            read += len(rows)
        sum(len(row["text"]) + row["n"] for row in rows)
        passes += 1
    return passes


@query(args={"seconds": v.number(), "name": v.string()})
async def counted_by(ctx, seconds, name):
    """Works on the CPU, then reads a counter: which process ran it, and what it read."""
    _spin(seconds)
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    print(f"counted {name}")
    return {"pid": os.getpid(), "value": None if doc is None else doc["value"]}


@query(args={"seconds": v.number()})
async def refuse_later(ctx, seconds):
    """Works on the CPU, then refuses with an error meant for the client."""
    _spin(seconds)
    print("about to refuse")
    raise ConvexError({"code": "refused", "after": seconds})


@query(args={"seconds": v.number()})
async def sleepy(ctx, seconds):
    """Blocks in C (never returns to Python code until done): cannot be interrupted."""
    time.sleep(seconds)
    return "slept"


@mutation(args={"name": v.string(), "seconds": v.number()})
async def bump_then_sleep(ctx, name, seconds):
    """Bumps a counter, then blocks in C: cannot be interrupted, and must not commit."""
    doc = (
        await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )
    if doc is None:
        await ctx.db.insert("counters", {"name": name, "value": 1})
    else:
        await ctx.db.patch(doc["_id"], {"value": doc["value"] + 1})
    time.sleep(seconds)


@mutation(args={"seconds": v.number()})
async def write_then_loop(ctx, seconds):
    await ctx.db.insert("counters", {"name": "runaway", "value": 1})
    return _spin(seconds)


@mutation(args={"seconds": v.number()})
async def write_in_a_loop(ctx, seconds):
    """Writes until it is stopped: every write is a ctx call that checks the deadline."""
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        await ctx.db.insert("counters", {"name": "writer", "value": n})
        _spin(0.002)  # a few hundred writes a second, well within a mutation's 16,000
        n += 1
    return n


@mutation(args={"n": v.number()})
async def fill(ctx, n):
    for i in range(int(n)):
        await ctx.db.insert("rows", {"n": i, "text": f"row {i} " + "x" * 40})


@action(args={"seconds": v.number()})
async def wait(ctx, seconds):
    await asyncio.sleep(seconds)
    return "waited"


@action(args={"seconds": v.number()})
async def loop_action(ctx, seconds):
    """An action that never awaits: it holds the event loop (actions run there)."""
    return _spin(seconds)


@action(args={"seconds": v.number()})
async def query_loop(ctx, seconds):
    """An action whose query runs away: the query's own limit applies."""
    return await ctx.run_query("spin:loop", {"seconds": seconds})


@mutation(args={"seconds": v.number()})
async def schedule_loop(ctx, seconds):
    """Schedules ``write_then_loop`` to run at once, as a scheduled function."""
    return await ctx.scheduler.run_after(0, "spin:write_then_loop", {"seconds": seconds})
