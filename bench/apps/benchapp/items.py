"""The bench app's functions: single inserts, a batch insert for setup, and three reads."""

from livebase import mutation, query, v

ITEM = {"name": v.string(), "value": v.number(), "group": v.number()}


@mutation(args=ITEM)
async def insert_item(ctx, name, value, group):
    return await ctx.db.insert("items", {"name": name, "value": value, "group": group})


@mutation(args={"items": v.array(v.object(ITEM))})
async def insert_batch(ctx, items):
    return [await ctx.db.insert("items", item) for item in items]


@query(args={"id": v.id("items")})
async def get_item(ctx, id):
    return await ctx.db.get(id)


@query(args={"lo": v.number(), "hi": v.number(), "limit": v.number()})
async def range_by_value(ctx, lo, hi, limit):
    return await (
        ctx.db.query("items")
        .with_index("by_value", lambda q: q.gte("value", lo).lt("value", hi))
        .take(int(limit))
    )
