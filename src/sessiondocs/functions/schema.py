"""sessiondocs' tables: what a capture session leaves behind, stage by stage."""

from livebase import define_schema, define_table, v

word = v.object(
    {
        "text": v.string(),
        "left": v.number(),
        "top": v.number(),
        "width": v.number(),
        "height": v.number(),
        "conf": v.number(),
    }
)

box = v.array(v.number())  # [left, top, width, height]

step = v.object(
    {
        "number": v.number(),
        "title": v.string(),
        "description": v.string(),
        "screenshotId": v.string(),
        "filename": v.string(),
        "highlight": v.union(box, v.null()),
        "changedFraction": v.number(),
        "capturedAt": v.number(),
    }
)

schema = define_schema(
    {
        "sessions": define_table(
            {
                "sessionId": v.string(),
                "pcName": v.string(),
                "title": v.optional(v.string()),
                "startTime": v.number(),
                "endTime": v.optional(v.number()),
                "status": v.union(v.literal("active"), v.literal("completed")),
                "redact": v.boolean(),
            }
        )
        .index("by_sessionId", ["sessionId"])
        .index("by_startTime", ["startTime"]),
        "screenshots": define_table(
            {
                "sessionId": v.string(),
                "filename": v.string(),
                "fileId": v.id("_storage"),
                "uploadedAt": v.number(),
                "capturedAt": v.number(),
                # pending -> processing -> done, or back to pending for a retry, or failed
                "status": v.union(
                    v.literal("pending"),
                    v.literal("processing"),
                    v.literal("done"),
                    v.literal("failed"),
                ),
                "attempts": v.number(),
                "claimedAt": v.optional(v.number()),
                "error": v.optional(v.string()),
                "redacted": v.optional(v.boolean()),
                "redactions": v.optional(v.array(v.string())),
                "width": v.optional(v.number()),
                "height": v.optional(v.number()),
            }
        )
        .index("by_session", ["sessionId", "capturedAt"])
        .index("by_session_filename", ["sessionId", "filename"])
        .index("by_file", ["fileId"])
        .index("by_status", ["status"]),
        "ocrResults": define_table(
            {
                "screenshotId": v.id("screenshots"),
                "sessionId": v.string(),
                "text": v.string(),
                "words": v.array(word),
                "engine": v.string(),
                "seconds": v.number(),
                "processedAt": v.number(),
            }
        )
        .index("by_screenshot", ["screenshotId"])
        .index("by_session", ["sessionId"]),
        "documentation": define_table(
            {
                "sessionId": v.string(),
                "status": v.union(v.literal("generating"), v.literal("ready"), v.literal("failed")),
                "title": v.string(),
                "summary": v.string(),
                "content": v.string(),  # Markdown
                "steps": v.array(step),
                "engine": v.string(),
                "error": v.optional(v.string()),
                "requestedAt": v.number(),
                # bumped by every request; a run stores its result only if still the latest
                "generation": v.optional(v.number()),
                "generatedAt": v.optional(v.number()),
            }
        ).index("by_session", ["sessionId"]),
    }
)
