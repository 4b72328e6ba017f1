"""People and invitations.

Sign-up is closed: an administrator invites an email (a one-time link, valid for a week), or a
configured email domain may sign up (``SESSIONDOCS_SIGNUP_DOMAINS``). The first administrator
is made with ``python -m sessiondocs create-admin EMAIL``.
"""

import os

from livebase import (
    ConvexError,
    internal_mutation,
    internal_query,
    mutation,
    query,
    signup_hook_args,
    v,
)
from sessiondocs.functions._access import (
    ADMIN,
    ANYONE,
    allow,
    caller_of,
    current_user,
)
from sessiondocs.functions._common import now_ms
from sessiondocs.functions.schema import invitations

INVITE_STATE = v.union(
    v.literal("valid"), v.literal("expired"), v.literal("used"), v.literal("revoked")
)


async def _by_email(ctx, email):
    return (
        await ctx.db.query("users").with_index("by_email", lambda q: q.eq("email", email)).first()
    )


async def _new_user(ctx, email, name, token_identifier, is_admin):
    """The person of an account (made or updated: one per email)."""
    existing = await _by_email(ctx, email)
    if existing is not None:
        patch = {"isAdmin": existing["isAdmin"] or is_admin}
        if token_identifier is not None:
            patch["tokenIdentifier"] = token_identifier
        await ctx.db.patch(existing["_id"], patch)
        return existing["_id"]
    return await ctx.db.insert(
        "users",
        {
            "email": email,
            "name": name or email.split("@")[0],
            "tokenIdentifier": token_identifier,
            "isAdmin": is_admin,
            "isActive": True,
            "createdAt": now_ms(),
        },
    )


@query(
    args={},
    returns=v.nullable(
        v.object(
            {
                "_id": v.id("users"),
                "email": v.string(),
                "name": v.string(),
                "isAdmin": v.boolean(),
                # the name of the device token calling for the person; None: the person
                "device": v.nullable(v.string()),
            }
        )
    ),
)
@allow(ANYONE)
async def me(ctx):
    """The signed-in person (or the person of a device token), or None."""
    caller = await caller_of(ctx)
    if caller is None:
        return None
    user = caller.user
    return {
        "_id": user["_id"],
        "email": user["email"],
        "name": user["name"],
        "isAdmin": user["isAdmin"],
        "device": None if caller.device is None else caller.device["name"],
    }


@query(args={}, returns=v.nullable(v.object({"email": v.string(), "password": v.string()})))
@allow(ANYONE)
async def demo_account(ctx):
    """The demo person and their public password on a server started with ``--demo``
    (for the sign-in page); None elsewhere."""
    from sessiondocs.accounts import DEMO_EMAIL, DEMO_ENV, DEMO_PASSWORD

    if os.environ.get(DEMO_ENV) != "1":
        return None
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}


@query(
    args={},
    returns=v.array(
        v.object(
            {
                "_id": v.id("users"),
                "email": v.string(),
                "name": v.string(),
                "isAdmin": v.boolean(),
                "isActive": v.boolean(),
                "createdAt": v.number(),
            }
        )
    ),
)
@allow(ADMIN)
async def list_users(ctx):
    """Everyone with an account."""
    return [
        {k: u[k] for k in ("_id", "email", "name", "isAdmin", "isActive", "createdAt")}
        for u in await ctx.db.query("users").collect()
    ]


@mutation(args={"userId": v.id("users"), "isActive": v.boolean()}, returns=v.null())
@allow(ADMIN)
async def set_active(ctx, userId, isActive):
    """Disable or enable an account (a disabled account and its devices can call nothing)."""
    admin = await current_user(ctx)
    if userId == admin["_id"]:
        raise ConvexError({"code": "forbidden", "message": "You cannot disable yourself"})
    if await ctx.db.get(userId) is None:
        raise ConvexError({"code": "not_found", "message": "No such user"})
    await ctx.db.patch(userId, {"isActive": isActive})


@mutation(
    args={"email": v.string(), "isAdmin": v.optional(v.boolean())},
    returns=v.object(
        {
            "inviteId": v.id("invites"),
            "email": v.string(),
            "token": v.string(),
            "expiresAt": v.number(),
        }
    ),
)
@allow(ADMIN)
async def invite_user(ctx, email, isAdmin=False):
    """Invite an email; returns the one-time ``token`` of its sign-up link (shown once).

    A new invitation replaces any pending one for the same email.
    """
    admin = await current_user(ctx)
    return await invitations.create(ctx, email, admin["_id"], isAdmin=isAdmin)


@query(
    args={},
    returns=v.array(
        v.object(
            {
                "_id": v.id("invites"),
                "email": v.string(),
                "isAdmin": v.boolean(),
                "createdAt": v.number(),
                "expiresAt": v.number(),
            }
        )
    ),
)
@allow(ADMIN)
async def list_invites(ctx):
    """Pending invitations, newest first."""
    return [
        {k: row[k] for k in ("_id", "email", "isAdmin", "createdAt", "expiresAt")}
        for row in await invitations.pending(ctx)
    ]


@mutation(args={"inviteId": v.id("invites")}, returns=v.null())
@allow(ADMIN)
async def revoke_invite(ctx, inviteId):
    """Revoke a pending invitation: its link stops working."""
    await invitations.revoke(ctx, inviteId)


@query(
    args={"token": v.string()},
    returns=v.nullable(v.object({"email": v.string(), "state": INVITE_STATE})),
)
@allow(ANYONE)
async def invite_info(ctx, token):
    """For the holder of an invitation link: its email and whether it can still be used."""
    return await invitations.info(ctx, token)


@internal_mutation(args=signup_hook_args(), returns=v.boolean())
async def admit_signup(
    ctx, email, subject, tokenIdentifier, admittedByPolicy, name=None, invite=None
):
    """The password provider's sign-up hook, inside the sign-up's transaction: an invitation
    admits its email (and is used up); an allowed domain admits; anything else is refused."""
    address = email.lower()
    if invite is not None:
        row = await invitations.redeem(ctx, invite, address)
        await _new_user(ctx, address, name, tokenIdentifier, row["isAdmin"])
        return True
    if admittedByPolicy:
        await _new_user(ctx, address, name, tokenIdentifier, False)
        return True
    return False


@internal_mutation(
    args={"email": v.string(), "tokenIdentifier": v.optional(v.string())},
    returns=v.id("users"),
)
async def make_admin(ctx, email, tokenIdentifier=None):
    """Make a person an administrator (``python -m sessiondocs create-admin``)."""
    address = email.lower()
    if tokenIdentifier is None and await _by_email(ctx, address) is None:
        raise ConvexError({"code": "not_found", "message": f"{address} has no account"})
    return await _new_user(ctx, address, None, tokenIdentifier, True)


@internal_query(args={"email": v.string()}, returns=v.nullable(v.doc("users")))
async def by_email(ctx, email):
    """The person with this email, or None (for the CLI and the demo)."""
    return await _by_email(ctx, email.lower())


@internal_query(args={}, returns=v.boolean())
async def any_admin(ctx):
    """Whether some active person administers the deployment."""
    async for user in ctx.db.query("users"):
        if user["isAdmin"] and user["isActive"]:
            return True
    return False
