"""Capture devices: a token a person makes in the web app for the agent on one PC.

The token is shown once and kept only as its sha256. It lets the agent start sessions owned by
its person and upload screenshots into them, nothing else; revoking it stops it at once (every
call looks the device up).
"""

import secrets

from livebase import ConvexError, internal_query, mutation, query, v
from livebase import token_digest as digest
from sessiondocs.functions._access import SIGNED_IN, allow, current_user
from sessiondocs.functions._common import checked_text, now_ms

TOKEN_PREFIX = "sdd_"  # tells a device token from a sign-in token at a glance


@mutation(
    args={"name": v.string()},
    returns=v.object({"deviceId": v.id("devices"), "token": v.string()}),
)
@allow(SIGNED_IN)
async def create_device(ctx, name):
    """A new device token for the capture agent; returns ``{deviceId, token}`` (shown once)."""
    user = await current_user(ctx)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # why: from the OS, not seeded random
    device_id = await ctx.db.insert(
        "devices",
        {
            "userId": user["_id"],
            "name": checked_text(name, "name"),
            "tokenHash": digest(token),
            "createdAt": now_ms(),
            "revoked": False,
        },
    )
    return {"deviceId": device_id, "token": token}


@query(
    args={},
    returns=v.array(
        v.object(
            {
                "_id": v.id("devices"),
                "name": v.string(),
                "createdAt": v.number(),
                "lastUsedAt": v.nullable(v.number()),
            }
        )
    ),
)
@allow(SIGNED_IN)
async def list_devices(ctx):
    """The caller's devices that still work, newest first."""
    user = await current_user(ctx)
    rows = (
        await ctx.db.query("devices")
        .with_index("by_user", lambda q: q.eq("userId", user["_id"]))
        .order("desc")
        .collect()
    )
    return [
        {
            "_id": d["_id"],
            "name": d["name"],
            "createdAt": d["createdAt"],
            "lastUsedAt": d.get("lastUsedAt"),
        }
        for d in rows
        if not d["revoked"]
    ]


@mutation(args={"deviceId": v.id("devices")}, returns=v.null())
@allow(SIGNED_IN)
async def revoke_device(ctx, deviceId):
    """Revoke one of the caller's device tokens: its agent can no longer upload."""
    user = await current_user(ctx)
    device = await ctx.db.get(deviceId)
    if device is None or device["userId"] != user["_id"] or device["revoked"]:
        raise ConvexError({"code": "not_found", "message": "No such device"})
    await ctx.db.patch(deviceId, {"revoked": True})


@internal_query(
    args={"tokenHash": v.string()},
    returns=v.nullable(v.object({"deviceId": v.id("devices"), "name": v.string()})),
)
async def by_token(ctx, tokenHash):
    """The working device with this token hash (for the token verifier), or None."""
    device = (
        await ctx.db.query("devices")
        .with_index("by_hash", lambda q: q.eq("tokenHash", tokenHash))
        .first()
    )
    if device is None or device["revoked"]:
        return None
    user = await ctx.db.get(device["userId"])
    if user is None or not user["isActive"]:
        return None
    return {"deviceId": device["_id"], "name": device["name"]}
