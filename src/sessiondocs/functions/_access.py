"""Who may call what: every public sessiondocs function declares it with ``@allow(RULE)``.

Callers are people (signed in with a password account) and capture devices (an agent holding a
device token its person made in the web app; it acts for that person, and may only upload).

    ANYONE          no sign-in (the holder of a share link or an invitation link; the
                    function checks that token itself)
    SIGNED_IN       an active person
    ADMIN           an active person who administers the deployment
    UPLOADER        a person or a device (start a session, get an upload URL)
    SESSION_READ    a person who owns the session or with whom it is shared
    SESSION_EDIT    its owner, or a person it is shared with for editing
    SESSION_UPLOAD  as SESSION_EDIT, or a device of such a person
    SESSION_OWNER   the person who recorded it

Session rules find the session from the ``sessionId`` (or ``screenshotId``) argument. A caller
who may not read a session is told it does not exist, so IDs reveal nothing. The rule is
recorded on the handler as ``__access__`` for the access-scenario tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livebase import ConvexError, access_rules

DEVICE_ISSUER = "sessiondocs-device"

ANYONE = "anyone"
SIGNED_IN = "signed_in"
ADMIN = "admin"
UPLOADER = "uploader"
SESSION_READ = "session:read"
SESSION_EDIT = "session:edit"
SESSION_UPLOAD = "session:upload"
SESSION_OWNER = "session:owner"
RULES = (
    ANYONE,
    SIGNED_IN,
    ADMIN,
    UPLOADER,
    SESSION_READ,
    SESSION_EDIT,
    SESSION_UPLOAD,
    SESSION_OWNER,
)
_CACHE = "_sessiondocs_caller"


@dataclass
class Caller:
    """The person behind a call, and the device it came through (None: the person)."""

    user: dict[str, Any]
    device: dict[str, Any] | None = None


def refuse(code: str, message: str) -> ConvexError:
    return ConvexError({"code": code, "message": message})


def no_session(session_id: Any) -> ConvexError:
    return refuse("not_found", f"No session {session_id!r}")


async def user_by_identity(ctx: Any, identity: dict[str, Any]) -> dict[str, Any] | None:
    by_token = ctx.db.query("users").with_index(
        "by_token", lambda q: q.eq("tokenIdentifier", identity["tokenIdentifier"])
    )
    user = await by_token.first()
    if user is None and identity.get("email") and identity.get("issuer") != DEVICE_ISSUER:
        # why: the only password provider is this deployment's own, whose email claim is the
        # account's; a deployment served at a new origin issues new tokenIdentifiers
        by_email = ctx.db.query("users").with_index(
            "by_email", lambda q: q.eq("email", identity["email"].lower())
        )
        user = await by_email.first()
    return user


async def caller_of(ctx: Any) -> Caller | None:
    """The active person (and device) calling, or None for anyone else."""
    cached = getattr(ctx, _CACHE, None)
    if cached is not None:
        return cached
    identity = await ctx.auth.get_user_identity()
    if identity is None:
        return None
    device = None
    if identity.get("issuer") == DEVICE_ISSUER:
        device_id = ctx.db.normalize_id("devices", identity["subject"])
        device = await ctx.db.get(device_id) if device_id else None
        if device is None or device["revoked"]:
            return None
        user = await ctx.db.get(device["userId"])
    else:
        user = await user_by_identity(ctx, identity)
    if user is None or not user["isActive"]:
        return None
    found = Caller(user, device)
    setattr(ctx, _CACHE, found)
    return found


async def current_user(ctx: Any) -> dict[str, Any]:
    """The active person calling (not a device); ConvexError otherwise."""
    caller = await _person_or_device(ctx)
    if caller.device is not None:
        raise refuse("forbidden", "A device token can only upload screenshots")
    return caller.user


async def _person_or_device(ctx: Any) -> Caller:
    caller = await caller_of(ctx)
    if caller is None:
        raise refuse("unauthenticated", "Sign in first")
    return caller


async def session_access(ctx: Any, session: dict[str, Any], user: dict[str, Any]) -> str | None:
    """``"owner"``, ``"edit"``, ``"read"``, or None: what ``user`` may do with ``session``."""
    if session.get("ownerId") == user["_id"]:
        return "owner"
    share = (
        await ctx.db.query("shares")
        .with_index(
            "by_session",
            lambda q: q.eq("sessionId", session["sessionId"]).eq("email", user["email"]),
        )
        .first()
    )
    return None if share is None else share["access"]


async def _session_of(ctx: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    session_id = kwargs.get("sessionId")
    if session_id is None and kwargs.get("screenshotId") is not None:
        shot = await ctx.db.get(kwargs["screenshotId"])
        if shot is None:
            raise refuse("not_found", "No such screenshot")
        session_id = shot["sessionId"]
    session = (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", session_id))
        .first()
    )
    if session is None:
        raise no_session(session_id)
    return session


async def check_rule(ctx: Any, rule: str, kwargs: dict[str, Any]) -> None:
    """Raise the ConvexError a caller gets when ``rule`` does not admit them."""
    if rule == ANYONE:
        return
    if rule == UPLOADER:
        await _person_or_device(ctx)
        return
    if rule == SESSION_UPLOAD:
        caller = await _person_or_device(ctx)
        session = await _session_of(ctx, kwargs)
        granted = await session_access(ctx, session, caller.user)
        if granted is None:
            raise no_session(session["sessionId"])
        if granted == "read":
            raise refuse("forbidden", "This session is shared with you read-only")
        return
    user = await current_user(ctx)
    if rule == SIGNED_IN:
        return
    if rule == ADMIN:
        if not user.get("isAdmin"):
            raise refuse("forbidden", "Only an administrator can do this")
        return
    session = await _session_of(ctx, kwargs)
    granted = await session_access(ctx, session, user)
    if granted is None:
        raise no_session(session["sessionId"])
    if rule == SESSION_EDIT and granted == "read":
        raise refuse("forbidden", "This session is shared with you read-only")
    if rule == SESSION_OWNER and granted != "owner":
        raise refuse("forbidden", "Only the session's owner can do this")


allow = access_rules(check_rule, RULES)
