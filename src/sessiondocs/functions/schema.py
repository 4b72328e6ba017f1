"""sessiondocs' tables: what a capture session leaves behind, stage by stage."""

from livebase import Invitations, define_schema, define_table, v

invitations = Invitations("invites", inviter_table="users")

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

# what the person did just before a screenshot, as the capture agent recorded it: a click
# (where, which button) or a key that acts (Enter, Tab, a shortcut), never a typed character
input_event = v.object(
    {
        "kind": v.union(v.literal("click"), v.literal("key")),
        "at": v.number(),  # ms since the epoch
        "x": v.optional(v.number()),  # a click's position, in the screenshot's pixels
        "y": v.optional(v.number()),
        "button": v.optional(v.union(v.literal("left"), v.literal("right"), v.literal("middle"))),
        "key": v.optional(v.string()),  # "Enter", "Tab", "Escape", "Ctrl+S"
        "window": v.optional(v.string()),  # the window under the pointer, or with the focus
    }
)

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
        "marker": v.optional(v.array(v.number())),  # [x, y]: where the step's click landed
    }
)

schema = define_schema(
    {
        # people: made when an invited (or allowed-domain) account signs up
        "users": define_table(
            {
                "email": v.string(),
                "name": v.string(),
                "tokenIdentifier": v.optional(v.string()),
                "isAdmin": v.boolean(),
                "isActive": v.boolean(),
                "createdAt": v.number(),
            }
        )
        .index("by_email", ["email"])
        .index("by_token", ["tokenIdentifier"]),
        # an administrator's invitation: a one-time sign-up link for one email
        "invites": invitations.table(isAdmin=v.boolean()),
        # a capture agent's token: uploads into its person's sessions, revocable
        "devices": define_table(
            {
                "userId": v.id("users"),
                "name": v.string(),
                "tokenHash": v.string(),
                "createdAt": v.number(),
                "lastUsedAt": v.optional(v.number()),
                "revoked": v.boolean(),
            }
        )
        .index("by_user", ["userId", "createdAt"])
        .index("by_hash", ["tokenHash"]),
        # a session shared with a named person (by email), to read or to edit
        "shares": define_table(
            {
                "sessionId": v.string(),
                "email": v.string(),
                "access": v.union(v.literal("read"), v.literal("edit")),
                "sharedBy": v.id("users"),
                "createdAt": v.number(),
            }
        )
        .index("by_session", ["sessionId", "email"])
        .index("by_email", ["email"]),
        # a read-only link for people without an account, revocable
        "shareLinks": define_table(
            {
                "sessionId": v.string(),
                "tokenHash": v.string(),
                "createdBy": v.id("users"),
                "createdAt": v.number(),
                "revoked": v.boolean(),
            }
        )
        .index("by_hash", ["tokenHash"])
        .index("by_session", ["sessionId", "createdAt"]),
        "sessions": define_table(
            {
                "sessionId": v.string(),
                "ownerId": v.optional(v.id("users")),  # who recorded it (older sessions: none)
                "pcName": v.string(),
                "title": v.optional(v.string()),
                "startTime": v.number(),
                "endTime": v.optional(v.number()),
                "status": v.union(v.literal("active"), v.literal("completed")),
                "redact": v.boolean(),
            }
        )
        .index("by_sessionId", ["sessionId"])
        .index("by_startTime", ["startTime"])
        .index("by_owner", ["ownerId", "startTime"]),
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
                "event": v.optional(input_event),  # the input it was captured just after
                # password fields showing, as the toolkit declared them: [left, top, w, h]
                "secretBoxes": v.optional(v.array(v.array(v.number()))),
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
                # read but judged icons (sessiondocs.words.OcrResult.icons)
                "icons": v.optional(v.array(word)),
            }
        )
        .index("by_screenshot", ["screenshotId"])
        .index("by_session", ["sessionId"])
        .search_index("search_text", search_field="text", filter_fields=["sessionId"]),
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
        )
        .index("by_session", ["sessionId"])
        .search_index("search_content", search_field="content", filter_fields=["sessionId"]),
    }
)
