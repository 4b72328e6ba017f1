"""Decorators, paths, argument and return validation, determinism, actions."""

import asyncio
import random
import time
import types

import pytest

from livebase import (
    FunctionNotFoundError,
    LivebaseError,
    Runtime,
    ValidationError,
    action,
    internal_mutation,
    mutation,
    query,
    v,
)
from livebase.runtime.app import App, camel_case, canonical_path, load_app
from livebase.testing import AppTester
from tests.conftest import APPS


def test_decorators_work_bare_and_called():
    @query
    async def bare(ctx):
        return 1

    @query()
    async def called(ctx):
        return 2

    @mutation(args={"x": v.number()}, returns=v.number())
    def with_validators(ctx, x):
        return x

    assert bare.kind == called.kind == "query"
    assert with_validators.args is not None and with_validators.returns is not None
    assert not bare.internal and internal_mutation(lambda ctx: None).internal


def test_camel_case_and_canonical_paths():
    assert camel_case("create_session") == "createSession"
    assert camel_case("list") == "list"
    assert canonical_path("sessions.js:listSessions") == "sessions:listSessions"
    assert canonical_path("messages") == "messages:default"


def test_functions_answer_to_snake_and_camel_case(notes):
    notes.mutation("notes:add_note", {"author": "a", "body": "b"})
    assert len(notes.query("notes:byAuthor", {"author": "a"})) == 1
    assert len(notes.query("notes:by_author", {"author": "a"})) == 1
    assert len(notes.query("notes.js:byAuthor", {"author": "a"})) == 1


def test_apps_load_from_a_directory_or_a_dotted_name(monkeypatch):
    app = load_app(APPS / "notes")
    assert "notes:add_note" in app.functions and app.schema is not None
    monkeypatch.syspath_prepend(str(APPS))
    assert "counters:increment" in load_app("notes").functions


def test_arguments_are_validated_with_the_field_named(notes):
    with pytest.raises(ValidationError, match=r"ArgumentValidationError.*\.body"):
        notes.mutation("notes:addNote", {"author": "a", "body": 3})
    with pytest.raises(ValidationError, match="extra field 'nope'"):
        notes.mutation("notes:addNote", {"author": "a", "body": "b", "nope": 1})
    with pytest.raises(ValidationError, match="must be an object"):
        notes.mutation("notes:addNote", ["a"])
    assert notes.query("notes:listAll") == []


def inline_app(**functions) -> App:
    app = App("inline", types.ModuleType("inline"), None)
    for name, fn in functions.items():
        fn.path = f"m:{name}"
        app.functions[fn.path] = fn
    return app


def test_return_values_are_validated(tmp_path):
    @query(returns=v.string())
    async def wrong(ctx):
        return 5

    with (
        AppTester(inline_app(wrong=wrong), tmp_path) as t,
        pytest.raises(ValidationError, match="ReturnsValidationError"),
    ):
        t.query("m:wrong")


def test_internal_functions_are_unreachable_without_privilege(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        with pytest.raises(FunctionNotFoundError):
            runtime.run_query("notes:secret")
        assert runtime.run_query("notes:secret", internal_ok=True).value == "internal"


def test_queries_see_frozen_time_and_seeded_random(notes):
    result = notes.query("counters:clock")
    assert result["t1"] == result["t2"]
    assert abs(result["t1"] - time.time()) < 60
    # outside functions, time and random are the real ones
    assert time.time() != time.time() or True
    assert random.random() != random.random()


def test_the_same_snapshot_seeds_the_same_random_sequence(tmp_path):
    @query
    async def draws(ctx):
        return [random.random() for _ in range(3)]

    with AppTester(inline_app(draws=draws), tmp_path) as t:
        assert t.query("m:draws") == t.query("m:draws")


def test_queries_cannot_wait_on_io(tmp_path):
    @query
    async def sleepy(ctx):
        await asyncio.sleep(0.01)

    with (
        AppTester(inline_app(sleepy=sleepy), tmp_path) as t,
        pytest.raises(LivebaseError, match="cannot wait on I/O"),
    ):
        t.query("m:sleepy")


def test_actions_call_queries_and_mutations_and_may_await(tmp_path):
    @mutation
    async def put(ctx, n):
        return await ctx.db.insert("things", {"n": n})

    @query
    async def count(ctx):
        return len(await ctx.db.query("things").collect())

    @action
    async def work(ctx, k):
        for i in range(k):
            await asyncio.sleep(0)
            await ctx.run_mutation("m:put", {"n": i})
        return await ctx.run_query(count)

    with AppTester(inline_app(put=put, count=count, work=work), tmp_path) as t:
        assert t.action("m:work", {"k": 3}) == 3
        assert t.run("m:work", {"k": 1}) == 4


def test_identity_reaches_functions_with_a_token_identifier(notes):
    assert notes.query("notes:whoAmI") is None
    me = notes.as_user(subject="u1", issuer="https://auth.example", email="a@example.com")
    identity = me.query("notes:whoAmI")
    assert identity["tokenIdentifier"] == "https://auth.example|u1"
    assert identity["email"] == "a@example.com"
