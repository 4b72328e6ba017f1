"""``boards`` (one small document per name, looked up by index) and ``notes`` (insert-only)."""

from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "boards": define_table(
            {"name": v.string(), "seq": v.number(), "at": v.number(), "text": v.string()}
        ).index("by_name", ["name"]),
        "notes": define_table({"author": v.string(), "body": v.string(), "n": v.number()}),
    }
)
