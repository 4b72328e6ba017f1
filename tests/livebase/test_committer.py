"""The committer: strictly increasing timestamps, OCC against every later commit, exclusive
mode."""

from __future__ import annotations

import threading
import time

import pytest

from livebase import OccConflictError
from livebase.engine import wallclock
from livebase.engine.commit_feed import CommitFeed
from livebase.engine.committer import LocalCommitter
from livebase.engine.readset import ReadSet
from livebase.persistence import Commit, MemoryPersistence


def committer() -> LocalCommitter:
    return LocalCommitter(MemoryPersistence(), CommitFeed(0))


def write(ts: int, key: bytes = b"k") -> Commit:
    return Commit(ts, documents=[(10001, key, "{}")], write_set={1: [key]})


def test_timestamps_increase_strictly_even_when_the_clock_stands_still(monkeypatch):
    monkeypatch.setattr(wallclock, "real_time_ns", lambda: 1_000)
    c = committer()
    stamps = [c.commit(write).ts for _ in range(3)]
    assert stamps == [1_000, 1_001, 1_002]
    assert c.feed.ts == 1_002


def test_a_read_set_overlapping_a_later_commit_conflicts_and_writes_nothing():
    c = committer()
    first = c.commit(write)
    assert first is not None
    read = ReadSet()
    read.add_point(1, b"k")
    c.commit(write)  # a commit after the reader's snapshot wrote what it read
    latest = c.feed.ts
    with pytest.raises(OccConflictError):
        c.commit(lambda ts: write(ts, b"other"), read, first.ts)
    assert c.feed.ts == latest
    assert [e.ts for e in c.persistence.commits_after(0, 10)] == [first.ts, latest]
    elsewhere = ReadSet()
    elsewhere.add_point(1, b"unrelated")
    assert c.commit(write, elsewhere, first.ts) is not None


def test_a_build_with_nothing_to_write_commits_nothing():
    c = committer()
    assert c.commit(lambda ts: None) is None
    assert c.feed.ts == 0
    assert c.persistence.commits_after(0, 10) == []


def test_exclusive_keeps_other_threads_commits_out_until_it_ends():
    c = committer()
    landed = threading.Event()

    def other() -> None:
        c.commit(write)
        landed.set()

    with c.exclusive():
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.05)
        assert not landed.is_set()
        assert c.commit(write) is not None  # re-entrant in its own thread
    thread.join()
    assert landed.is_set()
