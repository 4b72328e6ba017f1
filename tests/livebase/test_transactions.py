"""Documents through mutations: validation, atomicity, read-your-writes."""

import pytest

from livebase import (
    ConvexError,
    FunctionNotFoundError,
    InvalidIdError,
    ReadOnlyError,
    UnknownTableError,
    ValidationError,
    define_schema,
    define_table,
    mutation,
    query,
    undefined,
    v,
)
from livebase.runtime.app import App
from livebase.testing import AppTester


def make_app(**functions) -> App:
    """An in-memory app over one 'items' table, with the given functions."""
    import types

    schema = define_schema(
        {
            "items": define_table({"name": v.string(), "n": v.optional(v.number())}).index(
                "by_name", ["name"]
            ),
            "links": define_table({"item": v.id("items")}),
        }
    )
    app = App("inline", types.ModuleType("inline"), schema)
    for name, fn in functions.items():
        fn.path = f"m:{name}"
        app.functions[fn.path] = fn
    return app


def test_a_mutation_sees_its_own_writes_and_commits_them_together(tmp_path):
    @mutation
    async def build(ctx):
        a = await ctx.db.insert("items", {"name": "a"})
        await ctx.db.patch(a, {"n": 1})
        b = await ctx.db.insert("items", {"name": "b", "n": 2})
        await ctx.db.delete(b)
        seen = (
            await ctx.db.query("items").with_index("by_name", lambda q: q.eq("name", "a")).collect()
        )
        return [d["n"] for d in seen]

    @query
    async def all_items(ctx):
        return await ctx.db.query("items").collect()

    with AppTester(make_app(build=build, all_items=all_items), tmp_path) as t:
        assert t.mutation("m:build") == [1.0]
        docs = t.query("m:all_items")
        assert [(d["name"], d["n"]) for d in docs] == [("a", 1.0)]


def test_a_mutation_that_raises_leaves_no_trace(notes):
    with pytest.raises(ConvexError) as err:
        notes.mutation("notes:addThenFail", {"author": "zed"})
    assert err.value.data == {"code": "nope", "author": "zed"}
    assert notes.query("notes:listAll") == []


def test_a_document_that_breaks_the_schema_is_refused_and_nothing_is_written(tmp_path):
    @mutation
    async def bad(ctx):
        await ctx.db.insert("items", {"name": "ok"})
        await ctx.db.insert("items", {"name": 5})

    @query
    async def count(ctx):
        return len(await ctx.db.query("items").collect())

    with AppTester(make_app(bad=bad, count=count), tmp_path) as t:
        with pytest.raises(ValidationError, match=r"table 'items'.*\.name.*v\.string\(\)"):
            t.mutation("m:bad")
        assert t.query("m:count") == 0


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"name": "x", "extra": 1}, "extra field 'extra'"),
        ({}, r"Missing required field at \.name"),
        ({"name": "x", "_id": "abc"}, "system fields"),
        ("not a dict", "takes an object"),
    ],
)
def test_bad_documents_get_a_message_naming_the_field(tmp_path, doc, message):
    @mutation
    async def put(ctx, doc):
        return await ctx.db.insert("items", doc)

    with AppTester(make_app(put=put), tmp_path) as t, pytest.raises(ValidationError, match=message):
        t.mutation("m:put", {"doc": doc})


def test_unknown_tables_are_named(tmp_path):
    @mutation
    async def put(ctx):
        return await ctx.db.insert("itmes", {"name": "x"})

    with (
        AppTester(make_app(put=put), tmp_path) as t,
        pytest.raises(UnknownTableError, match="'itmes'"),
    ):
        t.mutation("m:put")


def test_malformed_and_foreign_ids_are_refused(tmp_path):
    @mutation
    async def link(ctx, item):
        return await ctx.db.insert("links", {"item": item})

    @mutation
    async def make(ctx):
        return await ctx.db.insert("items", {"name": "i"})

    @query
    async def get(ctx, id):
        return await ctx.db.get(id)

    with AppTester(make_app(link=link, make=make, get=get), tmp_path) as t:
        item = t.mutation("m:make")
        link_id = t.mutation("m:link", {"item": item})
        with pytest.raises(ValidationError, match="another table"):
            t.mutation("m:link", {"item": link_id})
        with pytest.raises(InvalidIdError):
            t.query("m:get", {"id": "garbage"})
        assert t.query("m:get", {"id": item})["name"] == "i"


def test_normalize_id_accepts_only_ids_of_the_table(tmp_path):
    @mutation
    async def make(ctx):
        item = await ctx.db.insert("items", {"name": "i"})
        return [
            ctx.db.normalize_id("items", item),
            ctx.db.normalize_id("links", item),
            ctx.db.normalize_id("items", "junk"),
        ]

    with AppTester(make_app(make=make), tmp_path) as t:
        ok, foreign, junk = t.mutation("m:make")
        assert ok is not None and foreign is None and junk is None


def test_a_write_inside_a_query_is_refused(notes):
    with pytest.raises(ReadOnlyError, match="use a mutation"):
        notes.query("notes:writeInQuery")
    assert notes.query("notes:listAll") == []


def test_patch_merges_and_undefined_removes_a_field(tmp_path):
    @mutation
    async def run(ctx):
        item = await ctx.db.insert("items", {"name": "a", "n": 1})
        await ctx.db.patch(item, {"n": undefined})
        after_remove = await ctx.db.get(item)
        await ctx.db.replace(item, {"name": "b"})
        return [after_remove, await ctx.db.get(item)]

    with AppTester(make_app(run=run), tmp_path) as t:
        removed, replaced = t.mutation("m:run")
        assert "n" not in removed and removed["name"] == "a"
        assert replaced["name"] == "b" and replaced["_id"] == removed["_id"]
        assert replaced["_creationTime"] == removed["_creationTime"]


def test_patch_cannot_change_system_fields_or_missing_documents(tmp_path):
    @mutation
    async def run(ctx, what):
        item = await ctx.db.insert("items", {"name": "a"})
        if what == "id":
            await ctx.db.patch(item, {"_id": "other"})
        else:
            await ctx.db.delete(item)
            await ctx.db.patch(item, {"name": "b"})

    with AppTester(make_app(run=run), tmp_path) as t:
        with pytest.raises(ValidationError, match="system field"):
            t.mutation("m:run", {"what": "id"})
        with pytest.raises(InvalidIdError, match="does not exist"):
            t.mutation("m:run", {"what": "gone"})


def test_documents_keep_system_fields_and_creation_order(notes):
    ids = [notes.mutation("notes:addNote", {"author": "a", "body": str(i)}) for i in range(5)]
    docs = notes.query("notes:listAll")
    assert [d["_id"] for d in docs] == ids
    times = [d["_creationTime"] for d in docs]
    assert times == sorted(times) and len(set(times)) == 5


def test_unknown_functions_and_wrong_kinds_are_clear_errors(notes):
    with pytest.raises(FunctionNotFoundError) as missing:
        notes.query("notes:nope")
    assert missing.value.message == "Could not find public function for 'notes:nope'."
    with pytest.raises(FunctionNotFoundError, match="is a mutation"):
        notes.query("notes:addNote", {"author": "a", "body": "b"})


@pytest.mark.parametrize("swallow", [False, True])
def test_a_commit_between_a_querys_first_get_and_its_snapshot_runs_it_again(tmp_path, swallow):
    # A query's first get reads without a snapshot (Persistence.read_latest); when a commit
    # lands before its next read opens one, that run is void and the query runs again on one
    # snapshot, even when the function catches the error.
    @mutation
    async def add(ctx, name):
        return await ctx.db.insert("items", {"name": name})

    @query
    async def first_and_count(ctx, id):
        first = await ctx.db.get(id)
        print("ran")
        try:
            count = len(await ctx.db.query("items").collect())
        except BaseException:  # a function that catches everything
            if not swallow:
                raise
            count = -1
        return [first["name"], count]

    app = make_app(add=add, first_and_count=first_and_count)
    with AppTester(app, tmp_path) as t:
        first = t.mutation("m:add", {"name": "a"})
        persistence = t.runtime.db.persistence
        plain = persistence.read_latest
        calls = []
        landed = []

        def then_a_commit(table, key):
            found = plain(table, key)
            calls.append(found[0])
            if not landed:  # another client's commit lands right after the first read
                landed.append(True)
                import threading

                other = threading.Thread(target=t.mutation, args=("m:add", {"name": "b"}))
                other.start()
                other.join()
            return found

        persistence.read_latest = then_a_commit
        result = t.runtime.run_query("m:first_and_count", {"id": first}, internal_ok=True)
        assert result.value == ["a", 2]  # one snapshot: after the other commit
        assert result.ts == t.runtime.db.latest_ts > calls[0]
        assert result.log_lines == ["[LOG] ran"]  # the void run's lines are not reported
        assert len(calls) == 1  # the second run read through its snapshot

        # with nothing landing in between, the shortcut stands: one run, no snapshot moved
        calls.clear()
        again = t.runtime.run_query("m:first_and_count", {"id": first}, internal_ok=True)
        assert again.value == ["a", 2] and len(calls) == 1 and again.ts == calls[0]
