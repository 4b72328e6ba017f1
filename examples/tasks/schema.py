"""The tasks example's schema: one table with an index."""

from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "tasks": define_table(
            {"text": v.string(), "done": v.boolean(), "priority": v.optional(v.number())}
        ).index("by_done", ["done"]),
    }
)
