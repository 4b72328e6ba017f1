"""The vector bench app: ``items`` with a 1,536-dimension vector index filtered by ``kind``."""

from livebase import define_schema, define_table, v

DIMENSIONS = 1536

schema = define_schema(
    {
        "items": define_table({"embedding": v.array(v.float64()), "kind": v.string()}).vector_index(
            "by_embedding", vector_field="embedding", dimensions=DIMENSIONS, filter_fields=["kind"]
        ),
    }
)
