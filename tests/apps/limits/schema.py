from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "counters": define_table({"name": v.string(), "value": v.number()}).index(
            "by_name", ["name"]
        ),
        "rows": define_table({"n": v.number(), "text": v.string()}),
    }
)
