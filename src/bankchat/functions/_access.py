"""Who is calling: every bankchat function starts here."""

from __future__ import annotations

from typing import Any

from bankchat.roles import has_feature
from livebase import ConvexError


async def user_by_identity(ctx: Any) -> dict[str, Any] | None:
    identity = await ctx.auth.get_user_identity()
    if identity is None:
        return None
    by_token = ctx.db.query("users").with_index(
        "by_token", lambda q: q.eq("tokenIdentifier", identity["tokenIdentifier"])
    )
    user = await by_token.first()
    if user is None and identity.get("email"):
        by_email = ctx.db.query("users").with_index(
            "by_email", lambda q: q.eq("email", identity["email"].lower())
        )
        user = await by_email.first()
    return user


async def current_user(ctx: Any) -> dict[str, Any]:
    """The signed-in, active user; ConvexError otherwise."""
    user = await user_by_identity(ctx)
    if user is None:
        raise ConvexError({"code": "unauthenticated", "message": "Sign in first"})
    if not user["isActive"]:
        raise ConvexError({"code": "inactive", "message": "This account is disabled"})
    return user


async def roles_of(ctx: Any, user: dict[str, Any]) -> list[dict[str, Any]]:
    roles = []
    for role_id in user["roleIds"]:
        role = await ctx.db.get(role_id)
        if role is not None:
            roles.append(role)
    return roles


async def require_feature(ctx: Any, user: dict[str, Any], feature: str) -> None:
    if not has_feature(await roles_of(ctx, user), feature):
        raise ConvexError({"code": "forbidden", "message": f"Your role does not include {feature}"})
