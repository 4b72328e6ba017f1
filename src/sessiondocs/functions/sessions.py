"""Capture sessions: created by the agent with its PC's name, completed when it stops.

A session belongs to the person who recorded it (directly or through one of their devices) and
to those it is shared with (``shares``).
"""

import re

from livebase import ConvexError, internal_query, mutation, query, v
from sessiondocs.functions._access import (
    SESSION_EDIT,
    SESSION_OWNER,
    SESSION_READ,
    SESSION_UPLOAD,
    SIGNED_IN,
    UPLOADER,
    allow,
    caller_of,
    current_user,
    session_access,
)
from sessiondocs.functions._common import checked_text, now_ms, screenshots_of, session_by_id
from sessiondocs.functions._shapes import SESSION

SESSION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@mutation(
    args={
        "pcName": v.string(),
        "sessionId": v.optional(v.string()),
        "title": v.optional(v.string()),
        "redact": v.optional(v.boolean()),
    },
    returns=v.string(),
)
@allow(UPLOADER)
async def create_session(ctx, pcName, sessionId=None, title=None, redact=True):
    """Start a session owned by the caller (or the device's person); returns its ``sessionId``.

    An agent passes its own ``sessionId`` so that a retried call (the server restarted before
    it answered) finds the session it already made instead of starting a second one.
    """
    caller = await caller_of(ctx)
    assert caller is not None  # the UPLOADER rule admitted it
    pc_name = checked_text(pcName, "pcName")
    if sessionId is not None:
        if not SESSION_ID.match(sessionId):
            raise ConvexError(
                {
                    "code": "bad_request",
                    "message": "sessionId takes 1-64 letters, digits, '.', '_' or '-'",
                }
            )
        existing = (
            await ctx.db.query("sessions")
            .with_index("by_sessionId", lambda q: q.eq("sessionId", sessionId))
            .first()
        )
        if existing is not None:
            if existing.get("ownerId") != caller.user["_id"] or existing["pcName"] != pc_name:
                raise ConvexError(
                    {"code": "conflict", "message": f"Session {sessionId!r} belongs to another PC"}
                )
            return sessionId
    if caller.device is not None:
        await ctx.db.patch(caller.device["_id"], {"lastUsedAt": now_ms()})
    doc = {
        "sessionId": sessionId or "",
        "ownerId": caller.user["_id"],
        "pcName": pc_name,
        "startTime": now_ms(),
        "status": "active",
        "redact": redact,
    }
    if title is not None:
        doc["title"] = checked_text(title, "title")
    doc_id = await ctx.db.insert("sessions", doc)
    if sessionId is None:
        # why: the document's ID is unique by construction; a random draw inside a mutation
        # is seeded from its snapshot, so two sessions started together could share one.
        sessionId = str(doc_id)
        await ctx.db.patch(doc_id, {"sessionId": sessionId})
    return sessionId


@mutation(args={"sessionId": v.string()}, returns=v.null())
@allow(SESSION_UPLOAD)
async def complete_session(ctx, sessionId):
    """Mark the session completed and have its documentation written (idempotent)."""
    session = await session_by_id(ctx, sessionId)
    if session["status"] == "completed":
        return None
    await ctx.db.patch(session["_id"], {"status": "completed", "endTime": now_ms()})
    shots = await screenshots_of(ctx, sessionId)
    # why: while screenshots are still being read, the pipeline asks for the documentation
    # when the last one is done; asking now would show a partial version first.
    if all(shot["status"] in ("done", "failed") for shot in shots):
        await ctx.scheduler.run_after(0, "docs:request", {"sessionId": sessionId})
    return None


@mutation(args={"sessionId": v.string(), "title": v.string()}, returns=v.null())
@allow(SESSION_EDIT)
async def rename_session(ctx, sessionId, title):
    """Give the session a title (shown in the list and on the documentation)."""
    session = await session_by_id(ctx, sessionId)
    await ctx.db.patch(session["_id"], {"title": checked_text(title, "title")})


@mutation(args={"sessionId": v.string()}, returns=v.null())
@allow(SESSION_OWNER)
async def delete_session(ctx, sessionId):
    """Delete a session with its screenshots, their files, OCR results, documentation, shares
    and share links."""
    session = await session_by_id(ctx, sessionId)
    for shot in await screenshots_of(ctx, sessionId):
        await ctx.storage.delete(shot["fileId"])
        await ctx.db.delete(shot["_id"])
    for table in ("ocrResults", "documentation", "shares", "shareLinks"):
        rows = (
            await ctx.db.query(table)
            .with_index("by_session", lambda q: q.eq("sessionId", sessionId))
            .collect()
        )
        for row in rows:
            await ctx.db.delete(row["_id"])
    await ctx.db.delete(session["_id"])


def _counts(shots):
    counts = {"screenshots": len(shots), "pending": 0, "processing": 0, "done": 0, "failed": 0}
    for shot in shots:
        counts[shot["status"]] += 1
    return counts


async def with_counts(ctx, session, access):
    """A session as the lists show it: its screenshot counts and documentation status."""
    shots = await screenshots_of(ctx, session["sessionId"])
    doc = (
        await ctx.db.query("documentation")
        .with_index("by_session", lambda q: q.eq("sessionId", session["sessionId"]))
        .first()
    )
    return {
        **session,
        "counts": _counts(shots),
        "docStatus": doc["status"] if doc else None,
        "access": access,
    }


async def visible_sessions(ctx, user, owned=None):
    """(session, access) for each session ``user`` may see: the ones they recorded ("owner";
    only the ``owned`` newest when given), then those shared with them ("edit" or "read")."""
    mine = ctx.db.query("sessions").with_index("by_owner", lambda q: q.eq("ownerId", user["_id"]))
    mine = mine.order("desc")
    owner = await (mine.collect() if owned is None else mine.take(owned))
    found = [(session, "owner") for session in owner]
    for share in (
        await ctx.db.query("shares")
        .with_index("by_email", lambda q: q.eq("email", user["email"]))
        .collect()
    ):
        session = (
            await ctx.db.query("sessions")
            .with_index("by_sessionId", lambda q, s=share: q.eq("sessionId", s["sessionId"]))
            .first()
        )
        if session is not None:
            found.append((session, share["access"]))
    return found


@query(args={"limit": v.optional(v.number())}, returns=v.array(SESSION))
@allow(SIGNED_IN)
async def list_sessions(ctx, limit=100):
    """The caller's sessions and those shared with them, newest first, each with its
    screenshot counts by OCR state and the caller's access (owner, edit or read)."""
    user = await current_user(ctx)
    limit = max(1, min(int(limit), 500))
    found = await visible_sessions(ctx, user, limit)
    found.sort(key=lambda pair: pair[0]["startTime"], reverse=True)
    return [await with_counts(ctx, session, access) for session, access in found[:limit]]


@query(args={"sessionId": v.string()}, returns=SESSION)
@allow(SESSION_READ)
async def get_session(ctx, sessionId):
    """One session with its counts and the caller's access."""
    session = await session_by_id(ctx, sessionId)
    return await with_counts(
        ctx, session, await session_access(ctx, session, await current_user(ctx))
    )


@internal_query(args={"sessionId": v.string()}, returns=v.nullable(v.doc("sessions")))
async def record(ctx, sessionId):
    """The session document, or None (for the server's own work)."""
    return (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", sessionId))
        .first()
    )
