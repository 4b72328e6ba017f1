"""``livebase serve --workers N`` over one SQLite file: N processes share the port, each
client's writes reach subscribers on the other process, counts stay exact, a dead worker is
replaced (one that keeps dying is given up, alone), and stopping or killing the parent stops
them all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from websockets.sync.client import ClientConnection, connect

from livebase.workers import MAX_QUICK_DEATHS
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


def start_workers(tmp_path: Path, count: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``livebase serve notes --workers count``, once it answers; the parent, URL and log."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "workers.log"
    command = [sys.executable, "-u", "-m", "livebase", "serve", str(APPS / "notes")]
    command += ["--port", str(port), "--data-dir", str(tmp_path / "data")]
    command += ["--workers", str(count), "--log-level", "warning"]
    return start_process(command, url, log), url, log


def wait_for_line(log: Path, pattern: str, timeout: float = 15.0) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while not (found := re.search(pattern, log.read_text())):
        assert time.monotonic() < deadline, f"no {pattern!r} in: {log.read_text()}"
        time.sleep(0.05)
    return found


def gone(pid: int) -> bool:
    """Whether a process has exited (a zombie no one reaped yet counts)."""
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return True


def test_the_workers_stop_when_the_parent_is_killed(tmp_path):
    parent, url, log = start_workers(tmp_path, 2)
    found = wait_for_line(log, r"pids (\d+), (\d+)")
    pids = [int(found[1]), int(found[2])]
    try:
        parent.kill()  # kill -9: the parent cannot stop them itself
        parent.wait()
        deadline = time.monotonic() + 10
        while not all(gone(pid) for pid in pids):
            assert time.monotonic() < deadline, "workers still serve without their parent"
            time.sleep(0.1)
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"{url}/version", timeout=2)
            raise AssertionError("the port still answers")
    finally:
        for pid in pids:  # the workers this test started, should they have outlived it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def kill_until_given_up(log: Path, pid: int) -> None:
    """Kill worker 1 (``pid``), then each process started again in its place, until the
    parent gives its slot up."""
    for death in range(1, MAX_QUICK_DEATHS + 1):
        os.kill(pid, signal.SIGKILL)
        if death < MAX_QUICK_DEATHS:  # the next one, started after a pause
            again = rf"(?:[\s\S]*?worker 1 started again \(pid (\d+)\)){{{death}}}"
            pid = int(wait_for_line(log, again)[1])
    wait_for_line(log, rf"worker 1 \(pid {pid}\) exited \(-9\); it died {MAX_QUICK_DEATHS} times")


def test_a_worker_that_keeps_dying_is_given_up_while_the_others_serve(tmp_path):
    parent, url, log = start_workers(tmp_path, 2)
    try:
        found = wait_for_line(log, r"pids (\d+), (\d+)")
        healthy = int(found[2])
        kill_until_given_up(log, int(found[1]))
        time.sleep(1.0)  # the parent would have stopped the healthy worker by now
        assert parent.poll() is None
        assert not gone(healthy)
        assert "worker 2" not in log.read_text()
        for _ in range(5):
            assert httpx.get(f"{url}/version", timeout=5).status_code == 200
    finally:
        stop_process(parent)
    assert parent.returncode == 0
    assert gone(healthy)


def test_the_parent_exits_non_zero_once_no_worker_is_left(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "__init__.py").write_text('raise RuntimeError("this app cannot load")\n')
    command = [sys.executable, "-m", "livebase", "serve", str(broken), "--workers", "2"]
    command += ["--port", str(free_port()), "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    for worker in (1, 2):
        given_up = rf"worker {worker} \(pid \d+\) exited \(1\); it died {MAX_QUICK_DEATHS} times"
        assert re.search(given_up, done.stderr), done.stderr
    assert "every worker keeps dying" in done.stderr
