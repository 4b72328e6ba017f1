"""Shared fixtures: real apps on real SQLite databases in temporary directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from livebase.testing import AppTester

try:
    import random

    import psycopg_pool.base

    # why: the pool's background threads draw from the global random generator (jitter on
    # each new connection's lifetime) at any moment; during a hypothesis draw that makes the
    # test fail as "random used inside a strategy". Their own generator changes nothing else.
    psycopg_pool.base.random = random.Random().random  # type: ignore[attr-defined]
except ImportError:  # without the postgres extra, no pool
    pass

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[AppTester]:
    """The notes test app on a fresh database."""
    with AppTester(APPS / "notes", tmp_path / "data") as tester:
        yield tester
