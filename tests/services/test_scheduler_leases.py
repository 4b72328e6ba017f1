"""Scheduled actions' leases when two processes (two Runtimes) serve one PostgreSQL
deployment: renewed on time whatever the scheduler cycle is busy with, reported when lost,
and never left behind by an action canceled before its process died."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livebase import Runtime
from livebase.engine.query import IndexRange
from livebase.services.scheduler import LEASES, SchedulerWorker
from tests import pgsupport

APP = Path(__file__).resolve().parent / "lease_app"
LEASE_MS = 1200.0


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    """Two runtimes over one fresh PostgreSQL schema, as two processes would open it."""
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    first = Runtime(APP, tmp_path / "a", db=url)
    second = Runtime(APP, tmp_path / "b", db=url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        pgsupport.drop_schema(schema)


def workers(first: Runtime, second: Runtime) -> tuple[SchedulerWorker, SchedulerWorker]:
    one, other = SchedulerWorker(first), SchedulerWorker(second)
    one.lease_ms = other.lease_ms = LEASE_MS
    return one, other


def leases(runtime: Runtime) -> list[dict[str, Any]]:
    def read(txn: Any) -> list[dict[str, Any]]:
        table = txn.table(LEASES)
        index = table.indexes["by_job"]
        interval = IndexRange(index).interval()
        assert interval is not None
        return [doc for _, doc in txn.scan(table, index, *interval)]

    docs, _ = runtime.transact(read, readonly=True)
    return list(docs)


def test_a_live_action_keeps_its_lease_through_a_backlog_of_due_mutations_longer_than_it(
    two_processes, caplog
):
    first, second = two_processes
    runner, other = workers(first, second)
    setup = {"action_seconds": 3.5, "busy": 14, "busy_seconds": 0.2}  # 2.8 s of mutations
    job = first.run_mutation("jobs:setup", setup).value
    stop = threading.Event()
    failed: list[int] = []

    def other_process() -> None:  # the other process's lease keeper, every third of a lease
        while not stop.is_set():
            failed.append(other.recover())
            time.sleep(LEASE_MS / 3000)

    async def serve() -> None:
        forever = asyncio.create_task(runner.run_forever(max_sleep=0.1))
        await asyncio.sleep(4.5)
        await runner.stop()
        await forever

    watcher = threading.Thread(target=other_process)
    watcher.start()
    try:
        with caplog.at_level(logging.WARNING, logger="livebase.scheduler"):
            asyncio.run(serve())
    finally:
        stop.set()
        watcher.join()
    busy = sorted(second.run_query("jobs:busy_times", {}).value)
    assert len(busy) == 14 and busy[-1] - busy[0] > LEASE_MS  # the backlog outlasted a lease
    assert sum(failed) == 0
    assert second.run_query("jobs:status", {"id": job}).value == {"kind": "success"}
    assert second.run_query("jobs:runs", {}).value == ["started", "finished"]
    assert "lost its lease" not in caplog.text
    assert leases(second) == []


def test_a_renewal_that_finds_its_lease_gone_logs_a_warning(two_processes, caplog):
    first, second = two_processes
    runner, _ = workers(first, second)
    job = first.run_mutation(
        "jobs:setup", {"action_seconds": 1.0, "busy": 0, "busy_seconds": 0}
    ).value

    async def claim_then_lose_the_lease() -> int:
        assert await runner.run_due() == 1
        [lease] = await asyncio.to_thread(leases, second)
        # another process takes the action for dead: its lease goes
        await asyncio.to_thread(second.transact, lambda txn: txn.delete(lease["_id"], LEASES))
        with caplog.at_level(logging.WARNING, logger="livebase.scheduler"):
            renewed = await asyncio.to_thread(runner.renew_leases, {job})
        await runner.stop()
        return renewed

    assert asyncio.run(claim_then_lose_the_lease()) == 0
    assert f"scheduled action {job} lost its lease" in caplog.text


def test_the_lease_of_an_action_canceled_before_its_process_died_is_deleted(two_processes):
    first, second = two_processes
    dying, survivor = workers(first, second)
    job = first.run_mutation(
        "jobs:setup", {"action_seconds": 30, "busy": 0, "busy_seconds": 0}
    ).value

    async def claim_cancel_then_die() -> None:
        assert await dying.run_due() == 1
        await asyncio.sleep(0.3)  # the action starts
        await asyncio.to_thread(second.run_mutation, "jobs:cancel", {"id": job})
        for task in list(dying._running_actions):  # the process dies: no renewal, no end
            task.cancel()

    asyncio.run(claim_cancel_then_die())
    assert second.run_query("jobs:status", {"id": job}).value["kind"] == "canceled"
    assert len(leases(second)) == 1
    assert survivor.recover() == 0  # not expired yet
    time.sleep(LEASE_MS / 1000 + 0.2)
    assert survivor.recover() == 0  # nothing to mark failed: the job stays canceled
    assert leases(second) == []
    assert second.run_query("jobs:status", {"id": job}).value["kind"] == "canceled"


def test_a_lease_renewed_from_a_clock_that_lags_keeps_its_action_alive(two_processes):
    first, second = two_processes
    runner, other = workers(first, second)
    job = first.run_mutation(
        "jobs:setup", {"action_seconds": 1.5, "busy": 0, "busy_seconds": 0}
    ).value

    async def run_and_renew_from_behind() -> None:
        assert await runner.run_due() == 1
        # why: its renewals write expiry times already past on the other's clock, as a
        # machine whose clock runs ten seconds behind would
        runner.lease_ms = -10_000.0
        for _ in range(12):
            await asyncio.to_thread(runner.renew_leases)
            assert await asyncio.to_thread(other.recover) == 0
            await asyncio.sleep(0.15)
        while runner._running_actions:
            await asyncio.sleep(0.05)

    asyncio.run(run_and_renew_from_behind())
    assert second.run_query("jobs:status", {"id": job}).value == {"kind": "success"}
    assert second.run_query("jobs:runs", {}).value == ["started", "finished"]
