"""Batches: many writes in one mutation, for the crash test."""

from livebase import mutation, query, v


@mutation(args={"batch": v.number()})
async def write_batch(ctx, batch):
    for i in range(300):
        await ctx.db.insert("notes", {"author": f"batch-{batch}", "body": str(i)})
    return batch


@query
async def counts(ctx):
    counts = {}
    async for doc in ctx.db.query("notes"):
        key = doc["author"].removeprefix("batch-")
        counts[key] = counts.get(key, 0) + 1
    return counts
