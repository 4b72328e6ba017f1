"""Lookups every module needs: a session by its public ID, a session's screenshots."""

import time

from livebase import ConvexError

MAX_NAME = 200
# a screenshot claimed for OCR longer ago than this is taken for a read that died with its
# server, and read again
LEASE_MS = 5 * 60 * 1000


def now_ms() -> float:
    return time.time() * 1000


async def session_by_id(ctx, session_id):
    """The session with this public ``sessionId``, or a not_found error naming it."""
    session = (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", session_id))
        .first()
    )
    if session is None:
        raise ConvexError({"code": "not_found", "message": f"No session {session_id!r}"})
    return session


async def screenshots_of(ctx, session_id):
    """A session's screenshots in capture order."""
    return (
        await ctx.db.query("screenshots")
        .with_index("by_session", lambda q: q.eq("sessionId", session_id))
        .collect()
    )


def checked_text(value, field, limit=MAX_NAME):
    """``value`` stripped, or a bad_request error naming ``field`` when empty or too long."""
    text = value.strip()
    if not text:
        raise ConvexError({"code": "bad_request", "message": f"{field} must not be empty"})
    if len(text) > limit:
        raise ConvexError(
            {"code": "bad_request", "message": f"{field} is longer than {limit} characters"}
        )
    return text
