"""Screenshots: uploaded to file storage, registered, then read by OCR in the background."""

import math

from livebase import ConvexError, mutation, query, undefined, v
from sessiondocs.functions._access import (
    SESSION_EDIT,
    SESSION_READ,
    SESSION_UPLOAD,
    UPLOADER,
    allow,
)
from sessiondocs.functions._common import (
    LEASE_MS,
    checked_text,
    now_ms,
    screenshots_of,
    session_by_id,
)
from sessiondocs.functions._shapes import SCREENSHOT
from sessiondocs.functions.schema import input_event

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_IMAGE_BYTES = 20 * 1024 * 1024


@mutation(args={}, returns=v.string())
@allow(UPLOADER)
async def generate_upload_url(ctx):
    """A one-time URL to POST one screenshot to; the answer carries its ``storageId``."""
    return await ctx.storage.generate_upload_url()


@mutation(
    args={
        "sessionId": v.string(),
        "filename": v.string(),
        "storageId": v.id("_storage"),
        "capturedAt": v.optional(v.number()),
        "event": v.optional(input_event),
        "secretBoxes": v.optional(v.array(v.array(v.number()))),
    },
    returns=v.id("screenshots"),
)
@allow(SESSION_UPLOAD)
async def register_screenshot(
    ctx, sessionId, filename, storageId, capturedAt=None, event=None, secretBoxes=None
):
    """Register an uploaded screenshot and schedule its OCR; returns the screenshot's ID.

    ``event`` is the input the agent recorded just before taking it (a click or a key that
    acts); a key must be named ("Enter", "Ctrl+S"), never be a character typed.
    ``secretBoxes``: ``[left, top, width, height]`` of each password field showing on it, as
    the window toolkit declared them; with redaction on, they are covered like any secret.

    A file name is a screenshot's identity within its session: registering the same name again
    returns the first registration (and drops the new upload), so an agent that retries after
    a lost answer does not add the screenshot twice. Clients uploading files of the same name
    give them distinct names. A refused registration leaves the upload in storage; the
    client discards it with ``screenshots:discardUpload``.
    """
    session = await session_by_id(ctx, sessionId)
    name = checked_text(filename, "filename")
    existing = (
        await ctx.db.query("screenshots")
        .with_index(
            "by_session_filename", lambda q: q.eq("sessionId", sessionId).eq("filename", name)
        )
        .first()
    )
    used_by = (
        await ctx.db.query("screenshots")
        .with_index("by_file", lambda q: q.eq("fileId", storageId))
        .first()
    )
    if existing is not None:
        if used_by is None and await ctx.storage.get_metadata(storageId) is not None:
            # why: the retried upload made a second blob; only the registered one is kept
            await ctx.storage.delete(storageId)
        return existing["_id"]
    if used_by is not None:
        raise ConvexError(
            {"code": "bad_request", "message": "That file is already another screenshot's"}
        )
    if session["status"] != "active":
        raise ConvexError(
            {"code": "session_completed", "message": f"Session {sessionId!r} is completed"}
        )
    meta = await ctx.storage.get_metadata(storageId)
    if meta is None:
        raise ConvexError({"code": "not_found", "message": "No uploaded file with that storageId"})
    if meta.get("contentType") not in IMAGE_TYPES:
        raise ConvexError(
            {
                "code": "bad_request",
                "message": f"A screenshot must be PNG, JPEG or WebP, not {meta.get('contentType')}",
            }
        )
    if meta["size"] > MAX_IMAGE_BYTES:
        raise ConvexError({"code": "too_large", "message": "The screenshot is larger than 20 MB"})
    now = now_ms()
    shot = {
        "sessionId": sessionId,
        "filename": name,
        "fileId": storageId,
        "uploadedAt": now,
        "capturedAt": capturedAt if capturedAt is not None else now,
        "status": "pending",
        "attempts": 0,
    }
    if event is not None:
        shot["event"] = checked_event(event, redact=session.get("redact", True))
    if secretBoxes:
        shot["secretBoxes"] = checked_boxes(secretBoxes)
    shot_id = await ctx.db.insert("screenshots", shot)
    await ctx.scheduler.run_after(0, "pipeline:process", {"screenshotId": shot_id})
    return shot_id


MAX_KEY_NAME = 40
MAX_WINDOW_TITLE = 300


def _bad(message):
    return ConvexError({"code": "bad_request", "message": message})


MAX_SECRET_BOXES = 64
MAX_PIXELS_SIDE = 100_000  # no screen is wider or taller


def checked_boxes(boxes):
    """Password field boxes as stored: at most MAX_SECRET_BOXES of four whole numbers each,
    a non-negative corner and a positive size."""
    if len(boxes) > MAX_SECRET_BOXES:
        raise _bad(f"At most {MAX_SECRET_BOXES} secretBoxes per screenshot")
    out = []
    for i, box in enumerate(boxes):
        if len(box) != 4 or not all(math.isfinite(n) and int(n) == n for n in box):
            raise _bad(f"secretBoxes[{i}] must be four whole numbers: left, top, width, height")
        left, top, width, height = (int(n) for n in box)
        if min(left, top) < 0 or min(width, height) <= 0 or max(box) > MAX_PIXELS_SIDE:
            raise _bad(f"secretBoxes[{i}] is not a box on a screen: {box}")
        out.append([left, top, width, height])
    return out


def checked_event(event, redact):
    """A recorded input event as stored: complete for its kind, its key a name and not a typed
    character, its window title cut to length (and redacted like the OCR text when the session
    redacts); a bad_request error naming what is wrong otherwise."""
    if event["kind"] == "click":
        if "x" not in event or "y" not in event:
            raise _bad("event: a click needs its position (x and y)")
        if event["x"] < 0 or event["y"] < 0:
            raise _bad("event: a click's position is in the screenshot, not negative")
        if "key" in event:
            raise _bad("event: a click names no key")
    else:
        key = event.get("key", "").strip()
        if not key:
            raise _bad("event: a key event needs the key's name (key)")
        if len(key) > MAX_KEY_NAME:
            raise _bad(f"event: a key's name is at most {MAX_KEY_NAME} characters")
        if len(key) == 1:
            raise _bad("event: keys are recorded by name (Enter, Ctrl+S), never as typed text")
    checked = dict(event)
    window = event.get("window")
    if window is not None:
        from sessiondocs.redact import scrub

        window = " ".join(window.split())[:MAX_WINDOW_TITLE]
        checked["window"] = scrub(window) if redact else window
    return checked


@mutation(args={"storageId": v.id("_storage")}, returns=v.boolean())
@allow(UPLOADER)
async def discard_upload(ctx, storageId):
    """Delete an uploaded file that no screenshot uses (an upload whose registration was
    refused); a file a screenshot uses is kept. Returns whether it was deleted."""
    in_use = (
        await ctx.db.query("screenshots")
        .with_index("by_file", lambda q: q.eq("fileId", storageId))
        .first()
    )
    if in_use is not None or await ctx.storage.get_metadata(storageId) is None:
        return False
    await ctx.storage.delete(storageId)
    return True


@query(args={"sessionId": v.string()}, returns=v.array(SCREENSHOT))
@allow(SESSION_READ)
async def list_by_session(ctx, sessionId):
    """A session's screenshots in capture order, each with its image URL and OCR text.

    In a session with redaction on, a screenshot's image is served only once its redacted
    copy has replaced the upload (``url`` is None until then).
    """
    return await listing(ctx, sessionId)


async def listing(ctx, sessionId):
    """What ``list_by_session`` answers, for whoever may read the session."""
    session = (
        await ctx.db.query("sessions")
        .with_index("by_sessionId", lambda q: q.eq("sessionId", sessionId))
        .first()
    )
    redacting = bool(session and session["redact"])
    out = []
    for shot in await screenshots_of(ctx, sessionId):
        ocr = (
            await ctx.db.query("ocrResults")
            .with_index("by_screenshot", lambda q, s=shot: q.eq("screenshotId", s["_id"]))
            .first()
        )
        hidden = redacting and not shot.get("redacted")
        if hidden:
            # why: the upload's storage ID would reach the unredacted image
            shot = {k: val for k, val in shot.items() if k != "fileId"}
        out.append(
            {
                **shot,
                "url": None if hidden else await ctx.storage.get_url(shot["fileId"]),
                "ocr": None
                if ocr is None
                else {
                    "text": ocr["text"],
                    "engine": ocr["engine"],
                    "wordCount": len(ocr["words"]),
                    "seconds": ocr["seconds"],
                    "processedAt": ocr["processedAt"],
                },
            }
        )
    return out


@query(args={"screenshotId": v.id("screenshots")}, returns=v.nullable(v.doc("ocrResults")))
@allow(SESSION_READ)
async def get_ocr(ctx, screenshotId):
    """A screenshot's full OCR result (text, word boxes, confidences), or None."""
    return (
        await ctx.db.query("ocrResults")
        .with_index("by_screenshot", lambda q: q.eq("screenshotId", screenshotId))
        .first()
    )


@mutation(args={"screenshotId": v.id("screenshots")}, returns=v.null())
@allow(SESSION_EDIT)
async def retry(ctx, screenshotId):
    """Run OCR again for a screenshot that failed."""
    shot = await ctx.db.get(screenshotId)
    if shot is None:
        raise ConvexError({"code": "not_found", "message": "No such screenshot"})
    stale = shot["status"] == "processing" and shot.get("claimedAt", 0) < now_ms() - LEASE_MS
    if shot["status"] != "failed" and not stale:
        raise ConvexError(
            {"code": "bad_request", "message": f"The screenshot is {shot['status']}, not failed"}
        )
    await ctx.db.patch(screenshotId, {"status": "pending", "attempts": 0, "error": undefined})
    await ctx.scheduler.run_after(0, "pipeline:process", {"screenshotId": screenshotId})
