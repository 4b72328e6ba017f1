"""Scheduled functions and crons when several processes serve one PostgreSQL deployment:
each mutation runs exactly once, each action at most once (with a lease another process
takes over when its process dies), each cron tick once."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from livebase import Runtime
from livebase.services.scheduler import INTERRUPTED, SchedulerWorker
from tests import pgsupport
from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server

APP = APPS / "clusterapp"


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[str]:
    schema = pgsupport.new_schema()
    try:
        yield pgsupport.deployment_url(schema)
    finally:
        pgsupport.drop_schema(schema)


def call(server: RunningServer, kind: str, path: str, args: dict) -> object:
    r = httpx.post(f"{server.url}/api/{kind}", json={"path": path, "args": args}, timeout=30)
    body = r.json()
    assert body["status"] == "success", r.text
    return body["value"]


def test_a_thousand_scheduled_mutations_run_once_each_across_three_processes_one_killed(
    deployment, tmp_path
):
    servers = [
        start_server(APP, tmp_path / f"p{i}" / "data", flags=("--db", deployment)) for i in range(3)
    ]
    try:
        a, b, c = servers
        call(a, "mutation", "jobs:scheduleMany", {"tag": "bulk", "n": 1000, "delay": 300})
        deadline = time.monotonic() + 60
        killed = False
        while time.monotonic() < deadline:
            runs = call(c, "query", "jobs:runs", {"tag": "bulk"})
            if not killed and len(runs) >= 50:
                a.process.kill()  # kill -9 in the middle of the run
                a.process.wait()
                killed = True
            if len(runs) >= 1000:
                break
            time.sleep(0.2)
        assert killed
        time.sleep(1.0)  # anything run twice would show up by now
        runs = call(b, "query", "jobs:runs", {"tag": "bulk"})
        assert sorted(i for i, _ in runs) == list(range(1000))
    finally:
        for server in servers:
            server.stop()


def test_a_cron_runs_once_per_tick_across_three_processes(deployment, tmp_path):
    started = time.monotonic()
    servers = [
        start_server(APP, tmp_path / f"p{i}" / "data", flags=("--db", deployment)) for i in range(3)
    ]
    try:
        time.sleep(4.5)
        ticks = sorted(call(servers[1], "query", "jobs:ticks", {}))
        seconds = time.monotonic() - started  # the first process ticked from its start
    finally:
        for server in servers:
            server.stop()
    assert 3 <= len(ticks) <= int(seconds) + 1, (ticks, seconds)
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert min(gaps) > 600, gaps  # one run per one-second tick, never one per process


def test_an_action_whose_process_died_is_marked_failed_once_its_lease_expires(deployment, tmp_path):
    first = Runtime(APP, tmp_path / "a", db=deployment)
    second = Runtime(APP, tmp_path / "b", db=deployment)
    try:
        dying, survivor = SchedulerWorker(first), SchedulerWorker(second)
        dying.lease_ms = survivor.lease_ms = 600.0
        job = first.run_mutation("jobs:scheduleSlow", {"tag": "lease", "seconds": 30}).value

        async def claim_then_die() -> None:
            assert await dying.run_due() == 1
            await asyncio.sleep(0.3)  # the action starts
            for task in list(dying._running_actions):  # the process dies: no renewal, no end
                task.cancel()

        asyncio.run(claim_then_die())
        assert second.run_query("jobs:status", {"id": job}).value == {"kind": "inProgress"}
        assert survivor.recover() == 0  # its lease has not expired yet
        time.sleep(0.7)
        assert survivor.recover() == 1
        state = second.run_query("jobs:status", {"id": job}).value
        assert state == {"kind": "failed", "error": INTERRUPTED}
        assert asyncio.run(survivor.run_due()) == 0  # never run a second time
        assert second.run_query("jobs:runs", {"tag": "lease"}).value == [[0, "started"]]
    finally:
        first.close()
        second.close()


def test_a_running_action_keeps_its_lease_while_its_process_renews_it(deployment, tmp_path):
    first = Runtime(APP, tmp_path / "a", db=deployment)
    second = Runtime(APP, tmp_path / "b", db=deployment)
    try:
        runner, other = SchedulerWorker(first), SchedulerWorker(second)
        runner.lease_ms = other.lease_ms = 600.0
        job = first.run_mutation("jobs:scheduleSlow", {"tag": "kept", "seconds": 1.5}).value

        async def run_and_renew() -> None:
            assert await runner.run_due() == 1
            for _ in range(8):
                await asyncio.sleep(0.15)
                await asyncio.to_thread(runner.renew_leases)
                assert await asyncio.to_thread(other.recover) == 0
            while runner._running_actions:
                await asyncio.sleep(0.05)

        asyncio.run(run_and_renew())
        assert second.run_query("jobs:status", {"id": job}).value == {"kind": "success"}
        assert second.run_query("jobs:runs", {"tag": "kept"}).value == [
            [0, "started"],
            [0, "finished"],
        ]
    finally:
        first.close()
        second.close()


def test_a_client_never_sees_one_counter_at_two_values_while_another_process_writes(
    deployment, tmp_path
):
    """Every Transition carries all of a client's queries at one timestamp, also when the
    commits come from another process faster than this one catches up."""
    servers = [
        start_server(APP, tmp_path / f"p{i}" / "data", flags=("--db", deployment)) for i in range(2)
    ]
    writer, reader = servers
    call(writer, "mutation", "counters:bump", {"name": "x"})
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                http.post(
                    f"{writer.url}/api/mutation",
                    json={"path": "counters:bump", "args": {"name": "x"}},
                )

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    views: list[dict[int, object]] = []
    try:
        for t in threads:
            t.start()
        with connect(reader.url.replace("http", "ws") + "/api/sync", open_timeout=10) as ws:
            ws.send(
                json.dumps(
                    {"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0}
                )
            )
            adds = [
                {
                    "type": "Add",
                    "queryId": i,
                    "udfPath": "counters:get",
                    "args": [{"name": "x", "salt": i}],
                }
                for i in range(4)
            ]
            ws.send(
                json.dumps(
                    {
                        "type": "ModifyQuerySet",
                        "baseVersion": 0,
                        "newVersion": 1,
                        "modifications": adds,
                    }
                )
            )
            view: dict[int, object] = {}
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                message = json.loads(ws.recv(timeout=10))
                if message["type"] != "Transition":
                    continue
                for mod in message["modifications"]:
                    view[mod["queryId"]] = mod.get("value")
                if len(view) == 4:
                    views.append(dict(view))
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        for server in servers:
            server.stop()
    assert len(views) > 20  # the writes kept coming
    torn = [v for v in views if len(set(v.values())) > 1]
    assert torn == [], f"{len(torn)} of {len(views)} updates showed the counter at two values"
