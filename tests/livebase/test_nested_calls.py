"""ctx.run_query in queries and mutations, ctx.run_mutation in mutations: Convex's nested
calls, run in the caller's transaction (a failed nested mutation leaves none of its writes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from livebase import ConvexError, ValidationError
from livebase.testing import AppTester
from tests.livebase.appfactory import write_app

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema({"messages": define_table({"body": v.string()})})
"""

MESSAGES = """
from livebase import ConvexError, internal_mutation, internal_query, mutation, query, v


@internal_query(args={"prefix": v.string()})
async def bodies(ctx, prefix):
    docs = await ctx.db.query("messages").collect()
    return sorted(d["body"] for d in docs if d["body"].startswith(prefix))


@query(args={"prefix": v.string()})
async def via_query(ctx, prefix):
    return await ctx.run_query("messages:bodies", {"prefix": prefix})


@query(args={})
async def bad_args(ctx):
    return await ctx.run_query("messages:bodies", {"prefix": 3})


@internal_mutation(args={"body": v.string(), "fail": v.boolean()})
async def send(ctx, body, fail):
    await ctx.db.insert("messages", {"body": body})
    if fail:
        raise ConvexError(f"refused {body}")
    return body


@mutation(args={})
async def partial_rollback(ctx):
    await ctx.db.insert("messages", {"body": "hello"})
    await ctx.run_mutation("messages:send", {"body": "hello buddy", "fail": False})
    seen = await ctx.run_query("messages:bodies", {"prefix": "hello"})
    assert seen == ["hello", "hello buddy"], seen  # a nested commit is visible at once
    try:
        await ctx.run_mutation("messages:send", {"body": "hello stranger", "fail": True})
    except ConvexError:
        pass
    after = await ctx.run_query("messages:bodies", {"prefix": "hello"})
    assert after == ["hello", "hello buddy"], after  # the failed one left nothing
    await ctx.db.delete((await ctx.db.query("messages").first())["_id"])
    return after


@mutation(args={})
async def uncaught(ctx):
    await ctx.db.insert("messages", {"body": "before"})
    await ctx.run_mutation("messages:send", {"body": "inside", "fail": True})


@internal_query(args={})
async def who(ctx):
    identity = await ctx.auth.get_user_identity()
    return None if identity is None else identity["subject"]


@query(args={})
async def who_via_query(ctx):
    return await ctx.run_query("messages:who", {})


@mutation(args={})
async def recurse(ctx):
    return await ctx.run_mutation("messages:recurse", {})


@query(args={})
async def wrong_kind(ctx):
    return await ctx.run_query("messages:send", {"body": "x", "fail": False})
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_app(tmp_path / "apps", SCHEMA, messages=MESSAGES)


def test_a_query_runs_another_query_internal_ones_too(app: Path, tmp_path: Path) -> None:
    with AppTester(app, tmp_path / "data") as t:
        t.mutation("messages:send", {"body": "hi there", "fail": False})
        assert t.query("messages:viaQuery", {"prefix": "hi"}) == ["hi there"]
        with pytest.raises(ValidationError, match=r"messages:bodies.*\.prefix"):
            t.query("messages:badArgs")
        with pytest.raises(Exception, match="is a mutation, not a query"):
            t.query("messages:wrongKind")


def test_a_failed_child_mutation_rolls_back_its_writes_only(app: Path, tmp_path: Path) -> None:
    with AppTester(app, tmp_path / "data") as t:
        assert t.mutation("messages:partialRollback") == ["hello", "hello buddy"]
        assert t.query("messages:viaQuery", {"prefix": ""}) == ["hello buddy"]


def test_an_uncaught_child_failure_commits_nothing(app: Path, tmp_path: Path) -> None:
    with AppTester(app, tmp_path / "data") as t:
        with pytest.raises(ConvexError) as refused:
            t.mutation("messages:uncaught")
        assert refused.value.data == "refused inside"
        assert t.query("messages:viaQuery", {"prefix": ""}) == []


def test_a_nested_query_sees_the_callers_identity(app: Path, tmp_path: Path) -> None:
    with AppTester(app, tmp_path / "data") as t:
        assert t.as_user(subject="ada").query("messages:whoViaQuery") == "ada"
        assert t.query("messages:whoViaQuery") is None
        result = t.runtime.run_query("messages:whoViaQuery", identity={"subject": "ada"})
        assert result.reads_auth  # its result depends on who asks: never shared across callers
        other = t.runtime.run_query("messages:viaQuery", {"prefix": ""}, identity={"subject": "a"})
        assert not other.reads_auth


def test_what_a_nested_query_read_invalidates_the_callers_result(app: Path, tmp_path: Path) -> None:
    with AppTester(app, tmp_path / "data") as t:
        result = t.runtime.run_query("messages:viaQuery", {"prefix": "x"})
        t.mutation("messages:send", {"body": "x marks", "fail": False})
        assert t.runtime.db.feed.conflicts(result.read_set, result.ts)


def test_nesting_without_end_is_refused_clearly(app: Path, tmp_path: Path) -> None:
    with (
        AppTester(app, tmp_path / "data") as t,
        pytest.raises(Exception, match=r"Too many nested function calls \(limit 64\)"),
    ):
        t.mutation("messages:recurse")
