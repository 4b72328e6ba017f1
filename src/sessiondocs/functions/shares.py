"""Sharing a session: with named people (by email, to read or to edit) and by read-only links
for people without an account. Only the session's owner shares, and revokes."""

import secrets

from livebase import ConvexError, checked_email, mutation, query, v
from livebase import token_digest as digest
from sessiondocs.functions._access import SESSION_OWNER, allow, current_user
from sessiondocs.functions._common import now_ms
from sessiondocs.functions._shapes import ACCESS


async def _share(ctx, session_id, email):
    return (
        await ctx.db.query("shares")
        .with_index("by_session", lambda q: q.eq("sessionId", session_id).eq("email", email))
        .first()
    )


@mutation(
    args={"sessionId": v.string(), "email": v.string(), "access": ACCESS},
    returns=v.id("shares"),
)
@allow(SESSION_OWNER)
async def share_with(ctx, sessionId, email, access):
    """Share the session with a person by email (whether or not they have an account yet)."""
    user = await current_user(ctx)
    address = checked_email(email)
    if address == user["email"]:
        raise ConvexError({"code": "bad_request", "message": "You own this session already"})
    existing = await _share(ctx, sessionId, address)
    if existing is not None:
        await ctx.db.patch(existing["_id"], {"access": access})
        return existing["_id"]
    return await ctx.db.insert(
        "shares",
        {
            "sessionId": sessionId,
            "email": address,
            "access": access,
            "sharedBy": user["_id"],
            "createdAt": now_ms(),
        },
    )


@mutation(args={"sessionId": v.string(), "email": v.string()}, returns=v.null())
@allow(SESSION_OWNER)
async def unshare(ctx, sessionId, email):
    """Stop sharing the session with a person."""
    existing = await _share(ctx, sessionId, email.strip().lower())
    if existing is None:
        raise ConvexError(
            {"code": "not_found", "message": f"The session is not shared with {email}"}
        )
    await ctx.db.delete(existing["_id"])


@query(
    args={"sessionId": v.string()},
    returns=v.object(
        {
            "people": v.array(v.object({"email": v.string(), "access": ACCESS})),
            "links": v.array(v.object({"_id": v.id("shareLinks"), "createdAt": v.number()})),
        }
    ),
)
@allow(SESSION_OWNER)
async def list_shares(ctx, sessionId):
    """Who the session is shared with, and its share links that still work."""
    people = (
        await ctx.db.query("shares")
        .with_index("by_session", lambda q: q.eq("sessionId", sessionId))
        .collect()
    )
    links = (
        await ctx.db.query("shareLinks")
        .with_index("by_session", lambda q: q.eq("sessionId", sessionId))
        .collect()
    )
    return {
        "people": [{"email": p["email"], "access": p["access"]} for p in people],
        "links": [
            {"_id": k["_id"], "createdAt": k["createdAt"]} for k in links if not k["revoked"]
        ],
    }


@mutation(
    args={"sessionId": v.string()},
    returns=v.object({"linkId": v.id("shareLinks"), "token": v.string()}),
)
@allow(SESSION_OWNER)
async def create_link(ctx, sessionId):
    """A new read-only link; returns ``{linkId, token}`` (the token is shown once)."""
    user = await current_user(ctx)
    token = secrets.token_urlsafe(32)  # why: from the OS, not the mutation's seeded random
    link_id = await ctx.db.insert(
        "shareLinks",
        {
            "sessionId": sessionId,
            "tokenHash": digest(token),
            "createdBy": user["_id"],
            "createdAt": now_ms(),
            "revoked": False,
        },
    )
    return {"linkId": link_id, "token": token}


@mutation(args={"sessionId": v.string(), "linkId": v.id("shareLinks")}, returns=v.null())
@allow(SESSION_OWNER)
async def revoke_link(ctx, sessionId, linkId):
    """Revoke a share link: it stops working at once."""
    link = await ctx.db.get(linkId)
    if link is None or link["sessionId"] != sessionId or link["revoked"]:
        raise ConvexError({"code": "not_found", "message": "No such link"})
    await ctx.db.patch(linkId, {"revoked": True})
