"""Search across every session a person may see: the steps of its documentation and the text
read off its screenshots, live (a new screenshot's OCR text or new documentation that matches
shows up in an open search as it is stored)."""

from livebase import highlight, query, v
from sessiondocs.functions._access import SIGNED_IN, allow, current_user
from sessiondocs.functions.docs import doc_of
from sessiondocs.functions.sessions import visible_sessions

MAX_RESULTS = 50
SNIPPET = 160
# With more visible sessions than this, a search that filled the engine's 1,024 results is not
# repeated per session (see _matches).
_PER_SESSION = 25
_ENGINE_LIMIT = 1024

_SESSION_FIELDS = {"sessionId": v.string(), "sessionTitle": v.string(), "sessionStart": v.number()}
# a text with the character spans ([start, end)) the search matched (livebase.highlight)
_MARKED = v.object({"text": v.string(), "matches": v.array(v.array(v.number()))})
RESULT = v.union(
    # a step of a session's documentation
    v.object(
        {
            "kind": v.literal("step"),
            **_SESSION_FIELDS,
            "stepNumber": v.number(),
            "title": v.string(),
            "screenshotId": v.string(),
            "filename": v.string(),
            "snippet": _MARKED,
        }
    ),
    # a screenshot, by the text read off it; stepNumber: the step it shows, if any
    v.object(
        {
            "kind": v.literal("screenshot"),
            **_SESSION_FIELDS,
            "stepNumber": v.nullable(v.number()),
            "title": v.string(),
            "screenshotId": v.id("screenshots"),
            "filename": v.string(),
            "snippet": _MARKED,
        }
    ),
)


async def _matches(ctx, table, index, field, text, sessions):
    """The rows of ``table`` matching ``text`` in the visible sessions, best first."""

    def search(session_id=None):
        def terms(q):
            q = q.search(field, text)
            return q if session_id is None else q.eq("sessionId", session_id)

        return ctx.db.query(table).with_search_index(index, terms).collect()

    everywhere = await search()
    rows = [row for row in everywhere if row["sessionId"] in sessions]
    if len(everywhere) >= _ENGINE_LIMIT and len(sessions) <= _PER_SESSION:
        # why: other people's rows filled the engine's limit; ask per visible session
        seen = {row["_id"] for row in rows}
        for session_id in sessions:
            rows += [row for row in await search(session_id) if row["_id"] not in seen]
    return rows


def _where(session):
    return {
        "sessionId": session["sessionId"],
        "sessionTitle": session.get("title") or f"Session on {session['pcName']}",
        "sessionStart": session["startTime"],
    }


@query(args={"text": v.string(), "limit": v.optional(v.number())}, returns=v.array(RESULT))
@allow(SIGNED_IN)
async def search(ctx, text, limit=MAX_RESULTS):
    """Steps and screenshots whose words match ``text`` (every word; the last also as the
    start of a word, as one types), in the caller's sessions and those shared with them: the
    steps of their documentation first, then screenshots by the text read off them, each best
    first, with a snippet whose matching words are marked (``matches``: character spans) and
    what to open (the step's number, the screenshot)."""
    user = await current_user(ctx)
    text = text.strip()[:200]
    limit = max(1, min(int(limit), MAX_RESULTS))
    if not text:
        return []
    sessions = {s["sessionId"]: s for s, _ in await visible_sessions(ctx, user)}
    if not sessions:
        return []
    results = []
    docs = await _matches(ctx, "documentation", "search_content", "content", text, sessions)
    for doc in docs:
        for step in doc["steps"]:
            description = step.get("description") or ""
            # why: a description often repeats the title ("Click Save. Click Save.")
            words = (
                description
                if step["title"] in description
                else f"{step['title']}. {description}".strip()
            )
            shown = highlight(words, text, SNIPPET)
            if shown["matches"]:
                results.append(
                    {
                        "kind": "step",
                        **_where(sessions[doc["sessionId"]]),
                        "stepNumber": step["number"],
                        "title": step["title"],
                        "screenshotId": step["screenshotId"],
                        "filename": step["filename"],
                        "snippet": shown,
                    }
                )
    stepped = {r["screenshotId"] for r in results}
    steps_in = {}  # sessionId -> {screenshotId: step number}
    for ocr in await _matches(ctx, "ocrResults", "search_text", "text", text, sessions):
        if len(results) >= limit:
            break
        if ocr["screenshotId"] in stepped:
            continue
        shot = await ctx.db.get(ocr["screenshotId"])
        if shot is None:
            continue
        if ocr["sessionId"] not in steps_in:
            doc = await doc_of(ctx, ocr["sessionId"])
            steps = doc["steps"] if doc else []
            steps_in[ocr["sessionId"]] = {s["screenshotId"]: s["number"] for s in steps}
        results.append(
            {
                "kind": "screenshot",
                **_where(sessions[ocr["sessionId"]]),
                "stepNumber": steps_in[ocr["sessionId"]].get(ocr["screenshotId"]),
                "title": shot["filename"],
                "screenshotId": ocr["screenshotId"],
                "filename": shot["filename"],
                "snippet": highlight(" ".join(ocr["text"].split()), text, SNIPPET),
            }
        )
    return results[:limit]
