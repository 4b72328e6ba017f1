"""Fixtures for the services tests: real ``livebase serve`` processes of tests/apps/services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server

STORAGE_APP = APPS / "services"


def storage_start_server(data_dir: Path, *flags: str) -> RunningServer:
    """``livebase serve tests/apps/services`` with extra CLI ``flags``, once it answers."""
    return start_server(STORAGE_APP, data_dir, flags=flags)


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
