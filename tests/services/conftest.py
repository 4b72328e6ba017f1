"""Fixtures for the services tests: real ``livebase serve`` processes of tests/apps/services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import APPS, ROOT
from tests.e2e.conftest import RunningServer, free_port

STORAGE_APP = APPS / "services"


def storage_start_server(data_dir: Path, *flags: str) -> RunningServer:
    """``livebase serve tests/apps/services`` with extra CLI ``flags``, once it answers."""
    port = free_port()
    log = data_dir.parent / f"server-{port}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "livebase", "serve", str(STORAGE_APP), "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning", *flags]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
    server = RunningServer(f"http://127.0.0.1:{port}", port, data_dir, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"{server.url}/version", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start: {log.read_text()}")


@pytest.fixture
def storage_start(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start servers of the services app (``start(*flags, data_dir=...)``); all stop after."""
    started: list[RunningServer] = []

    def start(*flags: str, data_dir: Path | None = None) -> RunningServer:
        server = storage_start_server(data_dir or tmp_path / "data", *flags)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def storage_server(storage_start: Callable[..., RunningServer]) -> RunningServer:
    """The services app served on a fresh data directory, default upload limit."""
    return storage_start()
