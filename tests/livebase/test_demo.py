import subprocess
import sys

from tests.conftest import ROOT


def test_the_demo_seeds_the_tasks_app_and_prints_its_url(tmp_path):
    def run():
        return subprocess.run(
            [sys.executable, "-m", "livebase.demo", "--no-serve"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = run()
    assert done.returncode == 0, done.stderr
    assert '"text": "Write a query"' in done.stdout
    assert "http://127.0.0.1:3210" in done.stdout
    assert (tmp_path / ".livebase" / "demo" / "db.sqlite3").exists()
    assert str(ROOT) not in done.stdout
    again = run()  # a second run keeps the data and does not seed twice
    assert again.stdout.count('"text"') == done.stdout.count('"text"')
