"""Functions that print: their lines come back to the client as logLines."""

import asyncio
import sys

from livebase import ConvexError, action, mutation, query, v


@query(args={"author": v.string()})
async def count_by(ctx, author):
    rows = await ctx.db.query("notes").collect()
    count = sum(1 for row in rows if row["author"] == author)
    print(f"counted {count} notes by", author)
    return count


@mutation(args={"author": v.string(), "fail": v.optional(v.boolean())})
async def add_loudly(ctx, author, fail=False):
    print("adding a note for", author)
    print("a warning", file=sys.stderr)
    if fail:
        raise ConvexError({"code": "refused"})
    return await ctx.db.insert("notes", {"author": author, "body": "loud"})


@action(args={"author": v.string()})
async def report(ctx, author):
    print("report for", author, end="")
    print(" (start)")
    await asyncio.to_thread(print, "from a worker thread")
    return await ctx.run_query("chatter:countBy", {"author": author})


@query
async def flood(ctx):
    for i in range(300):
        print("line", i)
    print("x" * 5000)
    return None
