"""Shared fixtures for the sessiondocs tests: the backend as users run it.

``sessiondocs_server`` is the URL of ``python -m sessiondocs serve`` on a free loopback port
and a fresh data directory; ``sessiondocs_process`` is the same server as an object that can
be stopped and started again on the same port and data directory (a restart).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import free_port


class SessiondocsServer:
    """``python -m sessiondocs serve --port PORT --data-dir DIR`` as a subprocess."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"sessiondocs-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> SessiondocsServer:
        """Start the server and wait until it answers ``/version``."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "sessiondocs", "serve", "--port", str(self.port)]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [*command, "--data-dir", str(self.data_dir)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sessiondocs serve exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/version", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sessiondocs serve did not start: {self.log.read_text()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; the data directory stays."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def sessiondocs_process(tmp_path: Path) -> Iterator[SessiondocsServer]:
    """A running sessiondocs server on a fresh data directory, stopped afterwards."""
    server = SessiondocsServer(tmp_path / "server" / "data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sessiondocs_server(sessiondocs_process: SessiondocsServer) -> str:
    """The URL of a running sessiondocs server on a fresh data directory."""
    return sessiondocs_process.url
