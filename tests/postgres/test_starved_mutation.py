"""A mutation that lost its optimistic tries runs its last ones ahead of this process's other
commits, without holding a lock while its code runs: stuck in C code there, it holds up the
other commits for its time limit and grace at most, and no other process's at all."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from livebase import Runtime
from livebase.engine.errors import TimeLimitError
from livebase.runtime import core
from tests.conftest import APPS

LIMIT = 0.5  # the mutation time limit; a stuck run is written off GRACE (0.5 s) after it


def test_a_starved_mutation_stuck_in_c_does_not_hold_up_other_commits(deployment, monkeypatch):
    url, data = deployment
    a = Runtime(APPS / "limits", data, db=url, shared=True, mutation_timeout=LIMIT)
    b = Runtime(APPS / "limits", data, db=url, shared=True, mutation_timeout=LIMIT)  # elsewhere
    outcome: dict[str, Any] = {}

    def stuck() -> None:
        try:
            asyncio.run(a.run_mutation_async("spin:bumpThenSleep", {"name": "s", "seconds": 4}))
        except BaseException as exc:
            outcome["stuck"] = exc

    try:
        started = time.monotonic()
        monkeypatch.setattr(core, "OPTIMISTIC_ATTEMPTS", 0)  # this run is a starved one at once
        thread = threading.Thread(target=stuck)
        thread.start()
        time.sleep(0.2)  # it runs, stuck in time.sleep, ahead of a's other commits
        monkeypatch.setattr(core, "OPTIMISTIC_ATTEMPTS", 4)
        other = b.run_mutation("counters:bump", {"name": "other"})  # another process: at once
        other_took = time.monotonic() - started
        mine = asyncio.run(a.run_mutation_async("counters:bump", {"name": "mine"}))
        mine_took = time.monotonic() - started
        thread.join(10)
        assert isinstance(outcome.get("stuck"), TimeLimitError)
        assert other.value == 1 and other_took < 1.0
        # this process: once the stuck run's time (limit and grace) is up, not 4 s later
        assert mine.value == 1 and mine_took < 2.5
        assert a.run_query("counters:get", {"name": "s"}).value is None  # it never committed
    finally:
        a.close()
        b.close()


def test_a_starved_mutation_goes_first_and_every_increment_counts(deployment, monkeypatch):
    url, data = deployment
    monkeypatch.setattr(core, "OPTIMISTIC_ATTEMPTS", 1)
    rt = Runtime(APPS / "limits", data, db=url, shared=True)
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(15):
                rt.run_mutation("counters:bump", {"name": "hot"})
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=bump) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert rt.run_query("counters:get", {"name": "hot"}).value == 90
    finally:
        rt.close()


def test_a_thread_inside_exclusive_never_waits_for_a_priority_holder(deployment):
    """The holder's barrier waits for the committer lock that ``exclusive()`` holds; were the
    exclusive thread to wait for the holder in turn, both would stall until a deadline."""
    url, data = deployment
    rt = Runtime(APPS / "limits", data, db=url, shared=True)
    holding = threading.Event()
    try:
        with rt.db.exclusive():
            holder = threading.Thread(
                target=lambda: rt.db.priority(time.monotonic() + 5).__enter__() or holding.set()
            )
            holder.start()
            time.sleep(0.2)  # the holder took the gate and waits in its barrier
            started = time.monotonic()
            rt.db.wait_for_priority(time.monotonic() + 3)
            assert time.monotonic() - started < 0.5
            assert not holding.is_set()
        holder.join(5)
        assert holding.is_set()  # its barrier passed once the exclusive block ended
    finally:
        rt.close()
