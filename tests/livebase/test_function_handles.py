"""Function handles (Convex's createFunctionHandle) for an app's own functions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from livebase import FunctionNotFoundError, ValidationError, create_function_handle
from livebase.testing import AppTester
from tests.livebase.appfactory import write_app

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema({"calls": define_table({"via": v.string()})})
"""

CALLS = """
from livebase import (
    action, create_function_handle, internal_mutation, internal_query, mutation, query, v,
)


@internal_query(args={"a": v.number(), "b": v.number()})
async def add(ctx, a, b):
    return a + b


@internal_mutation(args={"via": v.string()})
async def record(ctx, via):
    await ctx.db.insert("calls", {"via": via})
    return via


@query(args={})
async def handles(ctx):
    return [await create_function_handle("calls:add"), await create_function_handle("calls:record")]


@query(args={"handle": v.string()})
async def call_query_handle(ctx, handle):
    return await ctx.run_query(handle, {"a": 1, "b": 2})


@mutation(args={"handle": v.string()})
async def call_mutation_handle(ctx, handle):
    return await ctx.run_mutation(handle, {"via": "mutation"})


@mutation(args={"handle": v.string()})
async def schedule_handle(ctx, handle):
    return await ctx.scheduler.run_after(0, handle, {"via": "scheduler"})


@action(args={"handle": v.string()})
async def call_from_action(ctx, handle):
    mine = await create_function_handle("calls:record")
    assert mine == handle
    return await ctx.run_mutation(handle, {"via": "action"})


@query(args={"id": v.id("_scheduled_functions")})
async def job(ctx, id):
    return await ctx.db.system.get(id)


@query(args={})
async def calls(ctx):
    return sorted(c["via"] for c in await ctx.db.query("calls").collect())
"""


@pytest.fixture
def tester(tmp_path: Path):
    with AppTester(write_app(tmp_path / "apps", SCHEMA, calls=CALLS), tmp_path / "data") as t:
        yield t


def test_a_handle_calls_the_function_it_names_internal_ones_too(tester: AppTester) -> None:
    add, record = tester.query("calls:handles")
    assert add.startswith("function://") and add.endswith("#calls:add")
    assert tester.query("calls:callQueryHandle", {"handle": add}) == 3
    assert tester.mutation("calls:callMutationHandle", {"handle": record}) == "mutation"
    assert tester.action("calls:callFromAction", {"handle": record}) == "action"
    job = tester.mutation("calls:scheduleHandle", {"handle": record})
    scheduled = tester.query("calls:job", {"id": job})
    assert scheduled["name"] == "calls:record" and scheduled["args"] == {"via": "scheduler"}
    assert tester.query("calls:calls") == ["action", "mutation"]


def test_a_handle_cannot_be_made_up_or_altered(tester: AppTester) -> None:
    add, _ = tester.query("calls:handles")
    made_up = "function://not-a-signature#calls:record"
    altered = add.replace("#calls:add", "#calls:record")
    for handle in (made_up, altered, "function://calls:record"):
        with pytest.raises(ValidationError, match="Invalid function handle"):
            tester.mutation("calls:callMutationHandle", {"handle": handle})
    assert tester.query("calls:calls") == []


def test_clients_call_by_path_not_by_handle(tester: AppTester) -> None:
    add, _ = tester.query("calls:handles")
    with pytest.raises(FunctionNotFoundError):
        tester.runtime.run_query(add, {"a": 1, "b": 2})  # as a client's call: no internal_ok


def test_a_handle_is_made_only_inside_a_function() -> None:
    with pytest.raises(RuntimeError, match="inside a query, mutation or action"):
        asyncio.run(create_function_handle("calls:add"))
