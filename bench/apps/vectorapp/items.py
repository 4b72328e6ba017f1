"""The vector bench app's action: the 16 nearest items, by ``ctx.vector_search``."""

from livebase import action, v


@action(args={"vector": v.array(v.float64())})
async def nearest(ctx, vector):
    return await ctx.vector_search("items", "by_embedding", {"vector": vector, "limit": 16})
