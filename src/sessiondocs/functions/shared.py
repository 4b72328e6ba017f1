"""What a read-only share link shows to someone without an account: the session, its
screenshots and its documentation. The link's token is the credential; a revoked link, or
one whose session is gone, shows nothing."""

from livebase import ConvexError, query, v
from livebase import token_digest as digest
from sessiondocs.functions._access import ANYONE, allow
from sessiondocs.functions._shapes import DOCUMENTATION, SCREENSHOT, SESSION
from sessiondocs.functions.docs import doc_of
from sessiondocs.functions.screenshots import listing
from sessiondocs.functions.sessions import with_counts


async def session_of_link(ctx, token):
    """The session a working share link opens; a not_found error otherwise."""
    link = (
        await ctx.db.query("shareLinks")
        .with_index("by_hash", lambda q: q.eq("tokenHash", digest(token)))
        .first()
    )
    session = None
    if link is not None and not link["revoked"]:
        session = (
            await ctx.db.query("sessions")
            .with_index("by_sessionId", lambda q: q.eq("sessionId", link["sessionId"]))
            .first()
        )
    if session is None:
        raise ConvexError(
            {"code": "not_found", "message": "This link was revoked or never existed"}
        )
    return session


@query(args={"token": v.string()}, returns=SESSION)
@allow(ANYONE)
async def get_session(ctx, token):
    """The shared session with its counts (read-only)."""
    session = await session_of_link(ctx, token)
    shown = await with_counts(ctx, session, "read")
    return {k: val for k, val in shown.items() if k != "ownerId"}


@query(args={"token": v.string()}, returns=v.array(SCREENSHOT))
@allow(ANYONE)
async def list_screenshots(ctx, token):
    """The shared session's screenshots, as ``screenshots:listBySession`` shows them."""
    session = await session_of_link(ctx, token)
    return await listing(ctx, session["sessionId"])


@query(args={"token": v.string()}, returns=DOCUMENTATION)
@allow(ANYONE)
async def get_documentation(ctx, token):
    """The shared session's documentation, or None."""
    session = await session_of_link(ctx, token)
    return await doc_of(ctx, session["sessionId"])
