"""The OCR pipeline: each registered screenshot is read, redacted if asked, and stored.

A screenshot goes pending -> processing -> done. A failure (an unreadable image, an OCR
crash) is recorded on the screenshot and retried with a growing delay; after MAX_ATTEMPTS it
is marked failed with the error, never dropped. When the last screenshot of a completed
session is done, the session's documentation is written.
"""

import asyncio
import logging
import os
import weakref

from livebase import internal_action, internal_mutation, internal_query, undefined, v
from sessiondocs.functions._common import LEASE_MS, now_ms, screenshots_of
from sessiondocs.functions.schema import word

log = logging.getLogger("sessiondocs.pipeline")

MAX_ATTEMPTS = 3
# the first retry's delay; each next one doubles it (SESSIONDOCS_RETRY_MS sets it, e.g. in tests)
RETRY_BASE_MS = float(os.environ.get("SESSIONDOCS_RETRY_MS", "2000"))
CORES = max(1, len(os.sched_getaffinity(0)))
# why: OCR is CPU-bound, and the scheduler starts every due job at once; one read per core
# at a time, gated before the claim, so a backlog of uploads neither oversubscribes the cores
# nor loads every image into memory while it waits. One gate per event loop (tests and the
# CLI run actions on loops of their own).
_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
# an OCR result keeps at most this many words (a document stays well under livebase's 1 MB)
MAX_WORDS = 4000
# screenshots looked back over for one already read, whose unchanged parts a read carries over
EARLIER_LOOKBACK = 4
# an OCR result as an earlier screenshot's read carries it over (claim)
OCR_READ = v.object(
    {
        "text": v.string(),
        "words": v.array(word),
        "engine": v.string(),
        "seconds": v.number(),
        "icons": v.optional(v.array(word)),
    }
)


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _GATES:
        _GATES[loop] = asyncio.Semaphore(CORES)
    return _GATES[loop]


def _ocr_and_redact(image: bytes, redact: bool, earlier=None, secret_boxes=()):
    """OCR ``image`` (and redact it when asked); run off the event loop, under the gate.
    ``earlier``: an earlier screenshot of the session as stored and its OCR result, so that
    only what changed since is read (the words are the same). ``secret_boxes``: password
    fields the toolkit declared, covered whatever they show."""
    from sessiondocs.ocr import read_image, read_image_after
    from sessiondocs.redact import redact as redact_image
    from sessiondocs.words import OcrResult

    if earlier is None:
        result = read_image(image)
    else:
        png, stored = earlier
        result = read_image_after(image, png, OcrResult.from_json(stored))
    if not redact:
        return image, result, []
    return redact_image(image, result, [tuple(box) for box in secret_boxes])


def _image_size(image: bytes):
    import io

    from PIL import Image

    with Image.open(io.BytesIO(image)) as img:
        return img.size


@internal_mutation(
    args={"screenshotId": v.id("screenshots")},
    returns=v.nullable(
        v.object(
            {
                "fileId": v.id("_storage"),
                "redact": v.boolean(),
                "secretBoxes": v.optional(v.array(v.array(v.number()))),
                # an earlier screenshot already read, whose unchanged parts carry over
                "earlier": v.optional(v.object({"fileId": v.id("_storage"), "result": OCR_READ})),
            }
        )
    ),
)
async def claim(ctx, screenshotId):
    """Mark a pending screenshot as processing; returns what the OCR needs, or None."""
    shot = await ctx.db.get(screenshotId)
    if shot is None or shot["status"] != "pending":
        return None
    session = (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", shot["sessionId"]))
        .first()
    )
    await ctx.db.patch(
        screenshotId,
        {"status": "processing", "attempts": shot["attempts"] + 1, "claimedAt": now_ms()},
    )
    job = {"fileId": shot["fileId"], "redact": bool(session and session["redact"])}
    if shot.get("secretBoxes"):
        job["secretBoxes"] = shot["secretBoxes"]
    earlier = await _earlier_read(ctx, shot)
    if earlier is not None:
        job["earlier"] = earlier
    return job


async def _earlier_read(ctx, shot):
    """The latest screenshot of the session captured before ``shot`` and already read, as
    stored (its file, redacted if the session is) with its OCR result; None if there is none
    close by, or its words were cut at MAX_WORDS."""
    earlier = (
        ctx.db.query("screenshots")
        .with_index(
            "by_session",
            lambda q: q.eq("sessionId", shot["sessionId"]).lt("capturedAt", shot["capturedAt"]),
        )
        .order("desc")
    )
    for other in await earlier.take(EARLIER_LOOKBACK):
        if other["status"] != "done":
            continue
        result = (
            await ctx.db.query("ocrResults")
            .with_index(
                "by_screenshot", lambda q, shot_id=other["_id"]: q.eq("screenshotId", shot_id)
            )
            .first()
        )
        if result is None or len(result["words"]) >= MAX_WORDS:
            return None
        keep = ("text", "words", "engine", "seconds", "icons")
        return {"fileId": other["fileId"], "result": {k: result[k] for k in keep if k in result}}
    return None


@internal_mutation(
    args={
        "screenshotId": v.id("screenshots"),
        "result": v.any(),
        "width": v.number(),
        "height": v.number(),
        "redactedFileId": v.optional(v.id("_storage")),
        "redactions": v.array(v.string()),
    },
    returns=v.null(),
)
async def save(ctx, screenshotId, result, width, height, redactions, redactedFileId=None):
    """Store the OCR result and mark the screenshot done (the original file replaced by its
    redacted copy when redaction is on)."""
    shot = await ctx.db.get(screenshotId)
    if shot is None or shot["status"] != "processing":
        # why: deleted or retried meanwhile; the redacted copy would be an orphan
        if redactedFileId is not None:
            await ctx.storage.delete(redactedFileId)
        return
    patch = {
        "status": "done",
        "error": undefined,
        "width": width,
        "height": height,
        "redactions": redactions,
    }
    if redactedFileId is not None:
        await ctx.storage.delete(shot["fileId"])
        patch["fileId"] = redactedFileId
        patch["redacted"] = True
    await ctx.db.patch(screenshotId, patch)
    await ctx.db.insert(
        "ocrResults",
        {
            "screenshotId": screenshotId,
            "sessionId": shot["sessionId"],
            "text": result["text"],
            "words": result["words"],
            "engine": result["engine"],
            "seconds": result["seconds"],
            "processedAt": now_ms(),
            **({"icons": result["icons"]} if result.get("icons") else {}),
        },
    )
    await _document_when_finished(ctx, shot["sessionId"])


async def _document_when_finished(ctx, session_id):
    session = (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", session_id))
        .first()
    )
    if session is None or session["status"] != "completed":
        return
    shots = await screenshots_of(ctx, session_id)
    if all(s["status"] in ("done", "failed") for s in shots):
        await ctx.scheduler.run_after(0, "docs:request", {"sessionId": session_id})


@internal_mutation(
    args={
        "screenshotId": v.id("screenshots"),
        "error": v.string(),
        "orphan": v.optional(v.id("_storage")),
    },
    returns=v.null(),
)
async def fail(ctx, screenshotId, error, orphan=None):
    """Record a failed attempt: retry later, or mark failed after MAX_ATTEMPTS. ``orphan``: a
    redacted copy stored before the failure, deleted here."""
    if orphan is not None and await ctx.storage.get_metadata(orphan) is not None:
        await ctx.storage.delete(orphan)
    shot = await ctx.db.get(screenshotId)
    if shot is None or shot["status"] != "processing":
        return
    if shot["attempts"] < MAX_ATTEMPTS:
        await ctx.db.patch(screenshotId, {"status": "pending", "error": error})
        delay = RETRY_BASE_MS * 2 ** (shot["attempts"] - 1)
        await ctx.scheduler.run_after(delay, "pipeline:process", {"screenshotId": screenshotId})
        return
    await ctx.db.patch(screenshotId, {"status": "failed", "error": error})
    await _document_when_finished(ctx, shot["sessionId"])


@internal_action(args={"screenshotId": v.id("screenshots")}, returns=v.null())
async def process(ctx, screenshotId):
    """Read one screenshot: claim it, OCR (and redact) it off the loop, store the result."""
    async with _gate():
        job = await ctx.run_mutation("pipeline:claim", {"screenshotId": screenshotId})
        if job is None:
            return
        redacted_id = None
        try:
            image = await ctx.storage.get(job["fileId"])
            if image is None:
                raise ValueError("the screenshot's file is gone from storage")
            width, height = _image_size(image)
            earlier = None
            if "earlier" in job:
                png = await ctx.storage.get(job["earlier"]["fileId"])
                earlier = None if png is None else (png, job["earlier"]["result"])
            kept, result, findings = await asyncio.to_thread(
                _ocr_and_redact, image, job["redact"], earlier, job.get("secretBoxes", ())
            )
            if job["redact"]:
                redacted_id = await ctx.storage.store(kept, "image/png")
            ocr = result.to_json()
            ocr["words"] = ocr["words"][:MAX_WORDS]
            ocr["icons"] = ocr.get("icons", [])[:MAX_WORDS]
            saved = {
                "screenshotId": screenshotId,
                "result": ocr,
                "width": width,
                "height": height,
                "redactions": sorted({f.kind for f in findings}),
            }
            if redacted_id is not None:
                saved["redactedFileId"] = redacted_id
            await ctx.run_mutation("pipeline:save", saved)
        except Exception as exc:
            # why: whatever fails after the claim (OCR, storing, saving) is recorded and retried;
            # a screenshot left "processing" would hold back its session's documentation
            message = str(exc) or type(exc).__name__
            log.warning("OCR of screenshot %s failed: %s", screenshotId, message)
            await ctx.run_mutation(
                "pipeline:fail",
                {
                    "screenshotId": screenshotId,
                    "error": message[:500],
                    **({"orphan": redacted_id} if redacted_id is not None else {}),
                },
            )


@internal_mutation(args={}, returns=v.number())
async def requeue_stale(ctx):
    """Read again the screenshots whose read died with a stopped server (claimed too long ago).

    Run by a cron; scheduled actions run at most once, so a restart during OCR would otherwise
    leave a screenshot "processing" for good.
    """
    stale_before = now_ms() - LEASE_MS
    shots = (
        await ctx.db.query("screenshots")
        .with_index("by_status", lambda q: q.eq("status", "processing"))
        .collect()
    )
    requeued = 0
    for shot in shots:
        if shot.get("claimedAt", 0) < stale_before:
            await ctx.db.patch(shot["_id"], {"status": "pending"})
            await ctx.scheduler.run_after(0, "pipeline:process", {"screenshotId": shot["_id"]})
            requeued += 1
    return requeued


@internal_query(
    args={"sessionId": v.string()},
    returns=v.array(v.object({"shot": v.doc("screenshots"), "ocr": v.doc("ocrResults")})),
)
async def frames(ctx, sessionId):
    """What the documentation is written from: done screenshots with their OCR results."""
    out = []
    for shot in await screenshots_of(ctx, sessionId):
        if shot["status"] != "done":
            continue
        ocr = (
            await ctx.db.query("ocrResults")
            .with_index("by_screenshot", lambda q, s=shot: q.eq("screenshotId", s["_id"]))
            .first()
        )
        if ocr is not None:
            out.append({"shot": shot, "ocr": ocr})
    return out
