"""Search through one's own past questions, their SQL, the answers and one's favorites, live.

Each text field has its search index (a search index covers one field); a row found through
several of them ranks by reciprocal-rank fusion of its places in each, so a favorite whose
name and SQL both match comes before one where only the SQL does. Matching words are marked
in every field shown (``highlight``).
"""

from bankchat.functions._access import MEMBER, allow, current_user
from bankchat.functions._shapes import Marked, Status
from livebase import highlight, query, v

MAX_RESULTS = 30
PER_INDEX = 100  # results read from each index before fusing
SNIPPET = 180
_FUSION = 60  # reciprocal-rank fusion's constant (Cormack et al.)


def clean(text):
    return " ".join(text.split())[:200]


async def fused(ctx, table, searches, text, *, filters=None, per_index=PER_INDEX, narrow=None):
    """Rows of ``table`` matching ``text`` in any of ``searches`` ({index: field}), best first
    by reciprocal-rank fusion (ties: newest first). ``filters``: equalities on the indexes'
    filter fields; ``narrow``: more conditions, applied to each search (``.filter``)."""
    scores: dict[str, float] = {}
    rows: dict[str, dict] = {}
    for index, field in searches.items():

        def terms(q, field=field):
            q = q.search(field, text)
            for name, value in (filters or {}).items():
                q = q.eq(name, value)
            return q

        rows_found = ctx.db.query(table).with_search_index(index, terms)
        found = await (narrow(rows_found) if narrow else rows_found).take(per_index)
        for place, row in enumerate(found):
            rows[row["_id"]] = row
            scores[row["_id"]] = scores.get(row["_id"], 0.0) + 1.0 / (_FUSION + place + 1)
    return sorted(rows.values(), key=lambda r: (-scores[r["_id"]], -r["_creationTime"]))


def marked(value, text, width=SNIPPET):
    """The field's text with the words the search matches marked, or None when none match."""
    if not value:
        return None
    shown = highlight(" ".join(value.split()), text, width)
    return shown if shown["matches"] else None


# a field's text with its matching words marked, or None (no text, or no word matched)
_MaybeMarked = v.nullable(Marked)


@query(
    args={"text": v.string(), "limit": v.optional(v.number())},
    returns=v.object(
        {
            "questions": v.array(
                v.object(
                    {
                        "historyId": v.id("queryHistory"),
                        "conversationId": v.nullable(v.id("conversations")),
                        "status": Status,
                        "timestamp": v.number(),
                        "question": _MaybeMarked,
                        "sql": _MaybeMarked,
                    }
                )
            ),
            "answers": v.array(
                v.object(
                    {
                        "messageId": v.id("messages"),
                        "conversationId": v.id("conversations"),
                        "timestamp": v.number(),
                        "content": _MaybeMarked,
                    }
                )
            ),
            "favorites": v.array(
                v.object(
                    {
                        "favoriteId": v.id("favorites"),
                        "name": _MaybeMarked,
                        "question": _MaybeMarked,
                        "sql": _MaybeMarked,
                        "tags": v.array(v.string()),
                    }
                )
            ),
        }
    ),
)
@allow(MEMBER)
async def mine(ctx, text, limit=MAX_RESULTS):
    """The caller's questions (with their SQL), answers and favorites whose words match
    ``text`` (every word; the last also as the start of a word, as one types), each kind best
    first: ``{"questions", "answers", "favorites"}``, each row with its marked fields."""
    user = await current_user(ctx)
    text = clean(text)
    limit = max(1, min(int(limit), MAX_RESULTS))
    empty: dict[str, list] = {"questions": [], "answers": [], "favorites": []}
    if not text:
        return empty
    mine_only = {"userId": user["_id"]}
    history = await fused(
        ctx,
        "queryHistory",
        {"search_question": "question", "search_sql": "sql"},
        text,
        filters=mine_only,
    )
    questions = [
        {
            "historyId": row["_id"],
            "conversationId": row.get("conversationId"),
            "status": row["status"],
            "timestamp": row["timestamp"],
            "question": marked(row.get("question"), text) or _plain(row.get("question")),
            "sql": marked(row.get("sql"), text),
        }
        for row in history[:limit]
    ]
    answers = [
        {
            "messageId": row["_id"],
            "conversationId": row["conversationId"],
            "timestamp": row["timestamp"],
            "content": marked(row["content"], text),
        }
        for row in await fused(
            ctx,
            "messages",
            {"search_content": "content"},
            text,
            filters={**mine_only, "type": "assistant"},
            per_index=limit,
        )
    ]
    favorites = [
        {
            "favoriteId": row["_id"],
            "name": marked(row["name"], text) or _plain(row["name"]),
            "question": marked(row.get("question"), text),
            "sql": marked(row["sql"], text),
            "tags": row["tags"],
        }
        for row in await fused(
            ctx,
            "favorites",
            {"search_name": "name", "search_question": "question", "search_sql": "sql"},
            text,
            filters=mine_only,
        )
    ][:limit]
    return {"questions": questions, "answers": answers, "favorites": favorites}


def _plain(value):
    return None if not value else {"text": " ".join(value.split())[:SNIPPET], "matches": []}
