"""A board is a small document read by name through an index; ``stamp`` rewrites one and stamps it
with the time the mutation ran, which subscribers compare with when its update reaches them."""

import time

from livebase import mutation, query, v


@query(args={"name": v.string()})
async def get(ctx, name):
    return await ctx.db.query("boards").with_index("by_name", lambda q: q.eq("name", name)).first()


@mutation(args={"name": v.string(), "seq": v.number(), "text": v.string()})
async def stamp(ctx, name, seq, text):
    # why: inside a mutation time.time() is the real time the run started, frozen; the
    # subscriber-side latency is measured from it (the commit follows within microseconds).
    at = time.time()
    board = await ctx.db.query("boards").with_index("by_name", lambda q: q.eq("name", name)).first()
    doc = {"name": name, "seq": seq, "at": at, "text": text}
    if board is None:
        await ctx.db.insert("boards", doc)
    else:
        await ctx.db.replace(board["_id"], doc)
    return at


@mutation(args={"names": v.array(v.string()), "text": v.string()})
async def create_many(ctx, names, text):
    for name in names:
        await ctx.db.insert("boards", {"name": name, "seq": 0, "at": 0, "text": text})
    return len(names)
