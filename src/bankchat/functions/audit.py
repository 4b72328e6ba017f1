"""The audit log: every query attempt, allowed or denied. Readable by auditors."""

import time

from bankchat.functions._access import current_user, require_feature
from livebase import mutation, query, v


@mutation(
    args={
        "action": v.string(),
        "sql": v.optional(v.string()),
        "question": v.optional(v.string()),
        "tables": v.optional(v.array(v.string())),
        "allowed": v.boolean(),
        "reason": v.optional(v.string()),
    }
)
async def log_query(ctx, action, allowed, sql=None, question=None, tables=None, reason=None):
    """Record an attempt made outside chat:ask (the client-side path of the brief)."""
    user = await current_user(ctx)
    doc = {
        "userId": user["_id"],
        "userEmail": user["email"],
        "action": action,
        "tables": tables or [],
        "allowed": allowed,
        "timestamp": time.time() * 1000,
    }
    for key, value in (("sql", sql), ("question", question), ("reason", reason)):
        if value:
            doc[key] = value
    return await ctx.db.insert("auditLogs", doc)


@query(
    args={
        "userEmail": v.optional(v.string()),
        "table": v.optional(v.string()),
        "since": v.optional(v.number()),
        "until": v.optional(v.number()),
        "deniedOnly": v.optional(v.boolean()),
        "limit": v.optional(v.number()),
    }
)
async def get_audit_logs(
    ctx, userEmail=None, table=None, since=None, until=None, deniedOnly=False, limit=200
):
    """Audit entries, newest first, filtered by user, table and time (auditors)."""
    user = await current_user(ctx)
    await require_feature(ctx, user, "audit")
    if deniedOnly:
        rows = ctx.db.query("auditLogs").with_index(
            "by_allowed", lambda q: _range(q.eq("allowed", False), since, until)
        )
    else:
        rows = ctx.db.query("auditLogs").with_index("by_time", lambda q: _range(q, since, until))
    rows = rows.order("desc")
    if userEmail:
        rows = rows.filter(lambda q: q.eq(q.field("userEmail"), userEmail.lower()))
    out = []
    async for entry in rows:
        if table and table not in entry["tables"]:
            continue
        out.append(entry)
        if len(out) >= int(limit):
            break
    return out


def _range(q, since, until):
    if since is not None:
        q = q.gte("timestamp", since)
    if until is not None:
        q = q.lte("timestamp", until)
    return q
