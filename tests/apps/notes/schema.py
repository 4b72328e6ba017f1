from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "notes": define_table(
            {
                "author": v.string(),
                "body": v.string(),
                "pinned": v.optional(v.boolean()),
                "score": v.optional(v.number()),
                "tags": v.optional(v.array(v.string())),
            }
        )
        .index("by_author", ["author"])
        .index("by_author_score", ["author", "score"])
        .search_index("search_body", search_field="body", filter_fields=["author", "pinned"]),
        "counters": define_table(
            {"name": v.string(), "value": v.number(), "big": v.optional(v.int64())}
        ).index("by_name", ["name"]),
        "comments": define_table({"noteId": v.id("notes"), "text": v.string()}).index(
            "by_note", ["noteId"]
        ),
    }
)
