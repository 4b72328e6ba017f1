"""What sessiondocs' functions return, for the shapes several of them share: their ``returns=``
validators, checked on every call and read by ``livebase codegen`` into the web app's types.

A listed session or screenshot is its document with a few fields added, so its validator is
the table's own fields (from the schema) plus those.
"""

from livebase import v
from sessiondocs.functions.schema import schema


def _document(table, **changed):
    """A document of ``table`` as a function shows it: its system and schema fields, with
    ``changed`` replacing some of them and adding others."""
    document = schema.tables[table].document
    assert document is not None  # every sessiondocs table has a schema
    return v.object(
        {
            "_id": v.id(table),
            "_creationTime": v.number(),
            **document.fields,
            **changed,
        }
    )


ACCESS = v.union(v.literal("read"), v.literal("edit"))
SESSION_ACCESS = v.union(v.literal("owner"), v.literal("edit"), v.literal("read"))
DOC_STATUS = v.union(v.literal("generating"), v.literal("ready"), v.literal("failed"))

# a session in the lists and on its page (sessions.with_counts): the caller's access, how many
# of its screenshots are in each OCR state, and its documentation's status (None: not written).
# Through a share link its ownerId is left out (optional in the schema already).
SESSION = _document(
    "sessions",
    counts=v.object(
        {
            "screenshots": v.number(),
            "pending": v.number(),
            "processing": v.number(),
            "done": v.number(),
            "failed": v.number(),
        }
    ),
    docStatus=v.nullable(DOC_STATUS),
    access=SESSION_ACCESS,
)

# a screenshot as a session's page lists it (screenshots.listing): its image URL (None while a
# redacting session's copy is not redacted yet, whose fileId is then left out, or when the file
# is gone) and its OCR summary (None until it is read)
SCREENSHOT = _document(
    "screenshots",
    fileId=v.optional(v.id("_storage")),
    url=v.nullable(v.string()),
    ocr=v.nullable(
        v.object(
            {
                "text": v.string(),
                "engine": v.string(),
                "wordCount": v.number(),
                "seconds": v.number(),
                "processedAt": v.number(),
            }
        )
    ),
)

# the documentation of a session, or None before it is first written
DOCUMENTATION = v.nullable(v.doc("documentation"))
