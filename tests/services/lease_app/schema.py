from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "runs": define_table({"note": v.string()}),
        "busy": define_table({"at": v.number()}),
    }
)
