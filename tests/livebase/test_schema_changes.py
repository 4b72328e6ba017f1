"""Schemas checked at start; new tables and indexes on an existing database."""

import pytest

from livebase import Runtime, SchemaError
from tests.livebase.appfactory import write_app

V1 = """
from livebase import define_schema, define_table, v
schema = define_schema(
    {"people": define_table({"name": v.string(), "city": v.optional(v.string())})}
)
"""
V2 = """
from livebase import define_schema, define_table, v
schema = define_schema({
    "people": define_table({"name": v.string(), "city": v.optional(v.string())})
        .index("by_city", ["city"]),
    "pets": define_table({"owner": v.id("people"), "kind": v.string()}),
})
"""
V3 = """
from livebase import define_schema, define_table, v
schema = define_schema({"people": define_table({"name": v.string(), "age": v.number()})})
"""
FUNCS = """
from livebase import mutation, v
from livebase import query

@mutation
async def add(ctx, name, city=None):
    doc = {"name": name}
    if city:
        doc["city"] = city
    return await ctx.db.insert("people", doc)

@query
async def count(ctx):
    return len(await ctx.db.query("people").collect())
"""
FUNCS2 = (
    FUNCS
    + """
@query
async def in_city(ctx, city):
    rows = ctx.db.query("people").with_index("by_city", lambda q: q.eq("city", city))
    return [p["name"] for p in await rows.collect()]

@mutation
async def add_pet(ctx, owner, kind):
    return await ctx.db.insert("pets", {"owner": owner, "kind": kind})
"""
)


def test_a_new_table_and_index_work_on_an_existing_database(tmp_path):
    data = tmp_path / "data"
    v1 = write_app(tmp_path, V1, people=FUNCS)
    with Runtime(v1, data) as runtime:
        ann = runtime.call("people:add", {"name": "ann", "city": "Brno"})
        runtime.call("people:add", {"name": "bob", "city": "Praha"})
        runtime.call("people:add", {"name": "cid", "city": "Brno"})
    v2 = write_app(tmp_path, V2, people=FUNCS2)
    with Runtime(v2, data) as runtime:
        assert runtime.call("people:in_city", {"city": "Brno"}) == ["ann", "cid"]  # backfilled
        runtime.call("people:add", {"name": "dan", "city": "Brno"})
        assert runtime.call("people:in_city", {"city": "Brno"}) == ["ann", "cid", "dan"]
        assert runtime.call("people:add_pet", {"owner": ann, "kind": "cat"})
    with Runtime(v2, data) as runtime:  # a second start with the same schema changes nothing
        assert runtime.call("people:count") == 4


def test_a_schema_that_stored_documents_break_is_refused_with_the_field_named(tmp_path):
    data = tmp_path / "data"
    v1 = write_app(tmp_path, V1, people=FUNCS)
    with Runtime(v1, data) as runtime:
        runtime.call("people:add", {"name": "ann"})
    v3 = write_app(tmp_path, V3, people=FUNCS)
    with pytest.raises(SchemaError, match=r"table 'people'.*\.age"):
        Runtime(v3, data)
    with Runtime(v1, data) as runtime:  # the refused start changed nothing
        assert runtime.call("people:count") == 1


def test_dropping_an_index_removes_its_entries(tmp_path):
    data = tmp_path / "data"
    v2 = write_app(tmp_path, V2, people=FUNCS2)
    with Runtime(v2, data) as runtime:
        runtime.call("people:add", {"name": "ann", "city": "Brno"})
    v1 = write_app(tmp_path, V1, people=FUNCS)
    with Runtime(v1, data) as runtime:
        assert "by_city" not in runtime.db.catalog.table("people").indexes
        assert runtime.call("people:count") == 1
        snap = runtime.db.persistence.snapshot()
        rows = snap._conn.execute("SELECT count(*) FROM indexes").fetchone()[0]  # type: ignore[attr-defined]
        snap.close()
        assert rows == 1  # only by_creation_time of the one document


def test_an_app_without_a_schema_creates_tables_on_first_insert(tmp_path):
    package = write_app(tmp_path, "", things=FUNCS.replace('"people"', '"things"'))
    (package / "schema.py").unlink()
    with Runtime(package, tmp_path / "data") as runtime:
        runtime.call("things:add", {"name": "x"})
        assert runtime.call("things:count") == 1
