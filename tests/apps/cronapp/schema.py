from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "runs": define_table({"job": v.string(), "note": v.optional(v.string())}).index(
            "by_job", ["job"]
        ),
    }
)
