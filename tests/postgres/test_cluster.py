"""Three ``livebase serve`` processes over one PostgreSQL deployment, used through the
official clients (npm and PyPI) on different processes."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from convex import ConvexClient
from websockets.sync.client import connect

from tests import pgsupport
from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server
from tests.e2e.test_parity import check_parity, scenario

NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "node"
NODE = shutil.which("node")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[RunningServer]]:
    """The notes app served by three processes over one fresh PostgreSQL schema, each with
    a data directory of its own."""
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    servers: list[RunningServer] = []
    try:
        for i in range(3):
            servers.append(
                start_server(APPS / "notes", tmp_path / f"p{i}" / "data", flags=("--db", url))
            )
        yield servers
    finally:
        for server in servers:
            server.stop()
        pgsupport.drop_schema(schema)


def logs(servers: list[RunningServer]) -> str:
    return "\n".join(f"--- {s.url}\n{s.log.read_text(errors='replace')[-3000:]}" for s in servers)


def node_steps(script: str, arg: str, servers: list[RunningServer]) -> tuple[dict, str]:
    """Run a script of tests/e2e/node with ``arg``; its steps' outcomes, and what to show
    when they are not all "ok" (its report, its stderr, the servers' logs)."""
    assert NODE is not None
    proc = subprocess.run(
        [NODE, script, arg], cwd=NODE_DIR, capture_output=True, text=True, timeout=90
    )
    context = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}\n{logs(servers)}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no report\n{context}"
    return json.loads(lines[-1])["steps"], context


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
def test_the_npm_client_on_one_process_sees_writes_made_through_the_others(cluster):
    steps, context = node_steps("cluster.mjs", ",".join(s.url for s in cluster), cluster)
    assert steps == {"liveAcrossProcesses": "ok", "incrementsAcrossProcesses": "ok"}, context


def test_the_python_client_on_one_process_sees_writes_made_through_another(cluster):
    a, b = cluster[0], cluster[1]
    watcher, writer = ConvexClient(a.url), ConvexClient(b.url)
    subscription = watcher.subscribe("notes:byAuthor", {"author": "py-cluster"})
    updates = iter(subscription)
    assert next(updates) == []
    writer.mutation("notes:addNote", {"author": "py-cluster", "body": "from b"})
    assert [n["body"] for n in next(updates)] == ["from b"]
    watcher.mutation("notes:addNote", {"author": "py-cluster", "body": "from a"})
    assert [n["body"] for n in next(updates)] == ["from b", "from a"]
    subscription.unsubscribe()


def test_a_process_that_is_killed_loses_no_acknowledged_write(cluster):
    """kill -9 one process: what it acknowledged is in the database, the others go on."""
    a, b, c = cluster
    acknowledged = []
    with httpx.Client(timeout=10) as http:
        for i in range(20):
            server = (a, b)[i % 2]
            r = http.post(
                f"{server.url}/api/mutation",
                json={"path": "notes:addNote", "args": {"author": "kill", "body": str(i)}},
            )
            assert r.json()["status"] == "success", r.text
            acknowledged.append(r.json()["value"])
        a.process.kill()
        a.process.wait()
        deadline = time.monotonic() + 10
        while True:
            r = http.post(
                f"{c.url}/api/query",
                json={"path": "notes:byAuthor", "args": {"author": "kill"}},
            )
            ids = [n["_id"] for n in r.json()["value"]]
            if ids == acknowledged or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert ids == acknowledged
        r = http.post(
            f"{b.url}/api/mutation",
            json={"path": "notes:addNote", "args": {"author": "kill", "body": "after"}},
        )
        assert r.json()["status"] == "success", r.text


def test_every_live_result_equals_a_fresh_query_across_three_processes(cluster):
    """The parity oracle with subscribers and random writers spread over the processes."""
    check_parity(*asyncio.run(scenario([s.url for s in cluster])))


def test_a_mutation_resent_to_another_process_after_a_reconnect_runs_once(cluster):
    """Exactly once per (session, request id) across processes: the resend through process B
    gets process A's result, and the counter moved once."""
    a, b = cluster[0], cluster[1]
    session = str(uuid.uuid4())
    mutation = {
        "type": "Mutation",
        "requestId": 0,
        "udfPath": "counters:increment",
        "args": [{"name": "once"}],
    }

    def send_and_wait(url: str, count: int) -> dict:
        with connect(url.replace("http", "ws") + "/api/sync", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "Connect", "sessionId": session, "connectionCount": count}))
            ws.send(json.dumps(mutation))
            while True:
                message = json.loads(ws.recv(timeout=10))
                if message["type"] == "MutationResponse":
                    return message

    first = send_and_wait(a.url, 0)
    again = send_and_wait(b.url, 1)  # the client lost A and resends on B
    assert first["success"] and again["success"]
    assert again["result"] == first["result"] == 1
    value = httpx.post(
        f"{cluster[2].url}/api/query", json={"path": "counters:get", "args": {"name": "once"}}
    ).json()["value"]
    assert value == 1


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
def test_the_npm_client_fails_over_to_another_process_when_its_process_is_killed(cluster):
    """kill -9 the process holding the client's connection, mutations in flight: the client
    reconnects (a balancer sends it to another process), resends what was unanswered, every
    acknowledged increment counts once, and its live query resumes."""
    a, b = cluster[0], cluster[1]
    steps, context = node_steps("failover.mjs", f"{a.url},{b.url},{a.process.pid}", cluster)
    assert steps == {"killedProcess": "ok"}, context
    assert a.process.wait(10) is not None  # it really was killed
