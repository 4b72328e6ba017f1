from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "notes": define_table(
            {"author": v.string(), "body": v.string(), "score": v.optional(v.number())}
        )
        .index("by_author", ["author"])
        .index("by_author_score", ["author", "score"])
        .index("by_score", ["score"]),
    }
)
