"""Who may call what: every public bankchat function declares it with ``@allow(RULE)``.

Rules, from the most open to the narrowest:

    ANYONE          no sign-in needed (only what a stranger may know: an invitation's email
                    for the holder of its one-time token)
    IDENTIFIED      a verified sign-in, whether or not it has a user record yet
    SIGNED_IN       any active account, also one no administrator has given a role yet
    MEMBER          an active account with at least one role (everything that works with
                    the bank data or with other people: chat, favorites, history, teams)
    "feature:X"     an account whose roles include the application feature X (admin, audit,
                    analytics)

The rule is checked before the handler runs, and recorded on the handler as ``__access__`` so
the access-scenario tests can require a declaration and a scenario for every public function.
Ownership of a record (a conversation, a favorite) is checked by the handler itself and is
covered by the same scenarios with "another user" as the caller.
"""

from __future__ import annotations

from typing import Any

from bankchat.roles import has_feature
from livebase import ConvexError, access_rules

ANYONE = "anyone"
IDENTIFIED = "identified"
SIGNED_IN = "signed_in"
MEMBER = "member"
RULES = (
    ANYONE,
    IDENTIFIED,
    SIGNED_IN,
    MEMBER,
    "feature:admin",
    "feature:audit",
    "feature:analytics",
)
_CACHE = "_bankchat_caller"


def unauthenticated() -> ConvexError:
    return ConvexError({"code": "unauthenticated", "message": "Sign in first"})


def no_role() -> ConvexError:
    return ConvexError(
        {
            "code": "no_role",
            "message": "Your account has no role yet: ask an administrator to grant one",
        }
    )


async def user_by_identity(ctx: Any) -> dict[str, Any] | None:
    """The user record of the signed-in caller, or None (anonymous or not yet a user)."""
    identity = await ctx.auth.get_user_identity()
    if identity is None:
        return None
    by_token = ctx.db.query("users").with_index(
        "by_token", lambda q: q.eq("tokenIdentifier", identity["tokenIdentifier"])
    )
    user = await by_token.first()
    if user is None and identity.get("email"):
        # why: the only provider is this deployment's own password provider, whose email claim
        # is the account's; a deployment served at a new origin issues new tokenIdentifiers
        by_email = ctx.db.query("users").with_index(
            "by_email", lambda q: q.eq("email", identity["email"].lower())
        )
        user = await by_email.first()
    return user


async def current_user(ctx: Any) -> dict[str, Any]:
    """The signed-in, active user; ConvexError otherwise."""
    cached = getattr(ctx, _CACHE, None)
    if cached is not None:
        return cached
    user = await user_by_identity(ctx)
    if user is None:
        raise unauthenticated()
    if not user["isActive"]:
        raise ConvexError({"code": "inactive", "message": "This account is disabled"})
    setattr(ctx, _CACHE, user)
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


async def check_rule(ctx: Any, rule: str) -> None:
    """Raise the ConvexError a caller gets when ``rule`` does not admit them."""
    if rule == ANYONE:
        return
    if rule == IDENTIFIED:
        if await ctx.auth.get_user_identity() is None:
            raise unauthenticated()
        return
    user = await current_user(ctx)
    if rule == SIGNED_IN:
        return
    if not user["roleIds"]:
        raise no_role()
    if rule.startswith("feature:"):
        await require_feature(ctx, user, rule.removeprefix("feature:"))


async def _check(ctx: Any, rule: str, kwargs: dict[str, Any]) -> None:
    if hasattr(ctx, "db"):
        await check_rule(ctx, rule)
    elif rule != ANYONE:
        # why: an action has no database; the check runs as a query in its name
        await ctx.run_query("users:checkAccess", {"rule": rule})


allow = access_rules(_check, RULES)
