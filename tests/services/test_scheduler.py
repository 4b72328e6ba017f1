"""The scheduler: ``ctx.scheduler.run_after / run_at / cancel`` and the worker that runs jobs.

Convex's semantics (docs/convex-protocol.md 1.4): scheduling from a mutation is atomic with it,
from an action it is not; scheduled mutations run exactly once, scheduled actions at most once;
the ``_scheduled_functions`` doc goes pending -> inProgress (actions) -> success | failed, or
canceled. Client-facing behaviour is checked against a real ``livebase serve`` process with the
official PyPI client; races and exact doc fields are checked in-process, driving a
``SchedulerWorker`` with asyncio.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from convex import ConvexClient, ConvexError

from livebase import ConvexError as LivebaseConvexError
from livebase import Runtime
from livebase.engine.errors import FunctionNotFoundError, LimitError, ValidationError
from livebase.engine.query import IndexRange
from livebase.runtime.core import run_to_completion
from livebase.services.scheduler import (
    INTERRUPTED,
    TABLE,
    Scheduler,
    SchedulerWorker,
    due_jobs,
    next_due,
    now_ms,
)
from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server

SERVICES = APPS / "services"
CRONAPP = APPS / "cronapp"


# --- helpers ---------------------------------------------------------------------------


def wait_until(check: Callable[[], Any], timeout: float = 5.0, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {check}")
        time.sleep(every)


def all_docs(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    """Every document of a table (system tables too), read in-process."""

    def read(txn: Any) -> list[dict[str, Any]]:
        info = txn.table(table)
        index = info.indexes["by_creation_time"]
        interval = IndexRange(index).interval()
        assert interval is not None
        return [doc for _, doc in txn.scan(info, index, *interval)]

    docs, _ = runtime.transact(read, readonly=True)
    return list(docs)


def job_doc(runtime: Runtime, job_id: str) -> dict[str, Any]:
    doc, _ = runtime.transact(lambda txn: txn.get(job_id, TABLE), readonly=True)
    assert doc is not None
    return dict(doc)


def action_scheduler(runtime: Runtime) -> Scheduler:
    """The ``ctx.scheduler`` an action gets (outside any transaction)."""
    return Scheduler(runtime, None)


def run_counts(runtime: Runtime) -> Counter[str]:
    return Counter(doc["job"] for doc in all_docs(runtime, "runs"))


async def settle(runtime: Runtime, timeout: float = 5.0) -> None:
    """Wait (on the loop) until no scheduled job is pending or in progress."""
    deadline = time.monotonic() + timeout
    while any(d["state"]["kind"] in ("pending", "inProgress") for d in all_docs(runtime, TABLE)):
        assert time.monotonic() < deadline, "scheduled jobs did not settle"
        await asyncio.sleep(0.02)


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def services_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One services-app server shared by the client tests (each uses its own job names)."""
    running = start_server(SERVICES, tmp_path_factory.mktemp("scheduler") / "data")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(services_server: RunningServer) -> ConvexClient:
    return ConvexClient(services_server.url)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(SERVICES, tmp_path / "data") as runtime:
        yield runtime


@pytest.fixture
def cronapp(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(CRONAPP, tmp_path / "data") as runtime:
        yield runtime


# --- against a server, with the official client ----------------------------------------


def test_run_after_zero_runs_the_job_soon_and_marks_it_success(client):
    started = time.monotonic()
    job_id = client.mutation("jobs:scheduleRecord", {"job": "soon", "delay": 0})
    assert isinstance(job_id, str)
    wait_until(lambda: client.query("jobs:runs", {"job": "soon"}))
    assert time.monotonic() - started < 1.0  # the worker was woken, not left to its timer
    assert client.query("jobs:runs", {"job": "soon"}) == [None]
    assert client.query("jobs:status", {"id": job_id}) == {
        "state": {"kind": "success"},
        "name": "jobs:record",
    }


def test_run_at_a_future_time_runs_at_that_time_and_not_before(client):
    at = time.time() * 1000 + 1200
    job_id = client.mutation("jobs:scheduleAt", {"job": "later", "at": at})
    time.sleep(max(0.0, (at - 300) / 1000 - time.time()))
    assert client.query("jobs:runs", {"job": "later"}) == []
    assert client.query("jobs:status", {"id": job_id})["state"] == {"kind": "pending"}
    wait_until(lambda: client.query("jobs:runs", {"job": "later"}), timeout=3)
    assert time.time() * 1000 - at < 1000  # on time, not at the worker's next idle wakeup
    assert client.query("jobs:status", {"id": job_id})["state"] == {"kind": "success"}


def test_a_mutation_that_schedules_then_raises_schedules_nothing(client):
    with pytest.raises(ConvexError) as failed:
        client.mutation("jobs:scheduleRecord", {"job": "rolled-back", "delay": 0, "fail": True})
    assert "nothing is scheduled" in str(failed.value.data)
    time.sleep(0.5)
    assert client.query("jobs:runs", {"job": "rolled-back"}) == []


def test_a_canceled_pending_job_is_marked_canceled_and_never_runs(client):
    job_id = client.mutation("jobs:scheduleRecord", {"job": "canceled", "delay": 700})
    client.mutation("jobs:cancel", {"id": job_id})
    assert client.query("jobs:status", {"id": job_id})["state"] == {"kind": "canceled"}
    time.sleep(1.2)
    assert client.query("jobs:runs", {"job": "canceled"}) == []
    assert client.query("jobs:status", {"id": job_id})["state"] == {"kind": "canceled"}


def test_a_scheduled_mutation_raising_convex_error_ends_failed_and_other_jobs_still_run(client):
    failing = client.mutation("jobs:scheduleFailing")
    other = client.mutation("jobs:scheduleRecord", {"job": "after-failure", "delay": 0})
    wait_until(lambda: client.query("jobs:status", {"id": failing})["state"]["kind"] == "failed")
    state = client.query("jobs:status", {"id": failing})["state"]
    assert state == {"kind": "failed", "error": 'ConvexError: {"code": "boom"}'}
    wait_until(lambda: client.query("jobs:runs", {"job": "after-failure"}))
    assert client.query("jobs:status", {"id": other})["state"] == {"kind": "success"}


def test_many_jobs_due_at_once_each_run_exactly_once_on_the_server(client):
    at = time.time() * 1000 + 600
    ids = [client.mutation("jobs:scheduleAt", {"job": f"many-{i}", "at": at}) for i in range(40)]
    wait_until(
        lambda: all(
            client.query("jobs:status", {"id": i})["state"]["kind"] == "success" for i in ids
        ),
        timeout=5,
    )
    time.sleep(0.3)
    for i in range(40):
        assert client.query("jobs:runs", {"job": f"many-{i}"}) == [None]


def test_a_job_scheduled_ahead_runs_exactly_once_after_a_server_restart(tmp_path):
    data = tmp_path / "data"
    server = start_server(SERVICES, data)
    try:
        job_id = ConvexClient(server.url).mutation(
            "jobs:scheduleRecord", {"job": "restart", "delay": 4000}
        )
    finally:
        server.stop()
    server = start_server(SERVICES, data)
    try:
        client = ConvexClient(server.url)
        assert client.query("jobs:runs", {"job": "restart"}) == []
        assert client.query("jobs:status", {"id": job_id})["state"] == {"kind": "pending"}
        wait_until(lambda: client.query("jobs:runs", {"job": "restart"}), timeout=8)
        time.sleep(0.5)
        assert client.query("jobs:runs", {"job": "restart"}) == [None]
        assert client.query("jobs:status", {"id": job_id})["state"] == {"kind": "success"}
    finally:
        server.stop()


def test_a_killed_server_keeps_pending_jobs_and_fails_the_action_it_was_running(tmp_path):
    data = tmp_path / "data"
    server = start_server(SERVICES, data)
    try:
        client = ConvexClient(server.url)
        action_id = client.mutation(
            "jobs:scheduleSlowAction", {"job": "killed", "delay": 0, "seconds": 1.0}
        )
        pending_id = client.mutation("jobs:scheduleRecord", {"job": "survivor", "delay": 1500})
        wait_until(lambda: client.query("jobs:runs", {"job": "killed"}) == ["started"])
        assert client.query("jobs:status", {"id": action_id})["state"] == {"kind": "inProgress"}
        server.process.kill()  # SIGKILL while the action sleeps: no shutdown code runs
        server.process.wait()
    finally:
        server.stop()
    server = start_server(SERVICES, data)
    restarted = time.monotonic()
    try:
        client = ConvexClient(server.url)
        wait_until(
            lambda: client.query("jobs:status", {"id": action_id})["state"]["kind"] != "inProgress"
        )
        assert client.query("jobs:status", {"id": action_id})["state"] == {
            "kind": "failed",
            "error": INTERRUPTED,
        }
        wait_until(lambda: client.query("jobs:runs", {"job": "survivor"}), timeout=5)
        # long enough for a re-run of the 1 s action to have started and finished
        time.sleep(max(0.0, 1.5 - (time.monotonic() - restarted)))
        assert client.query("jobs:runs", {"job": "survivor"}) == [None]
        assert client.query("jobs:status", {"id": pending_id})["state"] == {"kind": "success"}
        assert client.query("jobs:runs", {"job": "killed"}) == ["started"]
        assert client.query("jobs:status", {"id": action_id})["state"]["kind"] == "failed"
    finally:
        server.stop()


# --- in-process: the job document and the worker's guarantees --------------------------


def test_the_job_document_goes_from_pending_to_success_with_completed_time(services):
    worker = SchedulerWorker(services)
    before = now_ms()
    job_id = services.run_mutation("jobs:scheduleRecord", {"job": "doc", "delay": 0}).value
    doc = job_doc(services, job_id)
    assert doc["name"] == "jobs:record"
    assert doc["args"] == {"job": "doc"}
    assert doc["state"] == {"kind": "pending"}
    assert "completedTime" not in doc
    assert before <= doc["scheduledTime"] <= now_ms()

    assert asyncio.run(worker.run_due()) == 1
    done = job_doc(services, job_id)
    assert done["state"] == {"kind": "success"}
    assert done["scheduledTime"] <= done["completedTime"] <= now_ms()
    (run,) = [d for d in all_docs(services, "runs") if d["job"] == "doc"]
    assert run["at"] >= done["scheduledTime"]


def test_run_at_is_not_run_by_the_worker_before_its_time(services):
    worker = SchedulerWorker(services)
    at = now_ms() + 400
    job_id = services.run_mutation("jobs:scheduleAt", {"job": "at", "at": at}).value
    assert job_doc(services, job_id)["scheduledTime"] == at
    assert asyncio.run(worker.run_due()) == 0
    assert job_doc(services, job_id)["state"] == {"kind": "pending"}
    time.sleep(max(0.0, (at - now_ms()) / 1000) + 0.01)
    assert asyncio.run(worker.run_due()) == 1
    (run,) = [d for d in all_docs(services, "runs") if d["job"] == "at"]
    assert run["at"] >= at
    assert job_doc(services, job_id)["completedTime"] >= at


def test_a_mutation_that_schedules_then_raises_leaves_no_job_document(services):
    worker = SchedulerWorker(services)
    with pytest.raises(LivebaseConvexError):
        services.run_mutation("jobs:scheduleRecord", {"job": "gone", "delay": 0, "fail": True})
    assert all_docs(services, TABLE) == []
    assert asyncio.run(worker.run_due()) == 0
    assert run_counts(services)["gone"] == 0


def test_a_failed_scheduled_mutation_records_its_error_and_writes_nothing(services):
    worker = SchedulerWorker(services)
    failing = services.run_mutation("jobs:scheduleFailing").value
    other = services.run_mutation("jobs:scheduleRecord", {"job": "next", "delay": 0}).value
    assert asyncio.run(worker.run_due()) == 2
    doc = job_doc(services, failing)
    assert doc["state"]["kind"] == "failed"
    assert doc["state"]["error"] == 'ConvexError: {"code": "boom"}'
    assert doc["completedTime"] >= doc["scheduledTime"]
    assert job_doc(services, other)["state"] == {"kind": "success"}
    assert run_counts(services) == {"next": 1}


def test_many_jobs_due_at_once_are_each_run_exactly_once(services):
    worker = SchedulerWorker(services)
    ids = [
        services.run_mutation("jobs:scheduleRecord", {"job": f"j{i}", "delay": 0}).value
        for i in range(120)
    ]
    assert asyncio.run(worker.run_due()) == 120  # more than one batch of due jobs
    assert run_counts(services) == {f"j{i}": 1 for i in range(120)}
    assert {job_doc(services, i)["state"]["kind"] for i in ids} == {"success"}
    assert asyncio.run(worker.run_due()) == 0


def test_run_due_invoked_concurrently_on_one_loop_runs_each_job_once(services):
    first, second = SchedulerWorker(services), SchedulerWorker(services)
    for i in range(60):
        services.run_mutation("jobs:scheduleRecord", {"job": f"c{i}", "delay": 0})

    async def both() -> list[int]:
        return list(await asyncio.gather(first.run_due(), second.run_due(), first.run_due()))

    assert sum(asyncio.run(both())) >= 60
    assert run_counts(services) == {f"c{i}": 1 for i in range(60)}


def test_two_workers_in_threads_race_for_the_same_jobs_and_each_runs_once(services):
    for i in range(80):
        services.run_mutation("jobs:scheduleRecord", {"job": f"t{i}", "delay": 0})
    for i in range(10):
        services.run_mutation("jobs:scheduleSlowAction", {"job": f"a{i}", "delay": 0, "seconds": 0})
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work() -> None:
        async def run() -> None:
            worker = SchedulerWorker(services)
            barrier.wait()
            await worker.run_due()
            await settle(services)

        try:
            asyncio.run(run())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    counts = run_counts(services)
    assert {k: v for k, v in counts.items() if k.startswith("t")} == {f"t{i}": 1 for i in range(80)}
    # each action ran once: one "started" and one "finished" record
    assert {k: v for k, v in counts.items() if k.startswith("a")} == {f"a{i}": 2 for i in range(10)}
    assert {d["state"]["kind"] for d in all_docs(services, TABLE)} == {"success"}


def test_a_worker_holding_a_stale_list_of_due_jobs_does_not_run_them_again(services):
    worker, late = SchedulerWorker(services), SchedulerWorker(services)
    for i in range(5):
        services.run_mutation("jobs:scheduleRecord", {"job": f"s{i}", "delay": 0})
    services.run_mutation("jobs:scheduleSlowAction", {"job": "sa", "delay": 0, "seconds": 0})
    stale, _ = services.transact(lambda txn: due_jobs(txn, now_ms(), 100), readonly=True)
    assert len(stale) == 6

    async def run() -> None:
        await worker.run_due()
        await settle(services)
        for job in stale:  # the other worker read these before the first one ran them
            await late._run_job(job)
        await asyncio.sleep(0.05)

    asyncio.run(run())
    assert run_counts(services) == {**{f"s{i}": 1 for i in range(5)}, "sa": 2}


def test_a_canceled_job_is_not_run_by_the_worker(services):
    worker = SchedulerWorker(services)
    job_id = services.run_mutation("jobs:scheduleRecord", {"job": "cx", "delay": 0}).value
    services.run_mutation("jobs:cancel", {"id": job_id})
    doc = job_doc(services, job_id)
    assert doc["state"] == {"kind": "canceled"}
    assert "completedTime" in doc
    assert asyncio.run(worker.run_due()) == 0
    assert run_counts(services)["cx"] == 0


def test_an_action_canceled_while_it_runs_stays_canceled_even_when_it_fails(cronapp):
    worker = SchedulerWorker(cronapp)

    async def cancel_midway() -> str:
        scheduler_ctx = action_scheduler(cronapp)
        job_id = await scheduler_ctx.run_after(
            0, "work:slow", {"job": "cm", "seconds": 0.2, "fail": True}
        )
        await worker.run_due()
        assert job_doc(cronapp, job_id)["state"] == {"kind": "inProgress"}
        await scheduler_ctx.cancel(job_id)
        await asyncio.sleep(0.4)
        return job_id

    job_id = asyncio.run(cancel_midway())
    assert cronapp.run_query("work:runs", {"job": "cm"}).value == ["started"]
    assert job_doc(cronapp, job_id)["state"] == {"kind": "canceled"}


def test_run_after_from_an_action_commits_on_its_own(cronapp):
    worker = SchedulerWorker(cronapp)
    with pytest.raises(LivebaseConvexError, match="after scheduling"):
        asyncio.run(cronapp.run_action("work:scheduleThenFail", {"job": "from-action", "delay": 0}))
    (job,) = [d for d in all_docs(cronapp, TABLE) if d["args"].get("job") == "from-action"]
    assert job["state"] == {"kind": "pending"}
    assert asyncio.run(worker.run_due()) >= 1
    assert cronapp.run_query("work:runs", {"job": "from-action"}).value == [None]
    assert job_doc(cronapp, job["_id"])["state"] == {"kind": "success"}


def test_a_chain_of_jobs_scheduling_the_next_with_run_after_zero_does_not_block_the_loop(
    cronapp,
):
    worker = SchedulerWorker(cronapp)
    worker.crons.jobs = {}  # only the chain runs here
    cronapp.scheduler_wakeup = worker.wake
    cronapp.run_mutation("work:chain", {"job": "chain", "left": 100}, internal_ok=True)

    async def run() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.create_task(ticker())
        forever = asyncio.create_task(worker.run_forever(max_sleep=0.2))
        deadline = time.monotonic() + 5
        while run_counts(cronapp)["chain"] < 101:
            assert time.monotonic() < deadline, "the chain did not finish"
            await asyncio.sleep(0.01)
        await worker.stop()
        forever.cancel()
        ticking.cancel()
        return ticks

    ticks = asyncio.run(run())
    assert run_counts(cronapp)["chain"] == 101
    # the loop got a turn between links: other work (clients, crons) is not starved
    assert ticks >= 100
    assert {d["state"]["kind"] for d in all_docs(cronapp, TABLE)} == {"success"}


def test_a_job_scheduled_while_the_worker_looks_for_due_jobs_runs_at_once(services):
    """The worker's cycle awaits worker threads; a job scheduled (and its wake-up sent) after
    the cycle read the next due time must not wait out the sleep computed without it."""
    worker = SchedulerWorker(services)
    worker.crons.jobs = {}  # the app's one-second cron would cut the sleep short
    services.scheduler_wakeup = worker.wake
    real = services.transact_async
    scheduled: list[str] = []

    async def transact_async(work: Any, readonly: bool = False) -> Any:
        result = await real(work, readonly)
        if work is next_due and not scheduled:  # just after the cycle read the next due time
            job = services.run_mutation("jobs:scheduleRecord", {"job": "late", "delay": 0})
            scheduled.append(job.value)
        return result

    async def run() -> float:
        services.transact_async = transact_async  # type: ignore[method-assign]
        forever = asyncio.create_task(worker.run_forever(max_sleep=5.0))
        started = time.monotonic()
        try:
            while not scheduled or job_doc(services, scheduled[0])["state"]["kind"] != "success":
                assert time.monotonic() - started < 10
                await asyncio.sleep(0.02)
            return time.monotonic() - started
        finally:
            await worker.stop()
            forever.cancel()

    took = asyncio.run(run())
    assert took < 0.5  # not the 5 s sleep


def test_recover_marks_actions_left_in_progress_failed_and_leaves_pending_jobs(services):
    worker = SchedulerWorker(services)
    action_id = services.run_mutation(
        "jobs:scheduleSlowAction", {"job": "stuck", "delay": 0, "seconds": 0}
    ).value
    pending_id = services.run_mutation("jobs:scheduleRecord", {"job": "p", "delay": 60_000}).value
    # what a killed server leaves behind: the action was claimed, then the process died
    services.transact(lambda txn: worker._claim(txn, action_id))
    assert job_doc(services, action_id)["state"] == {"kind": "inProgress"}

    assert SchedulerWorker(services).recover() == 1
    doc = job_doc(services, action_id)
    assert doc["state"] == {"kind": "failed", "error": INTERRUPTED}
    assert "completedTime" in doc
    assert job_doc(services, pending_id)["state"] == {"kind": "pending"}
    assert asyncio.run(worker.run_due()) == 0  # neither runs now
    assert run_counts(services)["stuck"] == 0


def test_a_failing_worker_cycle_is_retried_after_a_pause_not_in_a_tight_loop(services, monkeypatch):
    worker = SchedulerWorker(services)
    worker.crons.jobs = {}
    attempts = 0

    async def broken(job: dict[str, Any]) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("database is locked")  # say, the disk is full

    monkeypatch.setattr(worker, "_run_job", broken)
    services.run_mutation("jobs:scheduleRecord", {"job": "stuck", "delay": 0})

    async def run() -> None:
        forever = asyncio.create_task(worker.run_forever(max_sleep=0.2))
        await asyncio.sleep(1.0)
        await worker.stop()
        forever.cancel()

    asyncio.run(run())
    assert 1 <= attempts <= 10  # every max_sleep, not thousands of times a second


def test_scheduling_checks_its_arguments(services):
    scheduler = action_scheduler(services)

    async def schedule(*args: Any) -> Any:
        return await scheduler.run_after(*args)

    for delay in (-1, float("nan"), float("inf"), "10", True):
        with pytest.raises(ValidationError, match="non-negative delay"):
            asyncio.run(schedule(delay, "jobs:record", {"job": "x"}))
    with pytest.raises(ValidationError, match="must be an object"):
        asyncio.run(schedule(0, "jobs:record", ["x"]))
    with pytest.raises(ValidationError, match="is a query"):
        asyncio.run(schedule(0, "jobs:runs", {"job": "x"}))
    with pytest.raises(FunctionNotFoundError):
        asyncio.run(schedule(0, "jobs:nope", {}))
    for at in ("tomorrow", float("nan"), float("inf")):
        with pytest.raises(ValidationError, match="finite timestamp"):
            asyncio.run(scheduler.run_at(at, "jobs:record", {"job": "x"}))
    assert all_docs(services, TABLE) == []


def test_run_at_takes_a_datetime_and_a_failed_action_job_records_its_error(cronapp):
    worker = SchedulerWorker(cronapp)
    scheduler = action_scheduler(cronapp)
    when = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)  # in the past: due at once

    async def run() -> str:
        job_id: str = await scheduler.run_at(
            when, "work:slow", {"job": "af", "seconds": 0, "fail": True}
        )
        await worker.run_due()
        await settle(cronapp)
        return job_id

    job_id = asyncio.run(run())
    doc = job_doc(cronapp, job_id)
    assert doc["scheduledTime"] == when.timestamp() * 1000
    assert doc["state"] == {"kind": "failed", "error": "ConvexError: the slow action failed"}
    assert cronapp.run_query("work:runs", {"job": "af"}).value == ["started"]


def test_a_function_can_schedule_at_most_1000_functions_and_going_over_rolls_it_back(services):
    def schedule(count: int) -> Any:
        def work(txn: Any) -> None:
            scheduler = Scheduler(services, txn)  # as in a mutation: part of its transaction
            for _ in range(count):
                run_to_completion(scheduler.run_after(0, "jobs:record", {"job": "n"}), "t")

        return services.transact(work)

    with pytest.raises(LimitError, match="at most 1000"):
        schedule(1001)
    assert all_docs(services, TABLE) == []
    schedule(1000)
    assert len(all_docs(services, TABLE)) == 1000


def test_finished_jobs_are_deleted_after_the_retention_and_pending_ones_kept(services):
    worker = SchedulerWorker(services)
    done = services.run_mutation("jobs:scheduleRecord", {"job": "old", "delay": 0}).value
    canceled = services.run_mutation("jobs:scheduleRecord", {"job": "off", "delay": 60_000}).value
    asyncio.run(worker.run_due())
    services.run_mutation("jobs:cancel", {"id": canceled})
    pending = services.run_mutation("jobs:scheduleRecord", {"job": "later", "delay": 60_000}).value
    # inside the retention nothing goes
    assert worker.prune() == 0
    assert job_doc(services, done)["state"] == {"kind": "success"}
    # finished more than retention_ms ago: deleted; the pending job stays
    time.sleep(0.05)
    worker.retention_ms = 10
    assert worker.prune() == 2
    ids = {doc["_id"] for doc in all_docs(services, TABLE)}
    assert ids == {pending}
    assert worker.prune() == 0
