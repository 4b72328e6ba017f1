"""The persistence implementations the conformance suite runs against.

Adding an implementation is one entry in ``IMPLEMENTATIONS``: how to open it in a directory
and whether two opens over that directory share one storage (and keep it after a close).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from livebase.persistence import MemoryPersistence, Persistence, SqlitePersistence
from tests import pgsupport


@dataclass(frozen=True)
class Implementation:
    """One persistence implementation under test."""

    name: str
    opener: Callable[..., Persistence]  # (directory, **options) -> a persistence
    shared: bool  # a second open over the same directory sees the same storage
    cleanup: Callable[[Path], None] | None = None  # removes what the opens left outside

    def open(self, directory: Path, **options: Any) -> Persistence:
        return self.opener(directory, **options)


def _schema_of(directory: Path) -> str:
    """One PostgreSQL schema per test directory, so that two opens share it."""
    marker = directory / "postgres-schema"
    if not marker.exists():
        marker.write_text(pgsupport.new_schema())
    return marker.read_text()


def _open_postgres(directory: Path, **options: Any) -> Persistence:
    from livebase.persistence.postgres import PostgresPersistence

    return PostgresPersistence(pgsupport.deployment_url(_schema_of(directory)), **options)


def _drop_postgres(directory: Path) -> None:
    if (directory / "postgres-schema").exists():
        pgsupport.drop_schema(_schema_of(directory))


IMPLEMENTATIONS = [
    Implementation("sqlite", lambda d, **o: SqlitePersistence(d / "db.sqlite3", **o), True),
    Implementation("memory", lambda d, **o: MemoryPersistence(**o), False),
    Implementation(
        "sqlite-shared", lambda d, **o: SqlitePersistence(d / "db.sqlite3", shared=True, **o), True
    ),
    Implementation("postgres", _open_postgres, True, _drop_postgres),
]


@dataclass
class Store:
    """Opens persistences of one implementation in one directory; closes them afterwards."""

    impl: Implementation
    directory: Path
    opened: list[Persistence] = field(default_factory=list)

    def open(self, **options: Any) -> Persistence:
        persistence = self.impl.open(self.directory, **options)
        self.opened.append(persistence)
        return persistence

    def close(self) -> None:
        for persistence in self.opened:
            persistence.close()
        if self.impl.cleanup is not None:
            self.impl.cleanup(self.directory)


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda impl: impl.name)
def impl(request: pytest.FixtureRequest) -> Implementation:
    """Each implementation in turn (for tests that open their own, e.g. per example)."""
    return request.param


@pytest.fixture
def store(impl: Implementation, tmp_path: Path) -> Iterator[Store]:
    """Each implementation in turn, opened in a fresh directory."""
    opened = Store(impl, tmp_path)
    yield opened
    opened.close()


@pytest.fixture(params=[i for i in IMPLEMENTATIONS if i.shared], ids=lambda impl: impl.name)
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each implementation whose storage outlives one object (a file, a server), in turn."""
    opened = Store(request.param, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def persistence(store: Store) -> Persistence:
    """A fresh, empty persistence of each implementation in turn."""
    return store.open()
