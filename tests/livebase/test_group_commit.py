"""Group commit: mutations queued to the writer together commit in one SQLite transaction.

Each member is still serializable (OCC-checked against the staged commits before it, too),
fails alone, and is answered only once the group is durable.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import Any

import pytest

from livebase import ConvexError, Runtime
from livebase.runtime import execution
from livebase.runtime.core import DATABASE_FILE
from tests.livebase.appfactory import write_app

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema({
    "counters": define_table({"name": v.string(), "value": v.number()}).index("by_name", ["name"]),
    "items": define_table({"name": v.string()}),
})
"""

FUNCTIONS = """
import time

from livebase import ConvexError, mutation, query, v


@mutation(args={"name": v.string()})
async def increment(ctx, name):
    by_name = ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name))
    doc = await by_name.unique()
    if doc is None:
        await ctx.db.insert("counters", {"name": name, "value": 1})
        return 1
    await ctx.db.patch(doc["_id"], {"value": doc["value"] + 1})
    return doc["value"] + 1


@mutation(args={"name": v.string()})
async def add(ctx, name):
    return await ctx.db.insert("items", {"name": name})


@mutation(args={"name": v.string()})
async def add_then_fail(ctx, name):
    await ctx.db.insert("items", {"name": name})
    raise ConvexError("refused")


@mutation(args={"seconds": v.number()})
async def stuck(ctx, seconds):
    await ctx.db.insert("items", {"name": "stuck"})
    time.sleep(seconds)


@query(args={})
async def names(ctx):
    return sorted(doc["name"] for doc in await ctx.db.query("items").collect())


@query(args={"name": v.string()})
async def count(ctx, name):
    by_name = ctx.db.query("counters").with_index("by_name", lambda q: q.eq("name", name))
    doc = await by_name.unique()
    return 0 if doc is None else doc["value"]
"""


@pytest.fixture
def app(tmp_path):
    return write_app(tmp_path / "apps", SCHEMA, fns=FUNCTIONS)


async def queued_together(runtime: Runtime, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Run the mutations with the writer held until all are queued (so they form groups);
    each result or exception, in order."""
    gate = threading.Event()
    held = asyncio.ensure_future(runtime.in_writer(gate.wait))
    await asyncio.sleep(0.05)
    tasks = [asyncio.ensure_future(runtime.run_mutation_async(p, a)) for p, a in calls]
    await asyncio.sleep(0.05)
    gate.set()
    await held
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_concurrent_increments_of_hot_counters_are_exact_and_unique(app, tmp_path):
    clients, increments, counters = 8, 60, ("a", "b", "c")

    async def client(runtime: Runtime, n: int) -> list[tuple[str, int]]:
        seen = []
        for i in range(increments):
            name = counters[(n + i) % len(counters)]
            result = await runtime.run_mutation_async("fns:increment", {"name": name})
            seen.append((name, result.value))
        return seen

    async def main(runtime: Runtime) -> list[tuple[str, int]]:
        results = await asyncio.gather(*(client(runtime, n) for n in range(clients)))
        return [pair for seen in results for pair in seen]

    with Runtime(app, tmp_path / "data") as runtime:
        pairs = asyncio.run(main(runtime))
        for name in counters:
            values = sorted(v for n, v in pairs if n == name)
            assert values == list(range(1, len(values) + 1))  # unique, none lost
            assert runtime.run_query("fns:count", {"name": name}).value == len(values)
        assert len(pairs) == clients * increments
        assert max(runtime.db.committer.transactions) > 1  # groups did form


def test_queued_mutations_commit_in_one_transaction(app, tmp_path):
    with Runtime(app, tmp_path / "data") as runtime:
        before = sum(runtime.db.committer.transactions.values())
        results = asyncio.run(queued_together(runtime, [("fns:add", {"name": "x"})] * 4))
        assert not any(isinstance(r, BaseException) for r in results)
        assert sum(runtime.db.committer.transactions.values()) - before < 4


def test_a_member_that_raises_commits_nothing_and_the_others_commit(app, tmp_path):
    calls = [
        ("fns:add", {"name": "first"}),
        ("fns:add_then_fail", {"name": "failed"}),
        ("fns:add", {"name": "last"}),
    ]
    with Runtime(app, tmp_path / "data") as runtime:
        first, failed, last = asyncio.run(queued_together(runtime, calls))
        assert isinstance(failed, ConvexError)
        assert not isinstance(first, BaseException) and not isinstance(last, BaseException)
        assert runtime.run_query("fns:names").value == ["first", "last"]


def test_a_reply_never_precedes_its_durable_commit(app, tmp_path):
    data = tmp_path / "data"

    async def main(runtime: Runtime) -> list[bool]:
        gate = threading.Event()
        held = asyncio.ensure_future(runtime.in_writer(gate.wait))
        await asyncio.sleep(0.05)
        tasks = [
            asyncio.ensure_future(runtime.run_mutation_async("fns:increment", {"name": "n"}))
            for _ in range(6)
        ]
        await asyncio.sleep(0.05)
        gate.set()
        await held
        durable = []
        for task in asyncio.as_completed(tasks):
            result = await task
            other = sqlite3.connect(data / DATABASE_FILE)  # another connection: durable only
            try:
                row = other.execute("SELECT count(*) FROM commit_log WHERE ts = ?", (result.ts,))
                durable.append(row.fetchone()[0] == 1)
            finally:
                other.close()
        return durable

    with Runtime(app, data) as runtime:
        assert asyncio.run(main(runtime)) == [True] * 6


def test_after_commit_hooks_run_only_once_the_group_is_durable(app, tmp_path):
    data = tmp_path / "data"
    with Runtime(app, data) as runtime:
        durable: list[bool] = []
        run_hooks = runtime._after_commit

        def with_a_hook(txn):
            def hook() -> None:
                other = sqlite3.connect(data / DATABASE_FILE)
                try:
                    row = other.execute("SELECT count(*) FROM documents").fetchone()
                    durable.append(row[0] >= 1)
                finally:
                    other.close()

            txn.after_commit.append(hook)  # as storage and the scheduler do
            run_hooks(txn)

        runtime._after_commit = with_a_hook  # type: ignore[method-assign]
        asyncio.run(queued_together(runtime, [("fns:add", {"name": "x"})] * 4))
        assert durable == [True] * 4


def test_a_failed_group_commit_fails_every_member_and_stores_nothing(app, tmp_path):
    with Runtime(app, tmp_path / "data") as runtime:
        persistence = runtime.db.persistence
        real_end = persistence.end_group

        def failing_end() -> None:
            persistence.abort_group()
            raise OSError("disk full")

        persistence.end_group = failing_end  # type: ignore[method-assign]
        results = asyncio.run(queued_together(runtime, [("fns:add", {"name": "x"})] * 3))
        assert all(isinstance(r, OSError) for r in results)
        persistence.end_group = real_end  # type: ignore[method-assign]
        assert runtime.run_query("fns:names").value == []
        runtime.run_mutation("fns:add", {"name": "after"})  # and it still works
        assert runtime.run_query("fns:names").value == ["after"]


def test_a_writer_written_off_mid_group_rolls_back_its_staged_members(app, tmp_path, monkeypatch):
    monkeypatch.setattr(execution, "GROUP_AGE", 10.0)  # one group, whatever the machine
    calls = [
        ("fns:add", {"name": "staged"}),
        ("fns:stuck", {"seconds": 1.2}),
        ("fns:add", {"name": "after"}),
    ]
    with Runtime(app, tmp_path / "data", mutation_timeout=0.2) as runtime:
        staged, stuck, after = asyncio.run(queued_together(runtime, calls))
        assert type(stuck).__name__ == "TimeLimitError"
        assert isinstance(staged, Exception) and "Not committed" in str(staged)
        assert not isinstance(after, BaseException)  # run by the replacement writer
        assert runtime.run_query("fns:names").value == ["after"]
        runtime.run_mutation("fns:add", {"name": "later"})
        assert runtime.run_query("fns:names").value == ["after", "later"]
