"""A real livebase server on a free loopback port, as users run it (``livebase serve``).

``start_process`` is the one way the tests start a server subprocess (livebase, bankchat,
sessiondocs) and wait until it answers; ``stop_process`` the one way they stop it.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import APPS, ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def source_env(**extra: str) -> dict[str, str]:
    """This process's environment with the repository's ``src`` on PYTHONPATH, plus ``extra``."""
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), **extra}


def stop_process(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 10
) -> None:
    """``sig``, then SIGKILL after ``grace`` seconds; nothing if it already exited."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_process(
    command: list[str],
    url: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> subprocess.Popen[bytes]:
    """Run ``command`` from the repository root, its output appended to ``log``, and return it
    once ``{url}/version`` answers 200. ``env`` defaults to ``source_env()``.

    RuntimeError, with the log, if it exits or does not answer within ``timeout`` seconds
    (then it is stopped)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=dict(source_env() if env is None else env),
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{shlex.join(command)} exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    stop_process(process)
    raise RuntimeError(f"{shlex.join(command)} did not start: {log.read_text()}")


@dataclass
class ServedProcess:
    """A server subprocess answering at ``url``, its output in ``log``."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class RunningServer:
    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        stop_process(self.process)


def start_server(
    app: Path, data_dir: Path, port: int | None = None, flags: tuple[str, ...] = ()
) -> RunningServer:
    """Start ``livebase serve`` (with extra CLI ``flags``) and wait until it answers."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"server-{port}.log"
    command = [sys.executable, "-m", "livebase", "serve", str(app), "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning", *flags]
    return RunningServer(url, port, data_dir, start_process(command, url, log), log)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """The notes test app served on a fresh database."""
    running = start_server(APPS / "notes", tmp_path / "data")
    try:
        yield running
    finally:
        running.stop()
