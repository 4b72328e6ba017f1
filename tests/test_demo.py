"""``make demo``'s launcher: both apps start, answer, serve their web apps, and stop; the
servers never outlive the launcher (Ctrl-C, SIGTERM, SIGHUP, the launcher killed), and a port
in use is an error, not a demo talking to an older server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import free_port

LINUX = Path("/proc/self/stat").is_file()
needs_proc = pytest.mark.skipif(not LINUX, reason="finds the servers in /proc")


def demo_command(data: Path, bank: int, docs: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "scripts/demo.py",
        *extra,
        "--data-dir",
        str(data),
        "--bankchat-port",
        str(bank),
        "--sessiondocs-port",
        str(docs),
    ]


def answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/version", timeout=1)
    except httpx.ConnectError:
        return False
    return True


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def processes() -> Iterator[tuple[int, str, int, int]]:
    """Every process as (pid, state, parent pid, process group), from /proc."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # it exited meanwhile
                continue
            state, ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
            yield int(entry.name), state, int(ppid), int(pgrp)


def children(pid: int) -> list[int]:
    return [child for child, _, parent, _ in processes() if parent == pid]


def left_in(groups: list[int]) -> list[int]:
    """The live processes (zombies do not count) of these process groups."""
    return [pid for pid, state, _, pgrp in processes() if pgrp in groups and state not in "ZX"]


class Demo:
    """``scripts/demo.py`` serving until stopped, with its two servers."""

    def __init__(self, tmp_path: Path) -> None:
        self.ports = free_port(), free_port()
        self.process = subprocess.Popen(
            demo_command(tmp_path / "demo", *self.ports),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = []
        assert self.process.stdout is not None
        for line in self.process.stdout:
            output.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        else:
            self.process.wait(30)
            raise AssertionError("the demo did not start:\n" + "".join(output))
        self.servers = children(self.process.pid) if LINUX else []

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        for group in self.servers:  # only after a failed test: each server is its own group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.close()


def test_the_demo_starts_both_apps_seeds_them_and_prints_their_urls(tmp_path):
    bank, docs = free_port(), free_port()
    data = tmp_path / "demo"
    command = demo_command(data, bank, docs, "--check")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr + done.stdout
    assert f"http://127.0.0.1:{bank}" in done.stdout
    assert f"http://127.0.0.1:{docs}" in done.stdout
    assert "admin@bank.example" in done.stdout and "livebase-demo" in done.stdout
    assert "demo session" in done.stdout
    assert "serves no web app" not in done.stdout  # both built web apps were served at /
    # the servers are stopped again
    for port in (bank, docs):
        assert not answers(port), f"port {port} still answers after the demo stopped"
    # a second run keeps the seeded data and does not seed again
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    assert "demo session" not in again.stdout
    assert (data / "bankchat").is_dir() and (data / "sessiondocs").is_dir()


@needs_proc
@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda sig: sig.name
)
def test_ctrl_c_sigterm_and_a_closed_terminal_stop_the_demo_and_both_servers(demo, sig):
    # Ctrl-C is SIGINT; closing the terminal sends SIGHUP; `kill` sends SIGTERM
    assert len(demo.servers) == 2, demo.servers
    for port in demo.ports:
        assert httpx.get(f"http://127.0.0.1:{port}/version", timeout=5).status_code == 200
    demo.process.send_signal(sig)
    rest = demo.process.communicate(timeout=60)[0]
    assert demo.process.returncode == 0, rest
    assert "stopping" in rest
    assert not left_in(demo.servers), f"servers left after {sig.name}"
    for port in demo.ports:
        assert not answers(port), f"port {port} still answers after {sig.name}"
        assert port_free(port), f"port {port} still held after {sig.name}"


@needs_proc
def test_the_servers_stop_when_the_launcher_is_killed(demo):
    # SIGKILL leaves the launcher no chance to clean up: the kernel tells the servers (Linux)
    assert len(demo.servers) == 2, demo.servers
    demo.process.kill()
    demo.process.wait()
    deadline = time.monotonic() + 30
    while left_in(demo.servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left_in(demo.servers), "servers left after the launcher was killed"
    for port in demo.ports:
        assert port_free(port), f"port {port} still held after the launcher was killed"


class _OldServer(BaseHTTPRequestHandler):
    """Answers like a livebase server: what a demo left running would say."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"livebase old")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("busy", ["bankchat", "sessiondocs"])
def test_a_port_in_use_is_an_error_naming_it_and_nothing_is_left_running(tmp_path, busy):
    old = ThreadingHTTPServer(("127.0.0.1", 0), _OldServer)
    threading.Thread(target=old.serve_forever, daemon=True).start()
    try:
        taken = old.server_address[1]
        other = free_port()
        bank, docs = (taken, other) if busy == "bankchat" else (other, taken)
        command = demo_command(tmp_path / "demo", bank, docs)
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        old.shutdown()
        old.server_close()
    assert done.returncode != 0, done.stdout + done.stderr
    assert f"port {taken} is already in use" in done.stderr
    assert f"ss -ltnp 'sport = :{taken}'" in done.stderr  # how to find what holds it
    assert "is running" not in done.stdout
    assert not answers(other) and port_free(other), "a server was started anyway"
    assert not (tmp_path / "demo").exists()  # refused before anything started


# what the launcher does if another process takes the port after it checked it is free
LATE_TAKER = """
import runpy, sys
demo = runpy.run_path("scripts/demo.py")
demo["main"].__globals__["check_ports"] = lambda ports: None
sys.exit(demo["main"](sys.argv[1:]))
"""


@needs_proc
def test_a_port_taken_after_the_check_is_an_error_not_a_demo_on_the_other_server(tmp_path):
    # why: the other server answers /version too; the launcher waits for the one it started,
    # which cannot listen, and says so
    old = ThreadingHTTPServer(("127.0.0.1", 0), _OldServer)
    threading.Thread(target=old.serve_forever, daemon=True).start()
    try:
        taken, other = old.server_address[1], free_port()
        command = demo_command(tmp_path / "demo", taken, other)
        command[1:2] = ["-c", LATE_TAKER]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    finally:
        old.shutdown()
        old.server_close()
    assert done.returncode != 0, done.stdout + done.stderr
    assert "is running" not in done.stdout
    assert f"port {taken} is already in use" in done.stderr
    assert not answers(other) and port_free(other), "the other server was left running"
