"""Functions the model-based tests drive; each one exercises one engine path."""

from livebase import ConvexError, mutation, query, undefined, v


def _fields(author, body, score):
    doc = {"author": author, "body": body}
    if score is not None:
        doc["score"] = score
    return doc


def _ranged(ctx, author, lo, hi, order):
    """notes over a score range (``lo <= score < hi``), within one author when given."""

    def bounds(q):
        if author is not None:
            q = q.eq("author", author)
        if lo is not None:
            q = q.gte("score", lo)
        if hi is not None:
            q = q.lt("score", hi)
        return q

    index = "by_score" if author is None else "by_author_score"
    return ctx.db.query("notes").with_index(index, bounds).order(order)


_RANGE_ARGS = {
    "author": v.optional(v.string()),
    "lo": v.optional(v.number()),
    "hi": v.optional(v.number()),
    "order": v.union(v.literal("asc"), v.literal("desc")),
}


# --- mutations ---------------------------------------------------------------------------
@mutation(args={"author": v.string(), "body": v.string(), "score": v.optional(v.number())})
async def insert(ctx, author, body, score=None):
    doc_id = await ctx.db.insert("notes", _fields(author, body, score))
    return await ctx.db.get(doc_id)


@mutation(
    args={
        "id": v.id("notes"),
        "author": v.optional(v.string()),
        "score": v.optional(v.number()),
        "clear_score": v.optional(v.boolean()),
    }
)
async def patch(ctx, id, author=None, score=None, clear_score=False):
    fields = {}
    if author is not None:
        fields["author"] = author
    if score is not None:
        fields["score"] = score
    if clear_score:
        fields["score"] = undefined
    await ctx.db.patch(id, fields)
    return await ctx.db.get(id)


@mutation(
    args={
        "id": v.id("notes"),
        "author": v.string(),
        "body": v.string(),
        "score": v.optional(v.number()),
    }
)
async def replace(ctx, id, author, body, score=None):
    await ctx.db.replace(id, _fields(author, body, score))
    return await ctx.db.get(id)


@mutation(args={"id": v.id("notes")})
async def delete(ctx, id):
    await ctx.db.delete(id)


@mutation(args={"author": v.string(), "score": v.optional(v.number())})
async def insert_then_fail(ctx, author, score=None):
    await ctx.db.insert("notes", _fields(author, "never stored", score))
    raise ConvexError({"code": "rolled back", "author": author})


@mutation(args={"id": v.id("notes"), "score": v.number()})
async def patch_then_fail(ctx, id, score):
    await ctx.db.patch(id, {"score": score, "body": "never stored"})
    raise ConvexError("rolled back")


# --- queries -----------------------------------------------------------------------------
@query(args={"id": v.id("notes")})
async def get(ctx, id):
    return await ctx.db.get(id)


@query
async def list_all(ctx):
    return await ctx.db.query("notes").collect()


@query(args={"author": v.string()})
async def by_author(ctx, author):
    """One author's notes in by_author_score order: score (missing first), then creation."""
    return await (
        ctx.db.query("notes")
        .with_index("by_author_score", lambda q: q.eq("author", author))
        .collect()
    )


@query(args={"author": v.string(), "n": v.number()})
async def latest_by_author(ctx, author, n):
    """One author's newest notes through the single-field by_author index."""
    return await (
        ctx.db.query("notes")
        .with_index("by_author", lambda q: q.eq("author", author))
        .order("desc")
        .take(int(n))
    )


@query(args=_RANGE_ARGS)
async def score_range(ctx, order, author=None, lo=None, hi=None):
    return await _ranged(ctx, author, lo, hi, order).collect()


@query(args={**_RANGE_ARGS, "n": v.number()})
async def score_take(ctx, order, n, author=None, lo=None, hi=None):
    return await _ranged(ctx, author, lo, hi, order).take(int(n))


@query(args=_RANGE_ARGS)
async def score_first(ctx, order, author=None, lo=None, hi=None):
    return await _ranged(ctx, author, lo, hi, order).first()


@query(args={**_RANGE_ARGS, "paginationOpts": v.any()})
async def score_page(ctx, order, paginationOpts, author=None, lo=None, hi=None):
    return await _ranged(ctx, author, lo, hi, order).paginate(paginationOpts)


@query(
    args={
        "op": v.union(*(v.literal(op) for op in ("eq", "gt", "gte", "lt", "lte"))),
        "author": v.string(),
    }
)
async def author_range(ctx, op, author):
    """Notes whose author compares to ``author`` by ``op``, through the by_author index."""
    return await (
        ctx.db.query("notes")
        .with_index("by_author", lambda q: getattr(q, op)("author", author))
        .collect()
    )
