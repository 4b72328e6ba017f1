"""Full-text search indexes: schema, queries, limits, errors, backfill (engine/search.py)."""

from __future__ import annotations

import sqlite3

import pytest

from livebase import IndexRangeError, SchemaError, ValidationError, define_table, v
from livebase.testing import AppTester
from tests.livebase.appfactory import write_app


def add(notes, *rows):
    return [notes.mutation("notes:addNote", {"author": a, "body": b}) for a, b in rows]


def bodies(docs):
    return [d["body"] for d in docs]


def test_search_matches_any_term_best_first(notes):
    add(
        notes,
        ("ann", "hello there"),
        ("bob", "hello hello world"),
        ("ann", "goodbye"),
        ("bob", "say hi to the world"),
    )
    assert bodies(notes.query("notes:search", {"text": "hello"})) == [
        "hello hello world",
        "hello there",
    ]
    # either word; the note with both comes first
    assert bodies(notes.query("notes:search", {"text": "world goodbye"}))[0] == "goodbye"
    assert set(bodies(notes.query("notes:search", {"text": "World, GOODBYE!"}))) == {
        "hello hello world",
        "say hi to the world",
        "goodbye",
    }
    assert notes.query("notes:search", {"text": "nothing matches"}) == []
    assert notes.query("notes:search", {"text": "  ,.  "}) == []


def test_the_last_term_matches_as_a_prefix_and_the_others_exactly(notes):
    add(notes, ("ann", "helpful hints"), ("ann", "hello"), ("ann", "shell"))
    assert set(bodies(notes.query("notes:search", {"text": "hel"}))) == {"helpful hints", "hello"}
    # "hel" is not the last term: exact only, and no note holds the word "hel"
    assert bodies(notes.query("notes:search", {"text": "hel hints"})) == ["helpful hints"]


def test_an_exact_word_outranks_words_that_only_start_with_it(notes):
    add(notes, ("ann", "catalog category"), ("ann", "cat"), ("ann", "dog"))
    # the words that start with "cat" count once, as their best, not once each (summed, the
    # two would put the first note ahead)
    assert bodies(notes.query("notes:search", {"text": "cat"})) == ["cat", "catalog category"]


def test_filter_fields_narrow_by_equality(notes):
    add(notes, ("ann", "budget report"), ("bob", "budget plan"), ("ann", "holiday"))
    found = notes.query("notes:search", {"text": "budget", "author": "bob"})
    assert bodies(found) == ["budget plan"]
    assert notes.query("notes:search", {"text": "budget", "author": "carol"}) == []


def test_take_filter_and_paginate_follow_relevance_order(notes):
    add(notes, *[("ann", "tea " * (i % 5 + 1) + f"cup{i}") for i in range(23)])
    every = notes.query("notes:search", {"text": "tea"})
    assert len(every) == 23
    assert notes.query("notes:search", {"text": "tea", "limit": 4}) == every[:4]
    pages, cursor = [], None
    while True:
        page = notes.query(
            "notes:searchPage", {"text": "tea", "paginationOpts": {"numItems": 5, "cursor": cursor}}
        )
        pages.append(page["page"])
        if page["isDone"]:
            break
        cursor = page["continueCursor"]
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [d for p in pages for d in p] == every


def test_at_most_1024_results(tmp_path):
    app = write_app(
        tmp_path,
        """
        from livebase import define_schema, define_table, v
        schema = define_schema({"items": define_table({"text": v.string()})
            .search_index("by_text", search_field="text")})
        """,
        m="""
        from livebase import mutation, query, v

        @mutation(args={"n": v.number()})
        async def fill(ctx, n):
            for i in range(int(n)):
                await ctx.db.insert("items", {"text": f"common word{i}"})

        @query
        async def find(ctx):
            return len(await ctx.db.query("items")
                .with_search_index("by_text", lambda q: q.search("text", "common")).collect())
        """,
    )
    with AppTester(app, tmp_path / "data") as t:
        t.mutation("m:fill", {"n": 1100})
        assert t.query("m:find") == 1024


def test_a_mutation_finds_its_own_writes_and_not_what_it_deleted(tmp_path):
    app = write_app(
        tmp_path,
        """
        from livebase import define_schema, define_table, v
        schema = define_schema({"items": define_table({"text": v.string()})
            .search_index("by_text", search_field="text")})
        """,
        m="""
        from livebase import mutation, v

        def find(ctx, text):
            return ctx.db.query("items").with_search_index(
                "by_text", lambda q: q.search("text", text)).collect()

        @mutation
        async def run(ctx):
            kept = await ctx.db.insert("items", {"text": "alpha beta"})
            gone = await ctx.db.insert("items", {"text": "alpha gamma"})
            first = [d["text"] for d in await find(ctx, "alpha")]
            await ctx.db.delete(gone)
            await ctx.db.patch(kept, {"text": "delta"})
            return first, [d["text"] for d in await find(ctx, "alpha")], [
                d["text"] for d in await find(ctx, "delta")]
        """,
    )
    with AppTester(app, tmp_path / "data") as t:
        first, after, patched = t.mutation("m:run")
        assert sorted(first) == ["alpha beta", "alpha gamma"]
        assert after == [] and patched == ["delta"]


def search_body(text):
    return lambda q: q.search("body", text)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda b: b.with_search_index("nope", search_body("x")), "search indexes: search_body"),
        (
            lambda b: b.with_search_index("search_body", lambda q: q.search("author", "x")),
            "searches field 'body'",
        ),
        (
            lambda b: b.with_search_index(
                "search_body", lambda q: search_body("x")(q).eq("score", 1)
            ),
            "filter fields: author, pinned",
        ),
        (
            lambda b: b.with_search_index("search_body", lambda q: q.eq("author", "x")),
            "starts with q.search",
        ),
        (lambda b: b.with_search_index("search_body", search_body("a " * 17)), "at most 16 terms"),
        (lambda b: b.with_search_index("search_body", search_body(7)), "takes a string"),
        (
            lambda b: b.with_search_index("search_body", search_body("x")).order("desc"),
            "relevance order",
        ),
        (
            lambda b: b.with_index("by_author").with_search_index("search_body", search_body("x")),
            "takes one",
        ),
        (lambda b: b.with_search_index("search_body", lambda q: None), "must return q"),
    ],
)
def test_malformed_search_queries_say_what_is_wrong(notes, build, message):
    from livebase.engine.query import QueryBuilder

    txn = notes.runtime.db.begin(False)
    try:
        with pytest.raises((IndexRangeError, ValidationError), match=message):
            build(QueryBuilder(txn, txn.table("notes")))
    finally:
        txn.close()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda t: t.search_index("s", search_field="_id"), "system field"),
        (lambda t: t.search_index("s"), "needs a search field"),
        (lambda t: t.search_index("s", search_field="a", filter_fields="b"), "list of names"),
        (
            lambda t: t.search_index("s", search_field="a", filter_fields=["a"]),
            "names a field twice",
        ),
        (lambda t: t.index("s", ["a"]).search_index("s", search_field="a"), "Duplicate index name"),
        (lambda t: t.search_index("by_id", search_field="a"), "reserved"),
        (
            lambda t: (
                t.search_index("a1", search_field="a")
                .search_index("a2", search_field="a")
                .search_index("a3", search_field="a")
                .search_index("a4", search_field="a")
                .search_index("a5", search_field="a")
            ),
            "at most 4 search indexes",
        ),
        (
            lambda t: t.search_index(
                "s", search_field="a", filter_fields=[f"f{i}" for i in range(17)]
            ),
            "at most 16 filter fields",
        ),
    ],
)
def test_malformed_search_indexes_are_refused(build, message):
    with pytest.raises(SchemaError, match=message):
        build(define_table({"a": v.string()}))


def test_convex_spelling_and_export():
    table = define_table({"body": v.string(), "channel": v.string()}).search_index(
        "search_body", {"searchField": "body", "filterFields": ["channel"]}
    )
    assert table.export()["searchIndexes"] == [
        {"indexDescriptor": "search_body", "searchField": "body", "filterFields": ["channel"]}
    ]


SCHEMA_PLAIN = """
from livebase import define_schema, define_table, v
schema = define_schema({"items": define_table({"text": v.string(), "kind": v.string()})})
"""
SCHEMA_SEARCH = """
from livebase import define_schema, define_table, v
schema = define_schema({"items": define_table({"text": v.string(), "kind": v.string()})
    .search_index("by_text", search_field="text"%s)})
"""
FUNCTIONS = """
from livebase import mutation, query, v

@mutation(args={"text": v.string(), "kind": v.string()})
async def add(ctx, text, kind):
    await ctx.db.insert("items", {"text": text, "kind": kind})

@query(args={"text": v.string(), "kind": v.optional(v.string())})
async def find(ctx, text, kind=None):
    def terms(q):
        q = q.search("text", text)
        return q if kind is None else q.eq("kind", kind)
    found = ctx.db.query("items").with_search_index("by_text", terms)
    return [d["text"] for d in await found.collect()]
"""


def search_rows(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM search_terms").fetchone()[0]


def test_a_search_index_added_later_covers_the_documents_already_stored(tmp_path):
    data = tmp_path / "data"

    def version(schema):
        return write_app(tmp_path, schema, m=FUNCTIONS)

    with AppTester(version(SCHEMA_PLAIN), data) as t:
        t.mutation("m:add", {"text": "old invoice", "kind": "a"})
        t.mutation("m:add", {"text": "old receipt", "kind": "b"})
    with AppTester(version(SCHEMA_SEARCH % ""), data) as t:
        assert t.query("m:find", {"text": "invoice"}) == ["old invoice"]
        t.mutation("m:add", {"text": "new invoice", "kind": "b"})
        assert sorted(t.query("m:find", {"text": "invoice"})) == ["new invoice", "old invoice"]
        with pytest.raises(IndexRangeError, match="cannot filter on 'kind'"):
            t.query("m:find", {"text": "invoice", "kind": "b"})
    # new filter fields rebuild the index; the filter then works on old and new documents
    with AppTester(version(SCHEMA_SEARCH % ', filter_fields=["kind"]'), data) as t:
        assert t.query("m:find", {"text": "invoice", "kind": "b"}) == ["new invoice"]
        assert t.query("m:find", {"text": "old", "kind": "b"}) == ["old receipt"]
    database = next(data.rglob("*.sqlite3"))
    assert search_rows(database) > 0
    # an index removed from the schema leaves no entries behind
    with AppTester(version(SCHEMA_PLAIN), data):
        pass
    assert search_rows(database) == 0


def test_highlight_marks_the_words_a_search_matches():
    from livebase import highlight

    found = highlight("Exported the INVOICE, then invoices-2024 and voice", "invoice exp")
    marked = [found["text"][s:e] for s, e in found["matches"]]
    # every term exactly, the last ("exp") also as a prefix; "invoices" is not "invoice"
    assert marked == ["Exported", "INVOICE"]
    long = "word " * 100 + "the invoice is here " + "word " * 100
    cut = highlight(long, "invoice", width=60)
    assert cut["text"].startswith("…") and cut["text"].endswith("…")
    assert len(cut["text"]) <= 62
    assert [cut["text"][s:e] for s, e in cut["matches"]] == ["invoice"]
    assert highlight("nothing here", "")["matches"] == []
