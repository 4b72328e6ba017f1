from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "authors": define_table(
            {
                "name": v.string(),
                "age": v.number(),
                "active": v.boolean(),
                "tags": v.array(v.string()),
                "address": v.object({"city": v.string(), "zip": v.optional(v.string())}),
            }
        ).index("by_name", ["name"]),
        "posts": define_table(
            {
                "authorId": v.id("authors"),
                "title": v.string(),
                "views": v.optional(v.int64()),
                "digest": v.optional(v.bytes()),
                "extra": v.optional(v.any()),
                "attachment": v.optional(v.id("_storage")),
            }
        ).index("by_author", ["authorId"]),
        "events": define_table({"n": v.number()}),
        "totals": define_table({"name": v.string(), "count": v.number()}).index(
            "by_name", ["name"]
        ),
    }
)
