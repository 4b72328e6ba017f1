"""A session's documentation: written offline from its screenshots and OCR text, rewritten as
prose by a language model when one is configured, regenerated on demand."""

import asyncio

from livebase import (
    ConvexError,
    internal_action,
    internal_mutation,
    internal_query,
    mutation,
    query,
    undefined,
    v,
)
from sessiondocs.functions._access import SESSION_EDIT, SESSION_READ, allow, check_rule
from sessiondocs.functions._common import now_ms, session_by_id
from sessiondocs.functions._shapes import DOCUMENTATION


async def doc_of(ctx, session_id):
    """The session's documentation row, or None."""
    return (
        await ctx.db.query("documentation")
        .with_index("by_session", lambda q: q.eq("sessionId", session_id))
        .first()
    )


async def _request(ctx, session_id):
    session = await session_by_id(ctx, session_id)
    doc = await doc_of(ctx, session_id)
    generation = (doc.get("generation", 0) if doc else 0) + 1
    fields = {
        "status": "generating",
        "requestedAt": now_ms(),
        "generation": generation,
        "error": undefined,
    }
    if doc is None:
        await ctx.db.insert(
            "documentation",
            {
                "sessionId": session_id,
                "title": session.get("title") or f"Session on {session['pcName']}",
                "summary": "",
                "content": "",
                "steps": [],
                "engine": "offline",
                **{k: val for k, val in fields.items() if val is not undefined},
            },
        )
    else:
        await ctx.db.patch(doc["_id"], fields)
    await ctx.scheduler.run_after(
        0, "docs:generate", {"sessionId": session_id, "generation": generation}
    )


@internal_mutation(args={"sessionId": v.string()}, returns=v.null())
async def request(ctx, sessionId):
    """Have the documentation (re)written in the background."""
    await _request(ctx, sessionId)


@mutation(args={"sessionId": v.string()}, returns=v.null())
@allow(SESSION_EDIT)
async def regenerate(ctx, sessionId):
    """Write the documentation again now, from whatever screenshots are read so far."""
    await _request(ctx, sessionId)


@query(args={"sessionId": v.string()}, returns=DOCUMENTATION)
@allow(SESSION_READ)
async def get_documentation(ctx, sessionId):
    """The session's documentation (status, title, summary, steps, Markdown), or None."""
    return await doc_of(ctx, sessionId)


def _step_json(step):
    return {
        "number": step.number,
        "title": step.title,
        "description": step.description,
        "screenshotId": step.screenshot_id,
        "filename": step.filename,
        "highlight": list(step.highlight) if step.highlight is not None else None,
        "changedFraction": float(step.changed_fraction),
        "capturedAt": float(step.captured_at),
        **({"marker": list(step.marker)} if step.marker is not None else {}),
    }


def _box(stored):
    if not stored:
        return None
    left, top, width, height = (int(x) for x in stored)
    return (left, top, width, height)


def _point(stored):
    if not stored:
        return None
    return (int(stored[0]), int(stored[1]))


def documentation_from(stored):
    """The stored documentation row as a ``docgen.Documentation`` (for export)."""
    from sessiondocs.docgen import Documentation, Step

    steps = [
        Step(
            number=int(s["number"]),
            title=s["title"],
            description=s["description"],
            screenshot_id=s["screenshotId"],
            filename=s["filename"],
            highlight=_box(s["highlight"]),
            changed_fraction=s["changedFraction"],
            captured_at=s["capturedAt"],
            marker=_point(s.get("marker")),
        )
        for s in stored["steps"]
    ]
    return Documentation(
        title=stored["title"], summary=stored["summary"], steps=steps, engine=stored["engine"]
    )


def _write(frames, title):
    """The offline steps, then the prose rewrite when a model is configured (off the loop)."""
    from sessiondocs.docgen import generate, prose_from_env, rewrite_or_keep, to_markdown

    doc = generate(frames, title)
    doc, prose_error = rewrite_or_keep(prose_from_env(), doc)
    return doc, to_markdown(doc), prose_error


@internal_action(
    args={"sessionId": v.string(), "generation": v.optional(v.number())}, returns=v.null()
)
async def generate(ctx, sessionId, generation=None):
    """Write the documentation from the session's read screenshots and store it."""
    from sessiondocs.docgen import Frame, InputEvent
    from sessiondocs.words import OcrResult

    token = {} if generation is None else {"generation": generation}

    try:
        session = await ctx.run_query("sessions:record", {"sessionId": sessionId})
        if session is None:
            return
        rows = await ctx.run_query("pipeline:frames", {"sessionId": sessionId})
        frames = []
        for row in rows:
            image = await ctx.storage.get(row["shot"]["fileId"])
            if image is None:
                continue
            frames.append(
                Frame(
                    screenshot_id=row["shot"]["_id"],
                    filename=row["shot"]["filename"],
                    captured_at=row["shot"]["capturedAt"],
                    image=image,
                    ocr=OcrResult.from_json(row["ocr"]),
                    event=InputEvent.from_json(row["shot"]["event"])
                    if row["shot"].get("event")
                    else None,
                )
            )
        title = session.get("title") or ""
        doc, content, prose_error = await asyncio.to_thread(_write, frames, title)
    except Exception as exc:
        await ctx.run_mutation(
            "docs:store",
            {
                "sessionId": sessionId,
                **token,
                "error": (str(exc) or type(exc).__name__)[:500],
            },
        )
        raise
    stored = {
        "sessionId": sessionId,
        **token,
        "title": doc.title or session.get("title") or f"Session on {session['pcName']}",
        "summary": doc.summary,
        "content": content,
        "steps": [_step_json(step) for step in doc.steps],
        "engine": doc.engine,
    }
    if prose_error is not None:
        stored["error"] = f"The language model was not used: {prose_error}"[:500]
    try:
        await ctx.run_mutation("docs:store", stored)
    except Exception as exc:
        # why: a documentation too large for one document (a very long session) is recorded
        # as failed, not left "generating"
        await ctx.run_mutation(
            "docs:store",
            {
                "sessionId": sessionId,
                **token,
                "error": f"The documentation could not be stored: {exc}"[:500],
            },
        )


@internal_mutation(
    args={
        "sessionId": v.string(),
        "generation": v.optional(v.number()),
        "title": v.optional(v.string()),
        "summary": v.optional(v.string()),
        "content": v.optional(v.string()),
        "steps": v.optional(v.array(v.any())),
        "engine": v.optional(v.string()),
        "error": v.optional(v.string()),
    },
    returns=v.null(),
)
async def store(
    ctx,
    sessionId,
    generation=None,
    title=None,
    summary=None,
    content=None,
    steps=None,
    engine=None,
    error=None,
):
    """Store a generated documentation, or (with only ``error``) record that writing failed."""
    doc = await doc_of(ctx, sessionId)
    if doc is None:
        return
    if generation is not None and doc.get("generation", generation) != generation:
        return  # why: a newer request is running; its result is the one to keep
    if content is None:
        await ctx.db.patch(doc["_id"], {"status": "failed", "error": error or "unknown error"})
        return
    await ctx.db.patch(
        doc["_id"],
        {
            "status": "ready",
            "title": title,
            "summary": summary,
            "content": content,
            "steps": steps,
            "engine": engine,
            "error": error if error is not None else undefined,
            "generatedAt": now_ms(),
        },
    )


@internal_query(
    args={"sessionId": v.string(), "shareToken": v.optional(v.string())},
    returns=v.nullable(
        v.object(
            {
                "doc": v.doc("documentation"),
                # each step's screenshot ID -> its image's file
                "files": v.record(v.string(), v.id("_storage")),
            }
        )
    ),
)
async def export_source(ctx, sessionId, shareToken=None):
    """The stored documentation and each step's file ID, for the export route; None when
    there is none, or when the caller (or the share link) may not read the session."""
    from sessiondocs.functions.shared import session_of_link

    try:
        if shareToken is not None:
            if (await session_of_link(ctx, shareToken))["sessionId"] != sessionId:
                return None
        else:
            await check_rule(ctx, SESSION_READ, {"sessionId": sessionId})
    except ConvexError:
        return None  # why: the same answer as a session that does not exist
    doc = await doc_of(ctx, sessionId)
    # why: while a regeneration runs, the last written version stays exportable
    if doc is None or doc.get("generatedAt") is None:
        return None
    files = {}
    for step in doc["steps"]:
        shot = await ctx.db.get(step["screenshotId"])
        if shot is not None:
            files[step["screenshotId"]] = shot["fileId"]
    return {"doc": doc, "files": files}
