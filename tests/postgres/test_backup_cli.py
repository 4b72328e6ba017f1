"""``livebase export`` / ``livebase import`` as a user runs them: SQLite -> PostgreSQL ->
SQLite keeps every document and file exactly."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from livebase import Runtime
from livebase.services.storage import ActionStorage
from tests import pgsupport
from tests.e2e.conftest import source_env
from tests.services.test_backup import contents, seed

APP = Path(__file__).resolve().parents[1] / "services" / "backup_app"


def livebase(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livebase", *args],
        capture_output=True,
        text=True,
        env=source_env(),
        timeout=120,
    )


def file_bytes(runtime: Runtime, ids) -> dict[str, bytes | None]:
    files = ActionStorage(runtime.storage)
    return {i: asyncio.run(files.get(i)) for i in ids}


def test_sqlite_to_postgres_to_sqlite_round_trips_losslessly(tmp_path):
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    try:
        with Runtime(APP, tmp_path / "first") as first:
            seeded = seed(first)
            before = contents(first)
            before_files = file_bytes(first, seeded["files"])
        out = livebase(
            "export",
            str(APP),
            "--data-dir",
            str(tmp_path / "first"),
            "--path",
            str(tmp_path / "a.zip"),
        )
        assert out.returncode == 0, out.stderr
        assert "exported" in out.stdout and "2 files" in out.stdout

        pg = ("--db", url, "--data-dir", str(tmp_path / "pg"))
        out = livebase("import", str(APP), str(tmp_path / "a.zip"), *pg)
        assert out.returncode == 0, out.stderr
        again = livebase("import", str(APP), str(tmp_path / "a.zip"), *pg)
        assert again.returncode == 1 and "not empty" in again.stderr.lower(), again.stderr
        out = livebase("export", str(APP), *pg, "--path", str(tmp_path / "b.zip"))
        assert out.returncode == 0, out.stderr

        out = livebase(
            "import", str(APP), str(tmp_path / "b.zip"), "--data-dir", str(tmp_path / "last")
        )
        assert out.returncode == 0, out.stderr
        with Runtime(APP, tmp_path / "last") as last:
            assert contents(last) == before
            assert file_bytes(last, seeded["files"]) == before_files
    finally:
        pgsupport.drop_schema(schema)
