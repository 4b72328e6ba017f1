"""The bench app's schema: ``items`` with one index, as the raw sqlite3 baseline has."""

from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "items": define_table({"name": v.string(), "value": v.number(), "group": v.number()}).index(
            "by_value", ["value"]
        ),
    }
)
