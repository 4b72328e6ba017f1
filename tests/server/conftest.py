"""An in-process server on a free loopback port, for tests that look inside it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from livebase import Runtime
from livebase.server import Server, create_app
from tests.conftest import APPS
from tests.e2e.conftest import free_port, server  # noqa: F401 - the subprocess server fixture


@dataclass
class InProcessServer:
    url: str
    ws_url: str
    runtime: Runtime
    server: Server


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., InProcessServer]]:
    """Start servers in this process: ``make_server(app=APPS / "limits", query_timeout=1,
    heartbeat=1)`` takes the app (the notes app by default), Runtime's ``*_timeout`` limits and
    create_app's keyword arguments."""
    running: list[tuple[uvicorn.Server, threading.Thread, Runtime]] = []

    def start(app: Path = APPS / "notes", **options: Any) -> InProcessServer:
        limits = {k: options.pop(k) for k in list(options) if k.endswith("_timeout")}
        runtime = Runtime(app, tmp_path / f"data{len(running)}", **limits)
        asgi = create_app(runtime, **options)
        port = free_port()
        config = uvicorn.Config(
            asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
        uv = uvicorn.Server(config)
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not uv.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert uv.started, "server did not start"
        running.append((uv, thread, runtime))
        url = f"http://127.0.0.1:{port}"
        return InProcessServer(url, f"ws://127.0.0.1:{port}/api/sync", runtime, asgi.state.server)

    yield start
    for uv, thread, runtime in running:
        uv.should_exit = True
        thread.join(10)
        runtime.close()
