"""An action has no transaction of its own: what its ``ctx.scheduler`` and ``ctx.storage``
write commits on the writer thread, never on the event loop the action runs on."""

from __future__ import annotations

import threading
from pathlib import Path

from livebase import Runtime
from livebase.services.scheduler import TABLE
from tests.conftest import APPS


def committing_threads(runtime: Runtime) -> list[str]:
    names: list[str] = []
    runtime.db.add_commit_listener(lambda ts, writes: names.append(threading.current_thread().name))
    return names


def test_an_actions_scheduler_and_storage_commit_off_the_event_loop(tmp_path: Path):
    with Runtime(APPS / "services", tmp_path) as runtime:
        names = committing_threads(runtime)
        job_id = runtime.call("jobs:scheduleFromAction", {"job": "later"})
        stored = runtime.call("files:storeText", {"text": "hello"})
        assert stored["roundTrip"] == "hello"
        state, _ = runtime.transact(lambda txn: txn.get(job_id, TABLE), readonly=True)
        assert state is not None and state["state"]["kind"] == "canceled"
        assert len(names) >= 3  # the job, its cancellation, the file
        loop_thread = threading.current_thread().name  # Runtime.call runs the action's loop here
        assert all(name.startswith("livebase-writer") for name in names), (names, loop_thread)
