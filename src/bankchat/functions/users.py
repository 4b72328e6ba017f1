"""Users and roles."""

import time

from bankchat.functions._access import current_user, require_feature, roles_of, user_by_identity
from bankchat.roles import has_feature, policy_of
from livebase import ConvexError, internal_mutation, internal_query, mutation, query, v


def _now() -> float:
    return time.time() * 1000


async def _role_named(ctx, name):
    return await ctx.db.query("roles").with_index("by_name", lambda q: q.eq("name", name)).first()


@query
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


@mutation
async def ensure_user(ctx):
    """Create the signed-in person's user record on first sign-in (as an analyst)."""
    identity = await ctx.auth.get_user_identity()
    if identity is None:
        raise ConvexError({"code": "unauthenticated", "message": "Sign in first"})
    user = await user_by_identity(ctx)
    if user is not None:
        if user.get("tokenIdentifier") != identity["tokenIdentifier"]:
            await ctx.db.patch(user["_id"], {"tokenIdentifier": identity["tokenIdentifier"]})
        return user["_id"]
    analyst = await _role_named(ctx, "analyst")
    email = (identity.get("email") or identity["subject"]).lower()
    return await ctx.db.insert(
        "users",
        {
            "email": email,
            "name": identity.get("name") or email.split("@")[0],
            "tokenIdentifier": identity["tokenIdentifier"],
            "roleIds": [analyst["_id"]] if analyst else [],
            "isActive": True,
            "preferences": {"theme": "light", "notificationsEnabled": True},
            "createdAt": _now(),
        },
    )


@mutation(
    args={
        "theme": v.optional(v.union(v.literal("light"), v.literal("dark"))),
        "notificationsEnabled": v.optional(v.boolean()),
    }
)
async def update_preferences(ctx, theme=None, notificationsEnabled=None):
    user = await current_user(ctx)
    prefs = dict(user["preferences"])
    if theme is not None:
        prefs["theme"] = theme
    if notificationsEnabled is not None:
        prefs["notificationsEnabled"] = notificationsEnabled
    await ctx.db.patch(user["_id"], {"preferences": prefs})
    return prefs


@query
async def list_users(ctx):
    """Every user with role names (admins)."""
    user = await current_user(ctx)
    await require_feature(ctx, user, "admin")
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
            }
        )
    return out


@query
async def list_roles(ctx):
    return [
        {"_id": r["_id"], "name": r["name"], "description": r["description"]}
        for r in await ctx.db.query("roles").collect()
    ]


@mutation(args={"userId": v.id("users"), "roles": v.array(v.string())})
async def set_roles(ctx, userId, roles):
    """Give a user these roles (admins)."""
    admin = await current_user(ctx)
    await require_feature(ctx, admin, "admin")
    ids = []
    for name in roles:
        role = await _role_named(ctx, name)
        if role is None:
            raise ConvexError({"code": "unknown_role", "message": f"No role named {name!r}"})
        ids.append(role["_id"])
    await ctx.db.patch(userId, {"roleIds": ids})


@internal_query(args={"userId": v.optional(v.id("users")), "email": v.optional(v.string())})
async def access(ctx, userId=None, email=None):
    """A user's policy inputs for the SQL guard (used by chat actions and the CLI)."""
    if userId is not None:
        user = await ctx.db.get(userId)
    elif email is not None:
        user = (
            await ctx.db.query("users")
            .with_index("by_email", lambda q: q.eq("email", email.lower()))
            .first()
        )
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
    }
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
        found = (
            await ctx.db.query("users")
            .with_index("by_email", lambda q, email=spec["email"]: q.eq("email", email))
            .first()
        )
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


def policy_for(access_result):
    """The guard policy for the result of users:access."""
    return policy_of(access_result["roles"])
