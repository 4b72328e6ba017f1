"""One-time sign-up links: an administrator invites an email, the link admits it once.

For apps whose sign-up is closed (the password provider's default): the app keeps its
invitations in a table of its own, declared with ``Invitations.table()``, creates them from an
administrator's mutation, and redeems them in its ``on_signup`` hook, inside the sign-up's
transaction. Only a token's sha256 is stored, so a link is shown once; a link expires after a
week by default, is used up by its sign-up, and a newer invitation of the same email revokes
the older one::

    invitations = Invitations(inviter_table="users")
    schema = define_schema({"invites": invitations.table(roleIds=v.array(v.id("roles"))), ...})

    @mutation(args={"email": v.string()})
    async def invite_user(ctx, email):
        return await invitations.create(ctx, email, invited_by=admin["_id"], roleIds=[...])

    @internal_mutation(args={...})                         # PasswordProvider(on_signup=...)
    async def admit_signup(ctx, email, invite=None, ...):
        row = await invitations.redeem(ctx, invite, email)  # ConvexError if not valid
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Any

from livebase.engine.errors import ConvexError
from livebase.engine.schema import TableDefinition, define_table
from livebase.engine.validators import Validator, v

WEEK_MS = 7 * 24 * 3600 * 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def token_digest(token: str) -> str:
    """How a secret token is kept: its sha256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def checked_email(text: str) -> str:
    """``text`` as a lowercased email address, or a ConvexError ``invalid_email``."""
    email = text.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ConvexError({"code": "invalid_email", "message": f"{text!r} is not an email address"})
    return email


class Invitations:
    """An app's invitations in ``name`` (default ``invites``); see the module docstring."""

    def __init__(
        self, name: str = "invites", *, inviter_table: str = "users", ttl_ms: float = WEEK_MS
    ) -> None:
        self.name = name
        self.inviter_table = inviter_table
        self.ttl_ms = ttl_ms

    def table(self, **fields: Validator) -> TableDefinition:
        """The table's definition: email, token hash, inviter, times, status, plus ``fields``."""
        return (
            define_table(
                {
                    "email": v.string(),
                    "tokenHash": v.string(),
                    "invitedBy": v.id(self.inviter_table),
                    "createdAt": v.number(),
                    "expiresAt": v.number(),
                    "status": v.union(
                        v.literal("pending"), v.literal("used"), v.literal("revoked")
                    ),
                    "usedAt": v.optional(v.number()),
                    **fields,
                }
            )
            .index("by_hash", ["tokenHash"])
            .index("by_email", ["email", "status"])
            .index("by_status", ["status", "createdAt"])
        )

    async def create(self, ctx: Any, email: str, invited_by: str, **fields: Any) -> dict[str, Any]:
        """Invite ``email``: ``{inviteId, email, token, expiresAt}``; the token is not kept."""
        address = checked_email(email)
        for older in await self._pending_for(ctx, address):
            await ctx.db.patch(older["_id"], {"status": "revoked"})
        token = secrets.token_urlsafe(32)  # why: from the OS, not the mutation's seeded random
        now = time.time() * 1000
        invite_id = await ctx.db.insert(
            self.name,
            {
                "email": address,
                "tokenHash": token_digest(token),
                "invitedBy": invited_by,
                "createdAt": now,
                "expiresAt": now + self.ttl_ms,
                "status": "pending",
                **fields,
            },
        )
        return {
            "inviteId": invite_id,
            "email": address,
            "token": token,
            "expiresAt": now + self.ttl_ms,
        }

    async def _pending_for(self, ctx: Any, email: str) -> list[dict[str, Any]]:
        rows = ctx.db.query(self.name).with_index(
            "by_email", lambda q: q.eq("email", email).eq("status", "pending")
        )
        return list(await rows.collect())

    async def pending(self, ctx: Any) -> list[dict[str, Any]]:
        """Invitations not used or revoked yet, newest first (expired ones included)."""
        rows = ctx.db.query(self.name).with_index("by_status", lambda q: q.eq("status", "pending"))
        return list(await rows.order("desc").collect())

    async def revoke(self, ctx: Any, invite_id: str) -> dict[str, Any]:
        """Revoke a pending invitation (its link stops working); returns it."""
        invite = await ctx.db.get(invite_id)
        if invite is None or invite["status"] != "pending":
            raise ConvexError({"code": "not_found", "message": "No pending invitation"})
        await ctx.db.patch(invite_id, {"status": "revoked"})
        return dict(invite)

    def state(self, invite: dict[str, Any]) -> str:
        """``valid``, ``expired``, ``used`` or ``revoked``."""
        if invite["status"] != "pending":
            return str(invite["status"])
        return "expired" if invite["expiresAt"] < time.time() * 1000 else "valid"

    async def find(self, ctx: Any, token: str) -> dict[str, Any] | None:
        rows = ctx.db.query(self.name).with_index(
            "by_hash", lambda q: q.eq("tokenHash", token_digest(token))
        )
        found = await rows.first()
        return None if found is None else dict(found)

    async def info(self, ctx: Any, token: str) -> dict[str, Any] | None:
        """What the holder of a link may know: its email and state (None: no such link)."""
        invite = await self.find(ctx, token)
        return None if invite is None else {"email": invite["email"], "state": self.state(invite)}

    async def redeem(self, ctx: Any, token: str, email: str) -> dict[str, Any]:
        """Use up the invitation of ``token`` for ``email``; ConvexError ``invalid_invite`` if
        it is unknown, used, revoked, expired or for another email."""
        invite = await self.find(ctx, token)
        if invite is None or self.state(invite) != "valid" or invite["email"] != email.lower():
            raise ConvexError(
                {
                    "code": "invalid_invite",
                    "message": "This invitation link is not valid (used, revoked, expired, "
                    "or for another email): ask an administrator for a new one",
                }
            )
        await ctx.db.patch(invite["_id"], {"status": "used", "usedAt": time.time() * 1000})
        return invite
