"""The audit log: every query attempt, allowed or denied, and every administrative change.
Readable by auditors.

Entries are written only by the server, by ``record`` inside the transaction of what they
record (an answer, a role change, an invitation); no public function writes to the table, and
nothing updates or deletes an entry.
"""

import time

from bankchat.functions._access import allow
from bankchat.functions._shapes import AuditEntry
from bankchat.functions.search import clean, fused, marked
from livebase import query, undefined, v


async def record(ctx, user, action, *, tables=(), allowed=True, **fields):
    """Append an audit entry for ``user`` in the calling mutation's transaction."""
    doc = {
        "userId": user["_id"],
        "userEmail": user["email"],
        "action": action,
        "tables": list(tables),
        "allowed": allowed,
        "timestamp": time.time() * 1000,
    }
    doc.update({key: value for key, value in fields.items() if value})
    return await ctx.db.insert("auditLogs", doc)


# the filters both audit queries take
FILTERS = {
    "userEmail": v.optional(v.string()),
    "table": v.optional(v.string()),
    "since": v.optional(v.number()),
    "until": v.optional(v.number()),
    "deniedOnly": v.optional(v.boolean()),
    "ipAddress": v.optional(v.string()),
    "outcome": v.optional(v.string()),
    # words in the question, the SQL or the reason (full-text search; the last word also as
    # the start of a word)
    "text": v.optional(v.string()),
}
_TEXT_LIMIT = 300


@query(args={**FILTERS, "limit": v.optional(v.number())}, returns=v.array(AuditEntry))
@allow("feature:audit")
async def get_audit_logs(
    ctx,
    userEmail=None,
    table=None,
    since=None,
    until=None,
    deniedOnly=False,
    ipAddress=None,
    outcome=None,
    text=None,
    limit=200,
):
    """Audit entries, newest first, filtered by user, table, time, address, outcome and
    words."""
    if text and text.strip():
        found = await _text_entries(
            ctx, text, userEmail, table, since, until, deniedOnly, ipAddress, outcome
        )
        return found[: int(limit)]
    out = []
    async for entry in _entries(ctx, userEmail, since, until, deniedOnly, ipAddress, outcome):
        if table and table not in entry["tables"]:
            continue
        out.append(entry)
        if len(out) >= int(limit):
            break
    return out


@query(
    args={"paginationOpts": v.pagination_opts(), **FILTERS},
    returns=v.pagination_result(AuditEntry),
)
@allow("feature:audit")
async def page_audit_logs(
    ctx,
    paginationOpts,
    userEmail=None,
    table=None,
    since=None,
    until=None,
    deniedOnly=False,
    ipAddress=None,
    outcome=None,
    text=None,
):
    """Audit entries a page at a time (for usePaginatedQuery), with get_audit_logs' filters.

    The table filter is applied to each page after it is read (an entry's tables are a list,
    which no filter expression matches), so a page may hold fewer than ``numItems`` entries.
    With ``text``, the entries whose words match come in one page, newest first (at most
    300), each with its matching fields marked (``found``).
    """
    if text and text.strip():
        found = await _text_entries(
            ctx, text, userEmail, table, since, until, deniedOnly, ipAddress, outcome
        )
        return {"page": found, "isDone": True, "continueCursor": "e"}
    entries = _entries(ctx, userEmail, since, until, deniedOnly, ipAddress, outcome)
    result = await entries.paginate(paginationOpts)
    if table:
        result = {**result, "page": [e for e in result["page"] if table in e["tables"]]}
    return result


async def _text_entries(
    ctx, text, user_email, table, since, until, denied_only, ip_address, outcome
):
    """Entries whose question, SQL or reason hold ``text``'s words, with the other filters,
    newest first; each with ``found``: its fields with the matching words marked."""
    text = clean(text)
    fields = {"search_question": "question", "search_sql": "sql", "search_reason": "reason"}

    def narrow(rows):
        if since is not None:
            rows = rows.filter(lambda q: q.gte(q.field("timestamp"), since))
        if until is not None:
            rows = rows.filter(lambda q: q.lte(q.field("timestamp"), until))
        if denied_only:
            rows = rows.filter(lambda q: q.eq(q.field("allowed"), False))
        return _narrowed(rows, user_email, ip_address, outcome)

    rows = await fused(ctx, "auditLogs", fields, text, per_index=_TEXT_LIMIT, narrow=narrow)
    out = []
    for entry in sorted(rows, key=lambda e: -e["timestamp"]):
        if table and table not in entry["tables"]:
            continue
        found = {f: marked(entry.get(f), text, None) for f in ("question", "sql", "reason")}
        out.append({**entry, "found": {f: m for f, m in found.items() if m}})
    return out[:_TEXT_LIMIT]


def _entries(ctx, user_email, since, until, denied_only, ip_address=None, outcome=None):
    """Audit entries newest first, by user, time, verdict, address and outcome (the table
    filter is the caller's)."""
    if denied_only:
        rows = ctx.db.query("auditLogs").with_index(
            "by_allowed", lambda q: _range(q.eq("allowed", False), since, until)
        )
    else:
        rows = ctx.db.query("auditLogs").with_index("by_time", lambda q: _range(q, since, until))
    return _narrowed(rows.order("desc"), user_email, ip_address, outcome)


def _narrowed(rows, user_email, ip_address, outcome):
    """``rows`` of the given user, address and outcome. Entries written before outcomes were
    recorded count as "answered" when allowed and "refused" when not."""
    if user_email:
        rows = rows.filter(lambda q: q.eq(q.field("userEmail"), user_email.lower()))
    if ip_address:
        rows = rows.filter(lambda q: q.eq(q.field("ipAddress"), ip_address.strip()))
    if outcome:
        rows = rows.filter(lambda q: _has_outcome(q, outcome))
    return rows


def _has_outcome(q, outcome):
    recorded = q.eq(q.field("outcome"), outcome)
    if outcome not in ("answered", "refused"):
        return recorded
    legacy = q.and_(
        q.eq(q.field("outcome"), undefined), q.eq(q.field("allowed"), outcome == "answered")
    )
    return q.or_(recorded, legacy)


def _range(q, since, until):
    if since is not None:
        q = q.gte("timestamp", since)
    if until is not None:
        q = q.lte("timestamp", until)
    return q
