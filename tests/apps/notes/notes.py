"""A small notes app used by livebase's own tests."""

from livebase import ConvexError, action, internal_query, mutation, query, v


@mutation(args={"author": v.string(), "body": v.string(), "score": v.optional(v.number())})
async def add_note(ctx, author, body, score=None):
    doc = {"author": author, "body": body}
    if score is not None:
        doc["score"] = score
    return await ctx.db.insert("notes", doc)


@query(args={"author": v.string()})
async def by_author(ctx, author):
    return (
        await ctx.db.query("notes")
        .with_index("by_author", lambda q: q.eq("author", author))
        .collect()
    )


@query
async def list_all(ctx):
    return await ctx.db.query("notes").collect()


@query(args={"author": v.string(), "min": v.number()})
async def scored(ctx, author, min):
    return await (
        ctx.db.query("notes")
        .with_index("by_author_score", lambda q: q.eq("author", author).gte("score", min))
        .order("desc")
        .collect()
    )


@query(args={"text": v.string(), "author": v.optional(v.string()), "limit": v.optional(v.number())})
async def search(ctx, text, author=None, limit=None):
    def terms(q):
        q = q.search("body", text)
        return q if author is None else q.eq("author", author)

    found = ctx.db.query("notes").with_search_index("search_body", terms)
    return await (found.collect() if limit is None else found.take(int(limit)))


@query(args={"text": v.string(), "paginationOpts": v.any()})
async def search_page(ctx, text, paginationOpts):
    return await (
        ctx.db.query("notes")
        .with_search_index("search_body", lambda q: q.search("body", text))
        .paginate(paginationOpts)
    )


@query(args={"paginationOpts": v.any()})
async def page(ctx, paginationOpts):
    return await ctx.db.query("notes").paginate(paginationOpts)


@mutation(args={"id": v.id("notes"), "body": v.string()})
async def edit(ctx, id, body):
    await ctx.db.patch(id, {"body": body})


@mutation(args={"id": v.id("notes")})
async def remove(ctx, id):
    await ctx.db.delete(id)


@mutation(args={"author": v.string()})
async def add_then_fail(ctx, author):
    await ctx.db.insert("notes", {"author": author, "body": "never stored"})
    raise ConvexError({"code": "nope", "author": author})


@query
async def who_am_i(ctx):
    return await ctx.auth.get_user_identity()


@internal_query
async def secret(ctx):
    return "internal"


@query
async def write_in_query(ctx):
    return await ctx.db.insert("notes", {"author": "x", "body": "y"})


@query(args={"value": v.any()})
async def echo(ctx, value):
    return value


@mutation(args={"big": v.int64(), "raw": v.bytes()})
async def store_typed(ctx, big, raw):
    counter = await ctx.db.insert("counters", {"name": "typed", "value": len(raw), "big": big})
    return {"id": counter, "big": big, "raw": raw, "doubled": big * 2}


@action(args={"author": v.string(), "n": v.number()})
async def add_many(ctx, author, n):
    ids = []
    for i in range(n):
        ids.append(await ctx.run_mutation("notes:addNote", {"author": author, "body": f"#{i}"}))
    notes = await ctx.run_query("notes:byAuthor", {"author": author})
    return {"added": len(ids), "total": len(notes)}


@action
async def fail_action(ctx):
    raise ConvexError({"code": "action-failed"})


@query
async def crash(ctx):
    raise RuntimeError("internal detail that must not reach clients")


@query(args={"paginationOpts": v.any(), "author": v.string()})
async def page_by_author(ctx, paginationOpts, author):
    return (
        await ctx.db.query("notes")
        .with_index("by_author", lambda q: q.eq("author", author))
        .paginate(paginationOpts)
    )


@action
async def whoami(ctx):
    """Where the call came from, as the server saw it (``ctx.client``)."""
    return {"ip": ctx.client.ip, "userAgent": ctx.client.user_agent}


@action
async def whoami_nested(ctx):
    """The same, seen by an action this one calls."""
    return await ctx.run_action("notes:whoami")
