"""``livebase logs``: a running server's function runs, streamed to the terminal."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import pytest
from convex import ConvexClient, ConvexError

from tests.e2e.conftest import source_env


def logs_command(server, *args: str) -> list[str]:
    command = [sys.executable, "-m", "livebase", "logs", "--url", server.url]
    return [*command, "--data-dir", str(server.data_dir), *args]


def recent(server, *args: str) -> str:
    done = subprocess.run(
        logs_command(server, "--no-follow", "--history", "100", *args),
        capture_output=True,
        text=True,
        env=source_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_recent_runs_show_path_kind_outcome_and_printed_lines(server):
    client = ConvexClient(server.url)
    client.mutation("notes:addNote", {"author": "a", "body": "b"})
    client.query("notes:byAuthor", {"author": "a"})
    client.action("chatter:report", {"author": "a"})
    with pytest.raises(ConvexError):
        client.mutation("notes:addThenFail", {"author": "z"})
    with pytest.raises(Exception, match="Server Error"):
        client.query("notes:crash")
    out = recent(server)
    lines = out.splitlines()
    assert any(" M notes:add_note " in line and "success" in line for line in lines), out
    assert any(" Q notes:by_author " in line and "success" in line for line in lines), out
    report = lines.index(next(line for line in lines if " A chatter:report " in line))
    assert lines[report + 1].strip() == "[LOG] report for a (start)"
    assert "[LOG] from a worker thread" in lines[report + 2]
    crash = next(line for line in lines if "notes:crash" in line)
    assert "failure" in crash and "internal detail" in crash  # the developer sees the cause
    assert "_system/" not in out  # the tail's own runs are left out


def test_filters_by_path_and_by_failure(server):
    client = ConvexClient(server.url)
    client.mutation("notes:addNote", {"author": "a", "body": "b"})
    client.mutation("counters:increment", {"name": "x"})
    with pytest.raises(Exception, match="Server Error"):
        client.query("notes:crash")
    only_counters = recent(server, "--path", "counters:")
    assert "counters:increment" in only_counters and "notes:" not in only_counters
    errors = recent(server, "--errors")
    assert "notes:crash" in errors and "notes:add_note" not in errors


def test_follow_prints_each_run_as_it_happens(server):
    client = ConvexClient(server.url)
    with subprocess.Popen(
        logs_command(server, "--history", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=source_env(),
    ) as process:
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout])
        reader.start()
        try:
            # the command may still be starting: it shows the runs after it connected
            deadline = time.monotonic() + 60
            while True:
                client.mutation("counters:increment", {"name": "followed"})
                try:
                    line = lines.get(timeout=1.0)
                    break
                except queue.Empty:
                    assert time.monotonic() < deadline, "livebase logs printed nothing"
            assert "counters:increment" in line and "success" in line
        finally:
            process.kill()
            reader.join(timeout=10)


def test_a_server_that_is_not_there_is_a_clear_error(tmp_path, server):
    nowhere = ["--url", "http://127.0.0.1:9", "--no-follow", "--data-dir", str(server.data_dir)]
    done = subprocess.run(
        [sys.executable, "-m", "livebase", "logs", *nowhere],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "cannot reach http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
