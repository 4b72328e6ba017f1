"""Vector indexes: schema, ``ctx.vector_search`` in actions, limits, errors, backfill."""

from __future__ import annotations

import pytest

from livebase import IndexRangeError, SchemaError, ValidationError, define_table, v
from livebase.testing import AppTester
from tests.livebase.appfactory import write_app

SCHEMA = """
from livebase import define_schema, define_table, v
schema = define_schema({"docs": define_table(
    {"title": v.string(), "kind": v.string(), "embedding": v.optional(v.array(v.float64()))}
)%s})
"""
INDEX = (
    '.vector_index("by_embedding", vector_field="embedding", dimensions=4, filter_fields=["kind"])'
)
FUNCTIONS = """
from livebase import action, mutation, query, v

@mutation(args={"title": v.string(), "kind": v.string(), "embedding": v.optional(v.any())})
async def add(ctx, title, kind, embedding=None):
    doc = {"title": title, "kind": kind}
    if embedding is not None:
        doc["embedding"] = embedding
    return await ctx.db.insert("docs", doc)

@query(args={"ids": v.array(v.id("docs"))})
async def titles(ctx, ids):
    return [(await ctx.db.get(i))["title"] for i in ids]

@action(args={"vector": v.any(), "limit": v.optional(v.any()), "kind": v.optional(v.string()),
              "index": v.optional(v.string())})
async def similar(ctx, vector, limit=None, kind=None, index="by_embedding"):
    request = {"vector": vector}
    if limit is not None:
        request["limit"] = limit
    if kind is not None:
        request["filter"] = lambda q: q.or_(q.eq("kind", kind), q.eq("kind", "both"))
    found = await ctx.vector_search("docs", index, request)
    titles = await ctx.run_query("m:titles", {"ids": [f["_id"] for f in found]})
    return [[t, round(f["_score"], 4)] for t, f in zip(titles, found)]

@query
async def in_a_query(ctx):
    return await ctx.vector_search("docs", "by_embedding", {"vector": [1, 0, 0, 0]})
"""


@pytest.fixture
def app(tmp_path):
    with AppTester(write_app(tmp_path, SCHEMA % INDEX, m=FUNCTIONS), tmp_path / "data") as t:
        t.mutation("m:add", {"title": "north", "kind": "map", "embedding": [1, 0, 0, 0]})
        t.mutation("m:add", {"title": "north-east", "kind": "map", "embedding": [1, 1, 0, 0]})
        t.mutation("m:add", {"title": "east", "kind": "both", "embedding": [0, 1, 0, 0]})
        t.mutation("m:add", {"title": "south", "kind": "text", "embedding": [-1, 0, 0, 0]})
        t.mutation("m:add", {"title": "no vector", "kind": "map"})
        t.mutation("m:add", {"title": "three numbers", "kind": "map", "embedding": [1, 0, 0]})
        yield t


def test_nearest_by_cosine_best_first_with_limit_and_filter(app):
    assert app.action("m:similar", {"vector": [2, 0, 0, 0], "limit": 3}) == [
        ["north", 1.0],
        ["north-east", 0.7071],
        ["east", 0.0],
    ]
    # the default limit is 10; documents without a 4-number vector are not in the index
    assert [t for t, _ in app.action("m:similar", {"vector": [1, 0, 0, 0]})] == [
        "north",
        "north-east",
        "east",
        "south",
    ]
    assert app.action("m:similar", {"vector": [1, 0, 0, 0], "kind": "text"}) == [
        ["east", 0.0],
        ["south", -1.0],
    ]


def test_a_search_sees_the_write_just_made(app):
    app.mutation("m:add", {"title": "closer", "kind": "map", "embedding": [1, 0.01, 0, 0]})
    assert [t for t, _ in app.action("m:similar", {"vector": [1, 0.01, 0, 0], "limit": 1})] == [
        "closer"
    ]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ({"vector": [1, 0, 0]}, ValidationError, "4 dimensions; the query vector has 3"),
        ({"vector": [0, 0, 0, 0]}, ValidationError, "not all zero"),
        ({"vector": [1, 0, 0, 0], "limit": 0}, ValidationError, "limit must be 1 to 256"),
        ({"vector": [1, 0, 0, 0], "limit": 257}, ValidationError, "limit must be 1 to 256"),
        ({"vector": [1, 0, 0, 0], "limit": 1.5}, ValidationError, "limit must be an integer"),
        (
            {"vector": [1, 0, 0, 0], "index": "nope"},
            IndexRangeError,
            "vector indexes: by_embedding",
        ),
    ],
)
def test_bad_requests_say_what_is_wrong(app, args, error, message):
    with pytest.raises(error, match=message):
        app.action("m:similar", args)


def test_only_actions_search_vectors(app):
    with pytest.raises(AttributeError, match="vector_search"):
        app.query("m:inAQuery")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda t: t.vector_index("e", vector_field="a"), "dimensions must be an integer"),
        (lambda t: t.vector_index("e", vector_field="a", dimensions=1), "from 2 to 4096"),
        (lambda t: t.vector_index("e", vector_field="a", dimensions=5000), "from 2 to 4096"),
        (lambda t: t.vector_index("e", dimensions=8), "needs a vector field"),
        (lambda t: t.vector_index("e", vector_field="_id", dimensions=8), "system field"),
        (
            lambda t: t.index("e", ["a"]).vector_index("e", vector_field="a", dimensions=8),
            "Duplicate index name",
        ),
    ],
)
def test_malformed_vector_indexes_are_refused(build, message):
    with pytest.raises(SchemaError, match=message):
        build(define_table({"a": v.array(v.number())}))


def test_convex_spelling_and_export():
    table = define_table({"e": v.array(v.number()), "k": v.string()}).vector_index(
        "by_e", {"vectorField": "e", "dimensions": 1536, "filterFields": ["k"]}
    )
    assert table.export()["vectorIndexes"] == [
        {"indexDescriptor": "by_e", "vectorField": "e", "dimensions": 1536, "filterFields": ["k"]}
    ]


def test_a_vector_index_added_later_covers_the_documents_already_stored(tmp_path):
    data = tmp_path / "data"
    with AppTester(write_app(tmp_path, SCHEMA % "", m=FUNCTIONS), data) as t:
        t.mutation("m:add", {"title": "old", "kind": "map", "embedding": [0, 0, 1, 0]})
    with AppTester(write_app(tmp_path, SCHEMA % INDEX, m=FUNCTIONS), data) as t:
        assert t.action("m:similar", {"vector": [0, 0, 1, 0]}) == [["old", 1.0]]
