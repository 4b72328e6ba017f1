import subprocess
import sys

from tests.conftest import ROOT


def test_the_demo_runs_and_shows_the_open_tasks(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "livebase.demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "ConvexError" in done.stdout and '"text": "Write a query"' in done.stdout
    assert (tmp_path / ".livebase" / "demo" / "db.sqlite3").exists()
    assert str(ROOT) not in done.stdout
