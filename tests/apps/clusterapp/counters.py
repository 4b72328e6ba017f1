"""A counter read by several distinct queries (the ``salt`` only makes them distinct), so a
client holding them all can tell whether an update carried them at one timestamp."""

from livebase import mutation, query, v


@mutation(args={"name": v.string()})
async def bump(ctx, name):
    doc = await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).first()
    if doc is None:
        await ctx.db.insert("counters", {"name": name, "value": 1})
    else:
        await ctx.db.patch(doc["_id"], {"value": doc["value"] + 1})


@query(args={"name": v.string(), "salt": v.number()})
async def get(ctx, name, salt):
    doc = await ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name)).first()
    return None if doc is None else doc["value"]
