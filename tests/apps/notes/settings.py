"""Functions that read the deployment's environment variables."""

from livebase import action, query, v


@query(args={}, returns=v.string())
async def greeting(ctx):
    return await ctx.env.get("GREETING", "(not set)")


@action(args={"name": v.string()})
async def read(ctx, name):
    return {"value": await ctx.env.get(name), "cloud": await ctx.env.get("CONVEX_CLOUD_URL")}
