"""Capture sessions: created by the agent with its PC's name, completed when it stops."""

import re

from livebase import ConvexError, mutation, query, v
from sessiondocs.functions._common import checked_text, now_ms, screenshots_of, session_by_id

SESSION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@mutation(
    args={
        "pcName": v.string(),
        "sessionId": v.optional(v.string()),
        "title": v.optional(v.string()),
        "redact": v.optional(v.boolean()),
    }
)
async def create_session(ctx, pcName, sessionId=None, title=None, redact=True):
    """Start a session and return its ``sessionId``.

    An agent passes its own ``sessionId`` so that a retried call (the server restarted before
    it answered) finds the session it already made instead of starting a second one.
    """
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
            if existing["pcName"] != pc_name:
                raise ConvexError(
                    {"code": "conflict", "message": f"Session {sessionId!r} belongs to another PC"}
                )
            return sessionId
    doc = {
        "sessionId": sessionId or "",
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


@mutation(args={"sessionId": v.string()})
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


@mutation(args={"sessionId": v.string(), "title": v.string()})
async def rename_session(ctx, sessionId, title):
    """Give the session a title (shown in the list and on the documentation)."""
    session = await session_by_id(ctx, sessionId)
    await ctx.db.patch(session["_id"], {"title": checked_text(title, "title")})


@mutation(args={"sessionId": v.string()})
async def delete_session(ctx, sessionId):
    """Delete a session with its screenshots, their files, OCR results and documentation."""
    session = await session_by_id(ctx, sessionId)
    for shot in await screenshots_of(ctx, sessionId):
        await ctx.storage.delete(shot["fileId"])
        await ctx.db.delete(shot["_id"])
    for table in ("ocrResults", "documentation"):
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


@query(args={"limit": v.optional(v.number())})
async def list_sessions(ctx, limit=100):
    """Sessions, newest first, each with its screenshot counts by OCR state."""
    sessions = (
        await ctx.db.query("sessions")
        .with_index("by_startTime")
        .order("desc")
        .take(max(1, min(int(limit), 500)))
    )
    out = []
    for session in sessions:
        shots = await screenshots_of(ctx, session["sessionId"])
        doc = (
            await ctx.db.query("documentation")
            .with_index("by_session", lambda q, s=session: q.eq("sessionId", s["sessionId"]))
            .first()
        )
        out.append(
            {
                **session,
                "counts": _counts(shots),
                "docStatus": doc["status"] if doc else None,
            }
        )
    return out


@query(args={"sessionId": v.string()})
async def get_session(ctx, sessionId):
    """One session with its counts, or None."""
    session = (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", sessionId))
        .first()
    )
    if session is None:
        return None
    return {**session, "counts": _counts(await screenshots_of(ctx, sessionId))}
