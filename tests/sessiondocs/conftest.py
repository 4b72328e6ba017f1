"""Shared fixtures for the sessiondocs tests: the backend as users run it.

``sessiondocs_server`` is the URL of ``python -m sessiondocs serve`` on a free loopback port
and a fresh data directory; ``sessiondocs_process`` is the same server as an object that can
be stopped and started again on the same port and data directory (a restart).
``xvfb_display()`` is a virtual X display for the capture agent (its tests and its benchmark).
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, start_process, stop_process


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
        command = [sys.executable, "-m", "sessiondocs", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir)]
        self.process = start_process(command, self.url, self.log, timeout=timeout)
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; the data directory stays."""
        if self.process is not None:
            stop_process(self.process)


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """A fresh Xvfb display (1280x800, 24 bit), numbered by Xvfb itself: its ``DISPLAY``."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        if not select.select([read_end], [], [], 10)[0]:
            raise RuntimeError("Xvfb did not start")
        yield ":" + os.read(read_end, 32).decode().strip()
    finally:
        os.close(read_end)
        xvfb.terminate()
        xvfb.wait(10)


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
