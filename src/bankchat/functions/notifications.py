"""Notifications, with a live unread count."""

from bankchat.functions._access import SIGNED_IN, allow, current_user
from livebase import ConvexError, mutation, query, v


@query(returns=v.array(v.doc("notifications")))
@allow(SIGNED_IN)
async def get_unread(ctx):
    user = await current_user(ctx)
    return (
        await ctx.db.query("notifications")
        .with_index("by_user_read", lambda q: q.eq("userId", user["_id"]).eq("read", False))
        .order("desc")
        .collect()
    )


@query(args={"limit": v.optional(v.number())}, returns=v.array(v.doc("notifications")))
@allow(SIGNED_IN)
async def list_notifications(ctx, limit=50):
    user = await current_user(ctx)
    unread = await get_unread.handler(ctx)
    read = (
        await ctx.db.query("notifications")
        .with_index("by_user_read", lambda q: q.eq("userId", user["_id"]).eq("read", True))
        .order("desc")
        .take(int(limit))
    )
    return unread + read


@mutation(args={"notificationId": v.id("notifications")}, returns=v.null())
@allow(SIGNED_IN)
async def mark_read(ctx, notificationId):
    user = await current_user(ctx)
    note = await ctx.db.get(notificationId)
    if note is None or note["userId"] != user["_id"]:
        raise ConvexError({"code": "not_found", "message": "No such notification"})
    await ctx.db.patch(notificationId, {"read": True})


@mutation(returns=v.null())
@allow(SIGNED_IN)
async def mark_all_read(ctx):
    for note in await get_unread.handler(ctx):
        await ctx.db.patch(note["_id"], {"read": True})
