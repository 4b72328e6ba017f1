"""Cron jobs: an app's ``crons.py``, run by the server's worker, next runs kept in ``_cron_jobs``.

Convex's semantics (docs/convex-protocol.md 1.4): ``cronJobs()`` with interval / cron /
hourly / daily / weekly / monthly schedules in UTC; at most one run of each job at a time,
overlapping runs skipped. The services test app ticks every second ("tick" records a run of
job "tick"); tests/apps/cronapp has an action cron that takes longer than its interval.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from convex import ConvexClient

from livebase import Runtime, cron_jobs
from livebase.engine.errors import SchemaError
from livebase.services.crons import TABLE as CRON_TABLE
from livebase.services.crons import CronRunner
from livebase.services.scheduler import SchedulerWorker, now_ms
from tests.conftest import APPS, ROOT
from tests.e2e.conftest import start_server
from tests.services.test_scheduler import all_docs

SERVICES = APPS / "services"
CRONAPP = APPS / "cronapp"


# --- helpers ---------------------------------------------------------------------------


def cron_state(runtime: Runtime, name: str) -> dict[str, Any]:
    (state,) = [d for d in all_docs(runtime, CRON_TABLE) if d["name"] == name]
    return state


def tick_times(data: Path) -> tuple[list[float], dict[str, Any]]:
    """The times "tick" ran (ms) and its ``_cron_jobs`` doc, read from a stopped server's data."""
    with Runtime(SERVICES, data) as runtime:
        runs = sorted(d["at"] for d in all_docs(runtime, "runs") if d["job"] == "tick")
        return runs, cron_state(runtime, "tick")


def write_app(root: Path, crons: str, work: str = "") -> Path:
    """A throwaway app package (unique name: Python caches imported modules)."""
    package = root / f"cronapp_{uuid.uuid4().hex[:12]}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "schema.py").write_text(
        "from livebase import define_schema, define_table, v\n"
        'schema = define_schema({"runs": define_table({"job": v.string()})})\n'
    )
    (package / "work.py").write_text(
        textwrap.dedent(
            """
            from livebase import ConvexError, internal_mutation
            from livebase import query

            CALLS = {"count": 0}

            @internal_mutation
            async def record(ctx):
                await ctx.db.insert("runs", {"job": "record"})

            @internal_mutation
            async def crash(ctx):
                CALLS["count"] += 1
                await ctx.db.insert("runs", {"job": "crash"})
                raise KeyError("not a ConvexError")

            @internal_mutation
            async def refuse(ctx):
                CALLS["count"] += 1
                raise ConvexError("refused")

            @query
            async def listing(ctx):
                return []
            """
        )
        + textwrap.dedent(work)
    )
    (package / "crons.py").write_text(
        "from livebase import cron_jobs\ncrons = cron_jobs()\n" + textwrap.dedent(crons)
    )
    return package


async def run_worker_for(worker: SchedulerWorker, seconds: float) -> None:
    forever = asyncio.create_task(worker.run_forever(max_sleep=0.5))
    await asyncio.sleep(seconds)
    await worker.stop()  # also cancels the cron actions still running
    forever.cancel()
    await asyncio.sleep(0)


@pytest.fixture
def cronapp(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(CRONAPP, tmp_path / "data") as runtime:
        yield runtime


# --- against a server ------------------------------------------------------------------


def test_tick_runs_about_once_a_second_while_the_server_runs_and_keeps_its_next_run(tmp_path):
    data = tmp_path / "data"
    server = start_server(SERVICES, data)
    try:
        client = ConvexClient(server.url)
        time.sleep(1.6)
        early = len(client.query("jobs:runs", {"job": "tick"}))
        time.sleep(1.6)
        late = len(client.query("jobs:runs", {"job": "tick"}))
    finally:
        server.stop()
    assert 2 <= early <= 3  # at start (an interval job runs when first seen), then each second
    assert late >= early + 1  # it keeps running
    assert late <= 5  # about once a second, not a burst
    ticks, state = tick_times(data)
    assert len(ticks) == late
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert all(800 <= gap <= 1600 for gap in gaps), gaps
    # the next run is persisted: one second after the last due time (on the job's grid)
    assert state["schedule"] == "every 1000 ms"
    assert abs(state["lastRun"] - ticks[-1]) < 200
    assert state["lastRun"] < state["nextRun"] <= state["lastRun"] + 1000


def test_a_server_restart_does_not_run_tick_twice_for_one_due_time(tmp_path):
    data = tmp_path / "data"
    server = start_server(SERVICES, data)
    try:
        client = ConvexClient(server.url)
        deadline = time.monotonic() + 5
        while len(client.query("jobs:runs", {"job": "tick"})) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        server.stop()
    before, state = tick_times(data)
    server = start_server(SERVICES, data)  # back before the persisted next run is due
    try:
        time.sleep(2.3)
    finally:
        server.stop()
    ticks, _ = tick_times(data)
    after = ticks[len(before) :]
    assert ticks[: len(before)] == before
    assert 2 <= len(after) <= 3
    # the first run after the restart is the persisted one, not an extra run at start
    assert after[0] >= state["nextRun"]
    # one run per due time: the persisted one (perhaps late), then one per second after it
    slots = [math.floor((at - state["nextRun"]) / 1000) for at in after]
    assert slots == sorted(set(slots)), (after, state)


def test_a_cron_naming_an_unknown_function_stops_the_server_at_start(tmp_path):
    app = write_app(tmp_path, 'crons.interval("ghost", {"seconds": 1}, "work:nope")\n')
    data = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "livebase", "serve", str(app), "--port", "0", "--data-dir", data],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "Cron job 'ghost'" in done.stdout + done.stderr
    assert "work:nope" in done.stdout + done.stderr


# --- in-process ------------------------------------------------------------------------


def test_one_due_time_runs_a_mutation_cron_once_even_with_two_runners_at_once(tmp_path):
    with Runtime(SERVICES, tmp_path / "data") as runtime:
        old, new = CronRunner(runtime), CronRunner(runtime)  # before and after a restart
        old.jobs = new.jobs = {"tick": old.jobs["tick"]}
        asyncio.run(old.run_due())  # first sight: an interval job runs at once
        asyncio.run(new.run_due())  # the "restarted" runner sees it is not due again
        assert len(all_docs(runtime, "runs")) == 1
        for round_ in range(2, 7):
            state = cron_state(runtime, "tick")
            runtime.transact(
                lambda txn, s=state: txn.patch(s["_id"], {"nextRun": now_ms() - 1}, CRON_TABLE)
            )
            barrier = threading.Barrier(2)

            def run(runner: CronRunner, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                asyncio.run(runner.run_due())

            threads = [threading.Thread(target=run, args=(r,)) for r in (old, new)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            assert len(all_docs(runtime, "runs")) == round_
            assert cron_state(runtime, "tick")["nextRun"] > now_ms()


def test_an_action_cron_longer_than_its_interval_never_overlaps_and_skips_runs(
    cronapp, monkeypatch
):
    worker = SchedulerWorker(cronapp)
    cycles = 0
    run_due = worker.crons.run_due

    async def counted() -> float:
        nonlocal cycles
        cycles += 1
        return await run_due()

    monkeypatch.setattr(worker.crons, "run_due", counted)
    asyncio.run(run_worker_for(worker, 2.8))
    notes = cronapp.run_query("work:runs", {"job": "overlap"}).value
    # every 0.3 s for 1 s: a run starts only after the last one finished
    assert notes[:4] == ["started", "finished", "started", "finished"]
    assert all(note == ("started" if i % 2 == 0 else "finished") for i, note in enumerate(notes)), (
        notes
    )
    assert notes.count("started") <= 3  # not one per 0.3 s: the overlapping runs were skipped
    # skipped runs move the next run on: the worker sleeps instead of spinning
    assert cycles < 40
    state = cron_state(cronapp, "overlap")
    assert state["nextRun"] > state["lastRun"]


@pytest.mark.parametrize("function", ["work:crash", "work:refuse"])
def test_a_failing_mutation_cron_runs_once_per_interval_and_its_writes_roll_back(
    tmp_path, function
):
    app = write_app(tmp_path, f'crons.interval("failing", {{"seconds": 0.3}}, "{function}")\n')
    with Runtime(app, tmp_path / "data") as runtime:
        worker = SchedulerWorker(runtime)
        asyncio.run(run_worker_for(worker, 1.1))
        calls = runtime.app.modules["work"].CALLS["count"]
        assert 3 <= calls <= 5  # at 0, 0.3, 0.6, 0.9 s: not re-run in a tight loop
        assert all_docs(runtime, "runs") == []
        state = cron_state(runtime, "failing")
        assert state["nextRun"] > state["lastRun"]


def test_a_mutation_cron_runs_in_process_and_records_its_last_and_next_run(tmp_path):
    app = write_app(tmp_path, 'crons.interval("rec", {"seconds": 0.25}, "work:record")\n')
    with Runtime(app, tmp_path / "data") as runtime:
        worker = SchedulerWorker(runtime)
        started = now_ms()
        asyncio.run(run_worker_for(worker, 1.2))
        runs = len(all_docs(runtime, "runs"))
        assert 4 <= runs <= 6  # at 0, 0.25, 0.5, 0.75, 1.0 s
        state = cron_state(runtime, "rec")
        assert state["lastRun"] < state["nextRun"] <= state["lastRun"] + 250
        # on its grid: due times are whole intervals after the first run, with no drift
        first = state["nextRun"] - 250 * round((state["nextRun"] - started) / 250)
        assert abs(first - started) < 50


# --- load-time checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (lambda c: c.cron("bad", "61 * * * *", "work:record"), "not a valid cron expression"),
        (lambda c: c.cron("bad", "* * *", "work:record"), "not a valid cron expression"),
        (lambda c: c.cron("bad", "every minute", "work:record"), "not a valid cron expression"),
        (lambda c: c.cron("bad", "", "work:record"), "not a valid cron expression"),
        (lambda c: c.daily("bad", {"hourUTC": 25}, "work:record"), "not a valid cron"),
        (lambda c: c.daily("bad", {"hour": 8}, "work:record"), "needs hourUTC"),
        (lambda c: c.monthly("bad", {"hourUTC": 8}, "work:record"), "needs day"),
        (lambda c: c.weekly("bad", {"dayOfWeek": "funday", "hourUTC": 1}, "a:b"), "dayOfWeek"),
        (lambda c: c.interval("bad", {"days": 1}, "work:record"), "seconds, minutes, hours"),
        (lambda c: c.interval("bad", {"seconds": 0}, "work:record"), "must be positive"),
        (lambda c: c.interval("bad", {"minutes": -1}, "work:record"), "must be positive"),
        (lambda c: c.interval("bad", {"seconds": 1}, "work:record", [1]), "args must be"),
    ],
)
def test_invalid_schedules_are_rejected_with_a_schema_error_naming_the_job(declare, message):
    with pytest.raises(SchemaError, match=message) as err:
        declare(cron_jobs())
    assert "'bad'" in err.value.message


def test_two_cron_jobs_with_one_name_are_rejected():
    crons = cron_jobs()
    crons.interval("twice", {"seconds": 1}, "work:record")
    with pytest.raises(SchemaError, match="Two cron jobs are named 'twice'"):
        crons.hourly("twice", {"minuteUTC": 5}, "work:record")


def test_an_app_with_an_invalid_cron_expression_fails_to_load(tmp_path):
    app = write_app(tmp_path, 'crons.cron("nightly", "0 25 * * *", "work:record")\n')
    with pytest.raises(SchemaError, match="Cron job 'nightly': '0 25 \\* \\* \\*' is not a valid"):
        Runtime(app, tmp_path / "data")


def test_a_cron_naming_an_unknown_function_is_rejected_with_a_schema_error(tmp_path):
    app = write_app(tmp_path, 'crons.interval("ghost", {"seconds": 1}, "work:nope")\n')
    with (
        Runtime(app, tmp_path / "data") as runtime,
        pytest.raises(SchemaError, match=r"Cron job 'ghost': .*work:nope"),
    ):
        SchedulerWorker(runtime)


def test_a_cron_naming_a_query_is_rejected_with_a_schema_error(tmp_path):
    app = write_app(tmp_path, 'crons.interval("reader", {"seconds": 1}, "work:listing")\n')
    with (
        Runtime(app, tmp_path / "data") as runtime,
        pytest.raises(SchemaError, match="Cron job 'reader': work:listing is a query"),
    ):
        SchedulerWorker(runtime)


# --- schedules -------------------------------------------------------------------------


def _ms(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000


@pytest.mark.parametrize(
    ("declare", "after", "expected"),
    [
        (lambda c: c.interval("j", {"minutes": 5}, "f:g"), "2024-01-01T00:00:00", "00:05:00"),
        (lambda c: c.cron("j", "* * * * *", "f:g"), "2024-01-01T10:00:30", "10:01:00"),
        (lambda c: c.hourly("j", {"minuteUTC": 15}, "f:g"), "2024-01-01T10:20:00", "11:15:00"),
        (
            lambda c: c.daily("j", {"hourUTC": 8, "minuteUTC": 30}, "f:g"),
            "2024-01-01T09:00:00",
            "2024-01-02T08:30:00",
        ),
        (
            lambda c: c.weekly("j", {"dayOfWeek": "monday", "hourUTC": 6}, "f:g"),
            "2024-01-03T00:00:00",  # a Wednesday
            "2024-01-08T06:00:00",
        ),
        (
            lambda c: c.monthly("j", {"day": 1, "hourUTC": 16, "minuteUTC": 0}, "f:g"),
            "2024-01-15T00:00:00",
            "2024-02-01T16:00:00",
        ),
    ],
)
def test_schedules_compute_their_next_run_in_utc(declare, after, expected):
    crons = cron_jobs()
    declare(crons)
    if "T" not in expected:
        expected = after.split("T")[0] + "T" + expected
    assert crons.jobs["j"].next_after(_ms(after)) == _ms(expected)


def test_an_interval_job_runs_when_first_seen_and_a_cron_job_waits_for_its_time():
    crons = cron_jobs()
    crons.interval("every", {"minutes": 5}, "f:g")
    crons.daily("daily", {"hourUTC": 8}, "f:g")
    now = _ms("2024-01-01T10:00:00")
    assert crons.jobs["every"].first_run(now) == now
    assert crons.jobs["daily"].first_run(now) == _ms("2024-01-02T08:00:00")


def test_the_run_after_a_late_one_keeps_to_the_schedule_and_skips_what_was_missed():
    crons = cron_jobs()
    crons.interval("every", {"minutes": 5}, "f:g")
    crons.cron("minutely", "* * * * *", "f:g")
    every, minutely = crons.jobs["every"], crons.jobs["minutely"]
    due = _ms("2024-01-01T10:00:00")
    assert every.following(due, due + 1_000) == _ms("2024-01-01T10:05:00")  # not 10:05:01
    assert every.following(due, _ms("2024-01-01T10:17:00")) == _ms("2024-01-01T10:20:00")
    assert every.following(due, _ms("2024-01-01T10:05:00")) == _ms("2024-01-01T10:10:00")
    assert minutely.following(due, due + 1_000) == _ms("2024-01-01T10:01:00")
    assert minutely.following(due, _ms("2024-01-01T12:30:30")) == _ms("2024-01-01T12:31:00")


def test_a_mutation_cron_runs_once_when_first_seen_then_waits_for_its_interval(tmp_path):
    app = write_app(tmp_path, 'crons.interval("rec", {"seconds": 60}, "work:record")\n')
    with Runtime(app, tmp_path / "data") as runtime:
        runner = CronRunner(runtime)
        assert asyncio.run(runner.run_due()) == pytest.approx(60, abs=1)
        assert asyncio.run(runner.run_due()) == pytest.approx(60, abs=1)
        assert len(all_docs(runtime, "runs")) == 1
        state = cron_state(runtime, "rec")
        assert state["nextRun"] == pytest.approx(state["lastRun"] + 60_000, abs=50)
