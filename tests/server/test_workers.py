"""``livebase serve --workers N`` over one SQLite file: N processes share the port, each
client's writes reach subscribers on the other process, counts stay exact, a dead worker is
replaced, and stopping the parent stops them all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.conftest import APPS
from tests.e2e.conftest import free_port, start_process, stop_process


def owner(conn: ClientConnection, pids: list[int]) -> int | None:
    """Which process holds the server side of this client connection (from /proc)."""
    client_port = conn.socket.getsockname()[1]
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == client_port:
            inodes.add(fields[9])
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    return None


def session(stack: contextlib.ExitStack, url: str) -> ClientConnection:
    ws = stack.enter_context(connect(url.replace("http", "ws") + "/api/sync", open_timeout=10))
    ws.send(json.dumps({"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0}))
    return ws


def receive(ws: ClientConnection, want: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["type"] == want:
            return message


def test_two_workers_share_the_port_and_each_others_commits(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "workers.log"
    command = [sys.executable, "-u", "-m", "livebase", "serve", str(APPS / "notes")]
    command += ["--port", str(port), "--data-dir", str(tmp_path / "data"), "--workers", "2"]
    command += ["--log-level", "warning"]
    parent = start_process(command, url, log)
    stack = contextlib.ExitStack()
    try:
        deadline = time.monotonic() + 10
        while not (found := re.search(r"pids (\d+), (\d+)", log.read_text())):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        pids = [int(found[1]), int(found[2])]
        by_pid: dict[int, ClientConnection] = {}
        for _ in range(60):  # the kernel picks the worker: connect until both have one
            ws = session(stack, url)
            time.sleep(0.02)
            pid = owner(ws, pids)
            if pid is not None:
                by_pid.setdefault(pid, ws)
            if len(by_pid) == 2:
                break
        assert len(by_pid) == 2, "every connection went to one worker"
        watcher, writer = by_pid[pids[0]], by_pid[pids[1]]

        watcher.send(
            json.dumps(
                {
                    "type": "ModifyQuerySet",
                    "baseVersion": 0,
                    "newVersion": 1,
                    "modifications": [
                        {
                            "type": "Add",
                            "queryId": 0,
                            "udfPath": "notes:byAuthor",
                            "args": [{"author": "w"}],
                        }
                    ],
                }
            )
        )
        first = receive(watcher, "Transition")
        assert first["modifications"][0]["value"] == []
        writer.send(
            json.dumps(
                {
                    "type": "Mutation",
                    "requestId": 0,
                    "udfPath": "notes:addNote",
                    "args": [{"author": "w", "body": "elsewhere"}],
                }
            )
        )
        assert receive(writer, "MutationResponse")["success"] is True
        update = receive(watcher, "Transition")
        assert [n["body"] for n in update["modifications"][0]["value"]] == ["elsewhere"]

        # increments sent at once through both workers all count
        for ws, base in ((watcher, 100), (writer, 200)):
            for i in range(20):
                ws.send(
                    json.dumps(
                        {
                            "type": "Mutation",
                            "requestId": base + i,
                            "udfPath": "counters:increment",
                            "args": [{"name": "both"}],
                        }
                    )
                )
        for ws in (watcher, writer):
            for _ in range(20):
                assert receive(ws, "MutationResponse")["success"] is True
        value = httpx.post(
            f"{url}/api/query", json={"path": "counters:get", "args": {"name": "both"}}
        ).json()
        assert value["value"] == 40

        # a worker killed is replaced, and the port keeps answering meanwhile
        stack.close()
        os.kill(pids[0], signal.SIGKILL)
        deadline = time.monotonic() + 15
        while "restarting" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        for _ in range(10):
            r = httpx.post(
                f"{url}/api/query", json={"path": "counters:get", "args": {"name": "both"}}
            )
            assert r.json()["value"] == 40
    finally:
        stack.close()
        stop_process(parent)
    assert parent.returncode == 0
    for pid in pids[1:]:
        assert (
            not Path(f"/proc/{pid}").exists()
            or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        )
