"""A query that runs long moves to a process of its own (runtime/offload.py): it answers as it
would here, its live updates go on, and it cannot take the server's interpreter from others."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from livebase import ConvexError, Runtime
from livebase.engine.errors import TimeLimitError
from livebase.runtime import offload
from livebase.runtime.execution import GRACE
from tests.conftest import APPS
from tests.e2e.conftest import start_server
from tests.server.test_sync_protocol import Client, values_of

APP = APPS / "limits"
LONG = 0.2  # seconds of CPU: well past the slice a query runs here first


def open_runtime(data_dir: Path, **options: float) -> Runtime:
    return Runtime(APP, data_dir, shared=True, query_process=True, **options)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = open_runtime(tmp_path / "data")
    yield rt
    rt.close()


def counted(rt: Runtime, name: str, seconds: float = LONG) -> dict[str, int | None]:
    value: dict[str, int | None] = rt.run_query(
        "spin:counted_by", {"seconds": seconds, "name": name}
    ).value
    return value


def test_a_short_query_runs_here_and_starts_no_process(runtime):
    runtime.run_mutation("counters:bump", {"name": "a"})
    assert runtime.run_query("counters:get", {"name": "a"}).value == 1
    assert runtime.offload is not None
    assert runtime.offload.slow == set()
    assert runtime.offload.pid is None


def test_a_long_query_runs_in_the_query_process_and_answers_as_it_would_here(runtime):
    runtime.run_mutation("counters:bump", {"name": "a"})
    result = runtime.run_query("spin:counted_by", {"seconds": LONG, "name": "a"})
    assert result.value["value"] == 1
    assert result.value["pid"] not in (None, os.getpid())
    assert result.value["pid"] == runtime.offload.pid
    assert "spin:counted_by" in runtime.offload.slow
    assert result.log_lines == ["[LOG] counted a"]
    # its read set came with it: a commit to what it read invalidates it, one elsewhere not
    elsewhere = runtime.run_mutation("counters:bump", {"name": "b"}).ts
    assert not runtime.db.feed.conflicts(result.read_set, result.ts, elsewhere)
    inside = runtime.run_mutation("counters:bump", {"name": "a"}).ts
    assert runtime.db.feed.conflicts(result.read_set, result.ts, inside)
    # later runs go there at once, even a short one, and see the latest commit
    again = counted(runtime, "a", seconds=0)
    assert again == {"pid": result.value["pid"], "value": 2}
    assert again["value"] == runtime.run_query("counters:get", {"name": "a"}).value


def test_a_query_past_its_slice_that_waits_rather_than_works_stays_here(runtime):
    """Blocked (here in sleep), it holds no CPU from anyone: it runs here again instead."""
    assert runtime.run_query("spin:sleepy", {"seconds": 0.1}).value == "slept"
    assert runtime.offload.slow == set()
    assert runtime.offload.pid is None


def test_errors_from_the_query_process_reach_the_caller_as_from_here(tmp_path):
    rt = open_runtime(tmp_path / "data", query_timeout=0.5)
    try:
        with pytest.raises(ConvexError) as refused:
            rt.run_query("spin:refuse_later", {"seconds": LONG})
        assert refused.value.data == {"code": "refused", "after": LONG}
        assert refused.value.log_lines == ["[LOG] about to refuse"]
        assert "spin:refuse_later" in rt.offload.slow
        started = time.monotonic()
        with pytest.raises(TimeLimitError, match=r"\(maximum duration: 500ms\)") as looped:
            rt.run_query("spin:loop", {"seconds": 5})
        assert looped.value.path == "spin:loop"
        assert time.monotonic() - started < 0.5 + GRACE + 1.5
        assert rt.offload.pid is not None  # the process ended the run; it lives on
    finally:
        rt.close()


def test_a_query_stuck_in_c_code_is_given_up_within_its_limit(tmp_path):
    """Past its slice its reader thread is given up here; in the query process its limit
    ends it (the process gives up that thread in turn)."""
    rt = open_runtime(tmp_path / "data", query_timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(TimeLimitError, match=r"\(maximum duration: 500ms\)") as slept:
            asyncio.run(rt.run_query_async("spin:sleepy", {"seconds": 8}))
        assert slept.value.path == "spin:sleepy"
        assert time.monotonic() - started < 6
        assert "spin:sleepy" in rt.offload.slow
    finally:
        rt.close()


def test_a_query_process_that_dies_costs_no_answer_and_is_started_again(runtime, monkeypatch):
    runtime.run_mutation("counters:bump", {"name": "a"})
    first = counted(runtime, "a")["pid"]
    assert first is not None
    os.kill(first, signal.SIGKILL)
    # while it is gone, its queries run here
    assert counted(runtime, "a") == {"pid": os.getpid(), "value": 1}
    monkeypatch.setattr(offload, "RETRY_AFTER", 0.0)
    deadline = time.monotonic() + 20
    while True:
        now = counted(runtime, "a", seconds=0)
        assert now["value"] == 1
        if now["pid"] not in (first, os.getpid()):
            break
        assert time.monotonic() < deadline, "no new query process"
        time.sleep(0.05)


def test_a_query_process_that_cannot_start_leaves_its_queries_here(tmp_path):
    rt = open_runtime(tmp_path / "data")
    try:
        assert rt.offload is not None
        rt.offload._options["app"] = str(tmp_path / "no-such-app")  # it fails to load there
        assert counted(rt, "a") == {"pid": os.getpid(), "value": None}
        assert rt.offload.pid is None
    finally:
        rt.close()


def test_only_a_deployment_other_processes_can_open_gets_a_query_process(tmp_path):
    """An app given as a module object, or storage only this process sees, has none."""
    from livebase.persistence import MemoryPersistence
    from livebase.runtime.app import load_app

    for rt in (
        Runtime(APP, tmp_path / "a", query_process=True),  # SQLite not opened as shared
        Runtime(load_app(APP), tmp_path / "b", shared=True, query_process=True),
        Runtime(APP, tmp_path / "d", persistence=MemoryPersistence(), query_process=True),
        Runtime(APP, tmp_path / "c", shared=True),  # not asked for
    ):
        try:
            assert rt.offload is None
            assert counted(rt, "a") == {"pid": os.getpid(), "value": None}
        finally:
            rt.close()


# --- served ------------------------------------------------------------------------------
def test_a_served_long_live_query_updates_from_the_query_process(tmp_path):
    running = start_server(APP, tmp_path / "data")
    try:
        client = Client(f"ws://127.0.0.1:{running.port}/api/sync").connect()
        client.add(1, "spin:counted_by", {"seconds": LONG, "name": "x"})
        first = values_of(client.settle()[-1])[1]
        assert first["value"] is None
        assert first["pid"] not in (running.process.pid, os.getpid())
        reply = httpx.post(
            f"{running.url}/api/mutation",
            json={"path": "counters:bump", "args": {"name": "x"}},
            timeout=10,
        )
        assert reply.json()["status"] == "success", reply.text
        update = values_of(client.recv_type("Transition", timeout=10))
        assert update[1] == {"pid": first["pid"], "value": 1}
        client.close()
    finally:
        running.stop()
    assert not _alive(first["pid"]), "the query process outlived its server"


def test_a_server_without_a_query_process_runs_long_queries_itself(tmp_path):
    running = start_server(APP, tmp_path / "data", flags=("--no-query-process",))
    try:
        reply = httpx.post(
            f"{running.url}/api/query",
            json={"path": "spin:counted_by", "args": {"seconds": LONG, "name": "x"}},
            timeout=10,
        )
        assert reply.json()["value"] == {"pid": running.process.pid, "value": None}
    finally:
        running.stop()


def _alive(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    return True
