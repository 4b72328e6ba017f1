import pytest

from livebase import SchemaError, define_schema, define_table, v


def test_schema_exports_tables_and_indexes():
    schema = define_schema(
        {
            "messages": define_table({"body": v.string(), "author": v.string()}).index(
                "by_author", ["author"]
            )
        }
    )
    exported = schema.export()
    assert exported["schemaValidation"] is True
    table = exported["tables"][0]
    assert table["tableName"] == "messages"
    assert table["indexes"] == [{"indexDescriptor": "by_author", "fields": ["author"]}]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: define_table({"a": v.string()}).index("by_id", ["a"]), "reserved"),
        (lambda: define_table({"a": v.string()}).index("by_a", ["_creationTime"]), "system field"),
        (
            lambda: define_table({"a": v.string()}).index("by_a", ["a"]).index("by_a", ["a"]),
            "Duplicate",
        ),
        (lambda: define_table({"a": v.string()}).index("by_a", []), "1 to 16"),
        (lambda: define_table({"a": v.string()}).index("by_a", "a"), "list"),
        (lambda: define_table({"_a": v.string()}), "reserved"),
        (lambda: define_schema({"bad name": define_table()}), "Invalid table name"),
        (lambda: define_schema({"_system": define_table()}), "Invalid table name"),
        (lambda: define_schema({"t": {"a": v.string()}}), "define_table"),
    ],
)
def test_malformed_schemas_are_refused_with_a_reason(build, message):
    with pytest.raises(SchemaError, match=message):
        build()
