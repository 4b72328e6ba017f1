"""Data survives restarts; a killed process loses only unacknowledged work."""

import os
import signal
import subprocess
import sys
import textwrap

from livebase import Runtime
from tests.conftest import APPS, ROOT


def test_data_survives_a_restart(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        note = runtime.run_mutation("notes:addNote", {"author": "a", "body": "kept"}).value
        runtime.run_mutation("counters:increment", {"name": "n"})
        ts = runtime.db.latest_ts
    with Runtime(APPS / "notes", tmp_path) as runtime:
        docs = runtime.run_query("notes:byAuthor", {"author": "a"}).value
        assert [d["_id"] for d in docs] == [note]
        assert runtime.run_query("counters:get", {"name": "n"}).value == 1
        later = runtime.run_mutation("counters:increment", {"name": "n"})
        assert later.ts > ts  # commit timestamps keep increasing across restarts


def test_full_durability_is_available(tmp_path):
    with Runtime(APPS / "notes", tmp_path, synchronous="FULL") as runtime:
        runtime.run_mutation("counters:increment", {"name": "n"})
        writer = runtime.db.persistence._writer  # type: ignore[attr-defined]
        assert writer.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = textwrap.dedent(
    """
    import sys
    from livebase import Runtime
    runtime = Runtime(sys.argv[1], sys.argv[2])
    i = 0
    while True:
        # each mutation writes 300 documents: after a crash a batch is all there or absent
        result = runtime.run_mutation("batches:write_batch", {"batch": i})
        print(result.value, flush=True)
        i += 1
    """
)


def test_a_killed_process_loses_only_unacknowledged_work(tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(APPS / "notes"), str(data)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        text=True,
    )
    acknowledged = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 15:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with Runtime(APPS / "notes", data) as runtime:
        counts = runtime.run_query("batches:counts").value
    # every acknowledged batch is there; batches the kill interrupted are absent, never partial
    for batch in acknowledged:
        assert counts.get(str(batch)) == 300
    assert all(n == 300 for n in counts.values())
