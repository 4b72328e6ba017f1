"""Users, roles and invitations.

Nobody signs themselves in to the bank data. Sign-up is closed: an administrator invites an
email with the roles it will get (a one-time link, valid for a week), or a configured email
domain may sign up (``BANKCHAT_SIGNUP_DOMAINS``) and gets no role until an administrator grants
one. The first administrator is made with ``python -m bankchat create-admin EMAIL``. Every
change of roles, every invitation and every revocation is audited in its own transaction.
"""

import os
import time

from bankchat.functions._access import (
    ANYONE,
    IDENTIFIED,
    SIGNED_IN,
    allow,
    check_rule,
    current_user,
    roles_of,
    user_by_identity,
)
from bankchat.functions._shapes import Feature, Preferences, document, literals
from bankchat.functions.audit import record
from bankchat.functions.schema import invitations
from bankchat.roles import DEMO_ENV, DEMO_PASSWORD, DEMO_USERS, has_feature, policy_of
from livebase import (
    ConvexError,
    internal_mutation,
    internal_query,
    mutation,
    query,
    signup_hook_args,
    v,
)


def _now() -> float:
    return time.time() * 1000


async def _role_named(ctx, name):
    return await ctx.db.query("roles").with_index("by_name", lambda q: q.eq("name", name)).first()


async def _role_ids(ctx, names):
    ids = []
    for name in names:
        role = await _role_named(ctx, name)
        if role is None:
            raise ConvexError({"code": "unknown_role", "message": f"No role named {name!r}"})
        ids.append(role["_id"])
    return ids


async def _user_by_email(ctx, email):
    return (
        await ctx.db.query("users").with_index("by_email", lambda q: q.eq("email", email)).first()
    )


async def _new_user(ctx, email, name, token_identifier, role_ids):
    """The user record of an account (made or updated: one record per email)."""
    existing = await _user_by_email(ctx, email)
    if existing is not None:
        patch = {"roleIds": list(dict.fromkeys([*existing["roleIds"], *role_ids]))}
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
            "roleIds": role_ids,
            "isActive": True,
            "preferences": {"theme": "light", "notificationsEnabled": True},
            "createdAt": _now(),
        },
    )


# --- who am I ------------------------------------------------------------------------------


@query(returns=v.nullable(document("users", roles=v.array(v.string()), features=v.array(Feature))))
@allow(ANYONE)
async def me(ctx):
    """The signed-in user with role names and features, or None."""
    user = await user_by_identity(ctx)
    if user is None:
        return None
    roles = await roles_of(ctx, user)
    return {
        **user,
        "roles": [r["name"] for r in roles],
        "features": [f for f in ("admin", "analytics", "audit") if has_feature(roles, f)],
    }


@mutation(returns=v.id("users"))
@allow(IDENTIFIED)
async def ensure_user(ctx):
    """The signed-in account's user record, made (with no role) if the account has none."""
    identity = await ctx.auth.get_user_identity()
    user = await user_by_identity(ctx)
    if user is not None:
        if user.get("tokenIdentifier") != identity["tokenIdentifier"]:
            await ctx.db.patch(user["_id"], {"tokenIdentifier": identity["tokenIdentifier"]})
        return user["_id"]
    email = (identity.get("email") or identity["subject"]).lower()
    return await _new_user(ctx, email, identity.get("name"), identity["tokenIdentifier"], [])


@mutation(
    args={
        "theme": v.optional(v.union(v.literal("light"), v.literal("dark"))),
        "notificationsEnabled": v.optional(v.boolean()),
    },
    returns=Preferences,
)
@allow(SIGNED_IN)
async def update_preferences(ctx, theme=None, notificationsEnabled=None):
    user = await current_user(ctx)
    prefs = dict(user["preferences"])
    if theme is not None:
        prefs["theme"] = theme
    if notificationsEnabled is not None:
        prefs["notificationsEnabled"] = notificationsEnabled
    await ctx.db.patch(user["_id"], {"preferences": prefs})
    return prefs


@query(returns=v.array(v.object({"email": v.string(), "role": v.string(), "password": v.string()})))
@allow(ANYONE)
async def demo_accounts(ctx):
    """The demo accounts and their public password, on a deployment served with ``--demo``
    (for the sign-in page); none elsewhere."""
    if os.environ.get(DEMO_ENV) != "1":
        return []
    return [
        {"email": email, "role": role, "password": DEMO_PASSWORD} for email, _, role in DEMO_USERS
    ]


# --- administration ------------------------------------------------------------------------


@query(
    returns=v.array(
        v.object(
            {
                "_id": v.id("users"),
                "email": v.string(),
                "name": v.string(),
                "isActive": v.boolean(),
                "roles": v.array(v.string()),
                "createdAt": v.number(),
            }
        )
    )
)
@allow("feature:admin")
async def list_users(ctx):
    """Every user with role names."""
    out = []
    for u in await ctx.db.query("users").collect():
        roles = await roles_of(ctx, u)
        out.append(
            {
                "_id": u["_id"],
                "email": u["email"],
                "name": u["name"],
                "isActive": u["isActive"],
                "roles": [r["name"] for r in roles],
                "createdAt": u["createdAt"],
            }
        )
    return out


@query(
    returns=v.array(v.object({"_id": v.id("roles"), "name": v.string(), "description": v.string()}))
)
@allow("feature:admin")
async def list_roles(ctx):
    """The roles an administrator can grant."""
    return [
        {"_id": r["_id"], "name": r["name"], "description": r["description"]}
        for r in await ctx.db.query("roles").collect()
    ]


@mutation(args={"userId": v.id("users"), "roles": v.array(v.string())}, returns=v.null())
@allow("feature:admin")
async def set_roles(ctx, userId, roles):
    """Give a user exactly these roles; an administrator cannot drop their own admin role."""
    admin = await current_user(ctx)
    target = await ctx.db.get(userId)
    if target is None:
        raise ConvexError({"code": "not_found", "message": "No such user"})
    ids = await _role_ids(ctx, roles)
    if userId == admin["_id"]:
        kept = [await ctx.db.get(i) for i in ids]
        if not has_feature([r for r in kept if r], "admin"):
            raise ConvexError(
                {"code": "forbidden", "message": "You cannot take away your own admin role"}
            )
    await ctx.db.patch(userId, {"roleIds": ids})
    await record(ctx, admin, "grant_roles", reason=f"{target['email']}: {', '.join(roles) or '-'}")


@mutation(args={"userId": v.id("users"), "isActive": v.boolean()}, returns=v.null())
@allow("feature:admin")
async def set_active(ctx, userId, isActive):
    """Disable or enable an account (a disabled account can call nothing)."""
    admin = await current_user(ctx)
    target = await ctx.db.get(userId)
    if target is None:
        raise ConvexError({"code": "not_found", "message": "No such user"})
    if userId == admin["_id"]:
        raise ConvexError({"code": "forbidden", "message": "You cannot disable yourself"})
    await ctx.db.patch(userId, {"isActive": isActive})
    action = "enable_user" if isActive else "disable_user"
    await record(ctx, admin, action, reason=target["email"])


@mutation(
    args={"email": v.string(), "roles": v.array(v.string())},
    returns=v.object(
        {
            "inviteId": v.id("invites"),
            "email": v.string(),
            "token": v.string(),
            "expiresAt": v.number(),
        }
    ),
)
@allow("feature:admin")
async def invite_user(ctx, email, roles):
    """Invite an email with these roles; returns the one-time ``token`` of the sign-up link.

    Only the token's hash is kept, so the link is shown once. A new invitation replaces any
    pending one for the same email.
    """
    admin = await current_user(ctx)
    role_ids = await _role_ids(ctx, roles)
    invite = await invitations.create(ctx, email, admin["_id"], roleIds=role_ids)
    await record(ctx, admin, "invite", reason=f"{invite['email']}: {', '.join(roles) or '-'}")
    return invite


@query(
    returns=v.array(
        v.object(
            {
                "_id": v.id("invites"),
                "email": v.string(),
                "roles": v.array(v.string()),
                "createdAt": v.number(),
                "expiresAt": v.number(),
            }
        )
    )
)
@allow("feature:admin")
async def list_invites(ctx):
    """Pending invitations, newest first."""
    out = []
    for row in await invitations.pending(ctx):
        roles = [await ctx.db.get(r) for r in row["roleIds"]]
        out.append(
            {
                "_id": row["_id"],
                "email": row["email"],
                "roles": [r["name"] for r in roles if r],
                "createdAt": row["createdAt"],
                "expiresAt": row["expiresAt"],
            }
        )
    return out


@mutation(args={"inviteId": v.id("invites")}, returns=v.null())
@allow("feature:admin")
async def revoke_invite(ctx, inviteId):
    """Revoke a pending invitation: its link stops working."""
    admin = await current_user(ctx)
    invite = await invitations.revoke(ctx, inviteId)
    await record(ctx, admin, "revoke_invite", reason=invite["email"])


@query(
    args={"token": v.string()},
    returns=v.nullable(
        v.object({"email": v.string(), "state": literals("valid", "used", "revoked", "expired")})
    ),
)
@allow(ANYONE)
async def invite_info(ctx, token):
    """For the holder of an invitation link: its email and whether it can still be used."""
    return await invitations.info(ctx, token)


# --- server side ---------------------------------------------------------------------------


@internal_query(args={"rule": v.string()}, returns=v.null())
async def check_access(ctx, rule):
    """The access check of an action, run as the action's caller."""
    await check_rule(ctx, rule)


@internal_mutation(args=signup_hook_args(), returns=v.boolean())
async def admit_signup(
    ctx, email, subject, tokenIdentifier, admittedByPolicy, name=None, invite=None
):
    """The password provider's sign-up hook, in the sign-up's own transaction.

    An invitation admits its email with its roles (and is used up); an allowed domain admits
    with no role. Anything else is refused, and the account is not created.
    """
    address = email.lower()
    if invite is not None:
        row = await invitations.redeem(ctx, invite, address)
        await _new_user(ctx, address, name, tokenIdentifier, row["roleIds"])
        return True
    if admittedByPolicy:
        await _new_user(ctx, address, name, tokenIdentifier, [])
        return True
    return False


@internal_mutation(
    args={"email": v.string(), "tokenIdentifier": v.optional(v.string())}, returns=v.id("users")
)
async def make_admin(ctx, email, tokenIdentifier=None):
    """Give a user the admin role (``python -m bankchat create-admin``); a user made here
    needs the ``tokenIdentifier`` of its account."""
    admin = await _role_named(ctx, "admin")
    if admin is None:
        raise ConvexError({"code": "unknown_role", "message": "There is no admin role"})
    address = email.lower()
    existing = await _user_by_email(ctx, address)
    if existing is None and tokenIdentifier is None:
        raise ConvexError({"code": "not_found", "message": f"{address} has no account"})
    return await _new_user(ctx, address, None, tokenIdentifier, [admin["_id"]])


@internal_query(
    args={"userId": v.optional(v.id("users")), "email": v.optional(v.string())},
    returns=v.nullable(v.object({"user": v.doc("users"), "roles": v.array(v.doc("roles"))})),
)
async def access(ctx, userId=None, email=None):
    """A user's policy inputs for the SQL guard (used by chat actions and the CLI)."""
    if userId is not None:
        user = await ctx.db.get(userId)
    elif email is not None:
        user = await _user_by_email(ctx, email.lower())
    else:
        user = await current_user(ctx)
    if user is None:
        return None
    roles = await roles_of(ctx, user)
    return {"user": user, "roles": roles}


@internal_mutation(
    args={
        "roles": v.array(v.any()),
        "users": v.array(
            v.object(
                {
                    "email": v.string(),
                    "name": v.string(),
                    "role": v.string(),
                    "tokenIdentifier": v.string(),
                }
            )
        ),
    },
    returns=v.number(),  # how many users
)
async def seed(ctx, roles, users):
    """Create or update the demo roles and users (idempotent)."""
    for spec in roles:
        existing = await _role_named(ctx, spec["name"])
        if existing is None:
            await ctx.db.insert("roles", spec)
        else:
            await ctx.db.replace(existing["_id"], spec)
    for spec in users:
        role = await _role_named(ctx, spec["role"])
        found = await _user_by_email(ctx, spec["email"])
        fields = {
            "name": spec["name"],
            "tokenIdentifier": spec["tokenIdentifier"],
            "roleIds": [role["_id"]],
        }
        if found is None:
            await ctx.db.insert(
                "users",
                {
                    "email": spec["email"],
                    **fields,
                    "isActive": True,
                    "preferences": {"theme": "light", "notificationsEnabled": True},
                    "createdAt": _now(),
                },
            )
        else:
            await ctx.db.patch(found["_id"], fields)
    return len(users)


@internal_mutation(args={"roles": v.array(v.any())}, returns=v.null())
async def seed_roles(ctx, roles):
    """Create or update the roles (every deployment has them; the demo users are optional)."""
    await seed.handler(ctx, roles=roles, users=[])


@internal_query(returns=v.boolean())
async def any_admin(ctx):
    """Whether some active user holds the admin feature (``serve`` says how to make one)."""
    async for user in ctx.db.query("users"):
        if user["email"] == "operator@localhost" or not user["isActive"]:
            continue
        if has_feature(await roles_of(ctx, user), "admin"):
            return True
    return False


def policy_for(access_result):
    """The guard policy for the result of users:access."""
    return policy_of(access_result["roles"])
