"""One small document per mutation: the HTTP throughput benchmark's unit of work."""

from livebase import mutation, v


@mutation(args={"author": v.string(), "body": v.string(), "n": v.number()})
async def insert(ctx, author, body, n):
    return await ctx.db.insert("notes", {"author": author, "body": body, "n": n})
