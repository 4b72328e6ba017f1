from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "files": define_table(
            {"storageId": v.id("_storage"), "name": v.string(), "owner": v.optional(v.string())}
        ),
        "runs": define_table(
            {"job": v.string(), "at": v.number(), "note": v.optional(v.string())}
        ).index("by_job", ["job"]),
        "profiles": define_table(
            {"tokenIdentifier": v.string(), "email": v.optional(v.string())}
        ).index("by_token", ["tokenIdentifier"]),
        "deep": define_table({"value": v.any()}),
    }
)
