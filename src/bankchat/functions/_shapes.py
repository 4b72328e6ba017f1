"""What bankchat's functions return, as ``returns=`` validators shared by several modules.

Return values are checked against these when a call ends (an extra or a missing field fails
the call), and ``livebase codegen`` turns them into the web app's types
(``web/bankchat/src/convex/_generated``). A document with fields added (a favorite with
``mine``) is its table's fields plus those: ``document(table, mine=v.boolean())``.
"""

from bankchat.functions.schema import schema
from livebase import v


def table_fields(table):
    """A document's fields, system fields included, as the schema declares them."""
    document = schema.tables[table].document
    assert document is not None, f"{table} has no declared fields"
    return {"_id": v.id(table), "_creationTime": v.number(), **document.fields}


def document(table, **changed):
    """A document of ``table`` with fields added or typed more closely than the schema does."""
    return v.object({**table_fields(table), **changed})


def literals(*values):
    return v.union(*(v.literal(value) for value in values))


# --- answers -------------------------------------------------------------------------------

# a SQL value as JSON: text, a number, a boolean or null (an array or an object for the
# rare column of such a type), so cells are not narrowed further
Cell = v.any()
Rows = v.array(v.array(Cell))

# service.chart_for: never code, only which columns to plot
ChartSpec = v.object(
    {
        "type": literals("bar", "line"),
        "x": v.string(),
        "y": v.string(),
        "title": v.string(),
        "xLabel": v.optional(v.string()),
        "yLabel": v.optional(v.string()),
    }
)

# a result column in the bank's words (sql.explain.ColumnInfo); a column the explainer could
# not read has only its name, label and kind
ColumnInfo = v.object(
    {
        "name": v.string(),
        "label": v.string(),
        "kind": literals("id", "text", "code", "date", "money", "number", "percent", "count"),
        "unit": v.optional(v.nullable(v.string())),
        "source": v.optional(v.nullable(v.string())),
        "values": v.optional(v.record(v.string(), v.string())),
    }
)

# one line of what the SQL computes: the clause or convention, in words
InterpretationLine = v.object({"part": v.string(), "text": v.string()})

# one reading of an ambiguous question: what it means, and its SQL
Choice = v.object({"label": v.string(), "sql": v.string()})

Status = literals("success", "error", "denied", "not_understood", "ambiguous")

# an assistant's or a user's turn, with the answer's chart and columns typed
Message = document(
    "messages",
    chart=v.optional(ChartSpec),
    columnInfo=v.optional(v.array(ColumnInfo)),
)

# what chat:ask, chat:runSql, favorites:runFavorite and history:rerun return: the fields of
# service.AskResult, its status, and where the answer was recorded
AskResult = v.object(
    {
        "question": v.nullable(v.string()),
        "sql": v.nullable(v.string()),
        "columns": v.array(v.string()),
        "rows": Rows,
        "row_count": v.number(),
        "truncated": v.boolean(),
        "engine": v.nullable(v.string()),
        "explanation": v.nullable(v.string()),
        "error": v.nullable(v.string()),
        "denied": v.boolean(),
        "not_understood": v.boolean(),
        "tables": v.array(v.string()),
        "execution_ms": v.nullable(v.number()),
        "chart": v.nullable(ChartSpec),
        "column_info": v.array(ColumnInfo),
        "interpretation": v.array(InterpretationLine),
        "flags": v.array(v.string()),
        "choices": v.array(Choice),
        "status": Status,
        "conversationId": v.id("conversations"),
        "messageId": v.nullable(v.id("messages")),
    }
)

# --- search --------------------------------------------------------------------------------

# a text with the character spans ([start, end)) a search matched (livebase.highlight)
Marked = v.object({"text": v.string(), "matches": v.array(v.array(v.number()))})

# --- audit ---------------------------------------------------------------------------------

# an audit entry; with a text filter, the fields whose words matched, marked
AuditEntry = document(
    "auditLogs",
    outcome=v.optional(literals("answered", "refused", "not_understood", "failed", "asked_back")),
    found=v.optional(
        v.object(
            {
                "question": v.optional(Marked),
                "sql": v.optional(Marked),
                "reason": v.optional(Marked),
            }
        )
    ),
)

# --- people --------------------------------------------------------------------------------

Feature = literals("admin", "analytics", "audit")
TeamRole = literals("owner", "member")
Preferences = table_fields("users")["preferences"]
