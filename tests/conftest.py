"""Shared fixtures: real apps on real SQLite databases in temporary directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from livebase.testing import AppTester

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[AppTester]:
    """The notes test app on a fresh database."""
    with AppTester(APPS / "notes", tmp_path / "data") as tester:
        yield tester
