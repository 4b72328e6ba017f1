"""Fixtures of the many-process tests: a fresh deployment several runtimes share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pgsupport


@pytest.fixture(params=["postgres", "sqlite-shared"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fresh deployment's database URL and a data directory: a PostgreSQL schema of its
    own, or one SQLite file that several processes write (``serve --workers N``)."""
    if request.param == "sqlite-shared":
        yield f"sqlite:///{tmp_path / 'shared' / 'db.sqlite3'}", tmp_path / "data"
        return
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    try:
        yield url, tmp_path / "data"
    finally:
        pgsupport.drop_schema(schema)


@pytest.fixture
def pg_deployment(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fresh PostgreSQL deployment only."""
    schema = pgsupport.new_schema()
    try:
        yield pgsupport.deployment_url(schema), tmp_path / "data"
    finally:
        pgsupport.drop_schema(schema)
