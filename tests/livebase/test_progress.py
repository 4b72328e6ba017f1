"""Work in progress: long operations show how far they are, in the terminal and the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from livebase.engine import progress
from livebase.testing import AppTester

ROOT = Path(__file__).resolve().parents[2]


def test_a_task_shows_while_it_runs_with_the_items_done() -> None:
    with progress.task("copying things", total=3) as work:
        items = list(progress.counted(["a", "b"], work))
        (seen,) = [t for t in progress.running() if t.id == work.id]
        assert (seen.description, seen.done, seen.total, items) == ("copying things", 2, 3, items)
        work.advance(1)
        assert seen.done == 2  # a copy: the reader's view does not change under it
    assert work.id not in {t.id for t in progress.running()}


def test_a_failed_task_is_gone_too() -> None:
    try:
        with progress.task("failing") as work:
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert work.id not in {t.id for t in progress.running()}


def test_export_and_import_draw_progress_bars_in_the_terminal(tmp_path: Path) -> None:
    app = ROOT / "tests" / "apps" / "notes"
    with AppTester(app, tmp_path / "data") as t:
        t.action("notes:addMany", {"author": "bulk", "n": 300})
    env = {**os.environ, "LIVEBASE_PROGRESS_AFTER": "0", "COLUMNS": "120"}
    base, data = [sys.executable, "-m", "livebase"], str(tmp_path / "data")
    exported = subprocess.run(
        [*base, "export", str(app), "--path", str(tmp_path / "b.zip"), "--data-dir", data],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    assert "exporting notes" in exported.stderr and "300 items" in exported.stderr
    imported = subprocess.run(
        [*base, "import", str(app), str(tmp_path / "b.zip"), "--data-dir", str(tmp_path / "new")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    assert "importing notes" in imported.stderr and "300 items" in imported.stderr
