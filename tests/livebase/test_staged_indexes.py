"""Convex's staged indexes: declared with ``staged=True``, neither built nor queryable until
the flag is removed; querying one is refused with Convex's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from livebase import Runtime, SchemaError, define_table, v
from livebase.testing import AppTester
from tests.livebase.appfactory import write_app

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema({{
    "people": define_table({{"name": v.string(), "embedding": v.array(v.float64())}})
    .index("by_name", {{"fields": ["name"], "staged": {staged}}})
    .search_index("search_by_name", {{"searchField": "name", "staged": {staged}}})
    .vector_index("by_embedding", vector_field="embedding", dimensions=3, staged={staged}),
}})
"""

PEOPLE = """
from livebase import action, mutation, query, v


@mutation(args={"name": v.string()})
async def add(ctx, name):
    return await ctx.db.insert("people", {"name": name, "embedding": [1.0, 2.0, 3.0]})


@query(args={})
async def by_name(ctx):
    return [p["name"] for p in await ctx.db.query("people").with_index("by_name").collect()]


@query(args={})
async def search(ctx):
    found = ctx.db.query("people").with_search_index(
        "search_by_name", lambda q: q.search("name", "nipunn")
    )
    return [p["name"] for p in await found.collect()]


@action(args={})
async def nearest(ctx):
    return len(await ctx.vector_search("people", "by_embedding", {"vector": [1.0, 2.0, 3.0]}))
"""


def staged_app(root: Path, staged: bool) -> Path:
    return write_app(root, SCHEMA.format(staged=staged), people=PEOPLE)


def test_querying_a_staged_index_is_refused_with_convexs_words(tmp_path: Path) -> None:
    with AppTester(staged_app(tmp_path / "apps", True), tmp_path / "data") as t:
        t.mutation("people:add", {"name": "nipunn"})
        for path in ("people:byName", "people:search"):
            with pytest.raises(Exception) as refused:
                t.query(path)
            index = "by_name" if path == "people:byName" else "search_by_name"
            assert str(refused.value).endswith(
                f"Index people.{index} is currently staged and not available to query until "
                "it is enabled"
            )
        with pytest.raises(Exception, match=r"Index people\.by_embedding is currently staged"):
            t.action("people:nearest")


def test_a_staged_index_once_enabled_holds_the_documents_stored_meanwhile(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with AppTester(staged_app(tmp_path / "apps", True), data) as t:
        t.mutation("people:add", {"name": "nipunn"})
        t.mutation("people:add", {"name": "ada"})
    with Runtime(staged_app(tmp_path / "apps", False), data) as runtime:
        assert runtime.run_query("people:byName").value == ["ada", "nipunn"]
        assert runtime.run_query("people:search").value == ["nipunn"]


def test_staged_indexes_are_exported_as_convex_exports_them() -> None:
    table = (
        define_table({"name": v.string()})
        .index("by_name", ["name"], staged=True)
        .search_index("search_name", search_field="name", staged=True)
    )
    exported = table.export()
    assert exported["indexes"] == [] and exported["searchIndexes"] == []
    assert exported["stagedDbIndexes"] == [{"indexDescriptor": "by_name", "fields": ["name"]}]
    assert exported["stagedSearchIndexes"][0]["indexDescriptor"] == "search_name"
    assert "stagedVectorIndexes" not in exported
    with pytest.raises(SchemaError, match="Duplicate index name 'by_name'"):
        table.index("by_name", ["name"])
