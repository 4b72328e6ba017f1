"""The insert mutation of the search bench app, over a table with no search index."""

from livebase import mutation, v


@mutation(args={"body": v.string(), "channel": v.string()})
async def insert(ctx, body, channel):
    return await ctx.db.insert("messages", {"body": body, "channel": channel})
