"""Favorites: saved question/SQL pairs (they also teach the engines as examples)."""

import time

from bankchat.functions._access import MEMBER, allow, current_user
from bankchat.functions._shapes import AskResult, document
from livebase import ConvexError, action, mutation, query, v


def _now() -> float:
    return time.time() * 1000


@mutation(
    args={
        "name": v.string(),
        "sql": v.string(),
        "question": v.optional(v.string()),
        "tags": v.optional(v.array(v.string())),
        "isPublic": v.optional(v.boolean()),
    },
    returns=v.id("favorites"),
)
@allow(MEMBER)
async def save_favorite(ctx, name, sql, question=None, tags=None, isPublic=False):
    user = await current_user(ctx)
    if not name.strip() or not sql.strip():
        raise ConvexError({"code": "empty", "message": "A favorite needs a name and SQL"})
    doc = {
        "userId": user["_id"],
        "name": name.strip(),
        "sql": sql,
        "tags": sorted({t.strip().lower() for t in tags or [] if t.strip()}),
        "isPublic": isPublic,
        "useCount": 0,
        "createdAt": _now(),
    }
    if question:
        doc["question"] = question
    return await ctx.db.insert("favorites", doc)


@query(
    args={"tag": v.optional(v.string())},
    returns=v.array(document("favorites", mine=v.boolean())),
)
@allow(MEMBER)
async def get_favorites(ctx, tag=None):
    """The user's favorites, then public ones from others (most used first)."""
    user = await current_user(ctx)
    mine = (
        await ctx.db.query("favorites")
        .with_index("by_user", lambda q: q.eq("userId", user["_id"]))
        .order("desc")
        .collect()
    )
    public = (
        await ctx.db.query("favorites")
        .with_index("by_public", lambda q: q.eq("isPublic", True))
        .order("desc")
        .take(50)
    )
    out = mine + [f for f in public if f["userId"] != user["_id"]]
    if tag:
        out = [f for f in out if tag.lower() in f["tags"]]
    return [{**f, "mine": f["userId"] == user["_id"]} for f in out]


async def _mine(ctx, favorite_id):
    user = await current_user(ctx)
    favorite = await ctx.db.get(favorite_id)
    if favorite is None or (favorite["userId"] != user["_id"] and not favorite["isPublic"]):
        raise ConvexError({"code": "not_found", "message": "No such favorite"})
    return user, favorite


@mutation(
    args={
        "favoriteId": v.id("favorites"),
        "name": v.optional(v.string()),
        "tags": v.optional(v.array(v.string())),
        "isPublic": v.optional(v.boolean()),
    },
    returns=v.null(),
)
@allow(MEMBER)
async def update_favorite(ctx, favoriteId, name=None, tags=None, isPublic=None):
    user, favorite = await _mine(ctx, favoriteId)
    if favorite["userId"] != user["_id"]:
        raise ConvexError({"code": "forbidden", "message": "Only the owner can change it"})
    patch = {}
    if name is not None:
        patch["name"] = name.strip()
    if tags is not None:
        patch["tags"] = sorted({t.strip().lower() for t in tags if t.strip()})
    if isPublic is not None:
        patch["isPublic"] = isPublic
    await ctx.db.patch(favoriteId, patch)


@mutation(args={"favoriteId": v.id("favorites")}, returns=v.null())
@allow(MEMBER)
async def delete_favorite(ctx, favoriteId):
    user, favorite = await _mine(ctx, favoriteId)
    if favorite["userId"] != user["_id"]:
        raise ConvexError({"code": "forbidden", "message": "Only the owner can delete it"})
    await ctx.db.delete(favoriteId)


@mutation(args={"favoriteId": v.id("favorites")}, returns=v.doc("favorites"))
@allow(MEMBER)
async def mark_used(ctx, favoriteId):
    _, favorite = await _mine(ctx, favoriteId)
    await ctx.db.patch(favoriteId, {"useCount": favorite["useCount"] + 1, "lastUsedAt": _now()})
    return favorite


@action(
    args={"favoriteId": v.id("favorites"), "conversationId": v.optional(v.id("conversations"))},
    returns=AskResult,
)
@allow(MEMBER)
async def run_favorite(ctx, favoriteId, conversationId=None):
    """Run a favorite's SQL again (through the guard, as the caller)."""
    favorite = await ctx.run_mutation("favorites:mark_used", {"favoriteId": favoriteId})
    args = {"sql": favorite["sql"]}
    if conversationId is not None:
        args["conversationId"] = conversationId
    return await ctx.run_action("chat:run_sql", args)
