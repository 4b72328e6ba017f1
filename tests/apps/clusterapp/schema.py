from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "runs": define_table(
            {"tag": v.string(), "i": v.number(), "note": v.optional(v.string())}
        ).index("by_tag", ["tag"]),
        "ticks": define_table({"at": v.number()}),
        "counters": define_table({"name": v.string(), "value": v.number()}).index(
            "by_name", ["name"]
        ),
    }
)
