"""Fixtures for the services tests: real ``livebase serve`` processes of tests/apps/services,
and moto's S3 server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server
from tests.s3support import S3Server, s3_server

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


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server in a process of its own, shared by a run's tests (each makes
    buckets of its own), with dummy credentials in the environment."""
    with s3_server(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server
