"""Deeply nested values: as arguments, and as documents a mutation writes."""

from livebase import mutation, query, v


def nested(levels):
    """A value ``levels`` deep: ``[[...[0]...]]``."""
    value = 0
    for _ in range(levels):
        value = [value]
    return value


@query(args={"value": v.any()})
async def echo(ctx, value):
    return value


@mutation(args={"levels": v.number()})
async def store(ctx, levels):
    return await ctx.db.insert("deep", {"value": nested(levels)})


@query
async def count(ctx):
    return len(await ctx.db.query("deep").collect())
