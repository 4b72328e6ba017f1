"""The committer: the one place commit timestamps are assigned and OCC is decided.

Every commit of a ``Database`` (mutations, catalog changes, index backfills) goes through its
committer. Whatever its implementation, a committer guarantees:

1. **Commit order = timestamp order.** Timestamps (nanoseconds) strictly increase in the order
   commits become visible in storage, across every process writing to it. A snapshot at ``ts``
   holds exactly the commits up to ``ts``, and a reader following the commit log by timestamp
   never sees a commit land behind one it has already read.
2. **OCC against every commit after the snapshot.** A transaction whose read set overlaps the
   write set of any commit with a timestamp above its snapshot's, whichever process made that
   commit, is refused with OccConflictError and changes nothing.
3. **Published once durable, in order.** A commit's write set reaches the ``CommitFeed``
   after storage holds it, never after a later commit's (a committer that publishes after
   releasing its lock can rely on the feed: a catch-up publishes both from the commit log,
   and ``publish`` drops what the feed already has).
4. **Exclusive mode.** ``exclusive()`` keeps every other commit out until the block ends (the
   runtime runs a starved mutation there); a commit inside the block is allowed.

``LocalCommitter`` does this with one lock in this process and the feed's write log, which is
correct when this process is the only writer. ``SharedCommitter``, for storage that many
processes write (PostgreSQL), serializes through the storage's write lock instead: holding it,
it catches its feed up from the commit log (so the OCC check sees every other process's
commits), assigns ``max(latest + 1, now)``, writes the documents and the commit-log entry, and
only then releases the lock; ``exclusive()`` holds that same lock.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from livebase.engine import wallclock
from livebase.engine.commit_feed import CommitFeed
from livebase.engine.errors import OccConflictError
from livebase.engine.readset import ReadSet
from livebase.engine.store import Commit, CommitLogPruned, LoggedCommit, Persistence

# Builds the commit to write at the timestamp given, or None when there is nothing to write.
CommitBuilder = Callable[[int], Commit | None]


class Committer(ABC):
    """Assigns commit timestamps, checks OCC, writes through persistence, feeds the feed."""

    feed: CommitFeed

    @abstractmethod
    def commit(
        self, build: CommitBuilder, read_set: ReadSet | None = None, since_ts: int = 0
    ) -> Commit | None:
        """Check ``read_set`` against every commit after ``since_ts`` (no check without a
        read set), then write ``build(ts)`` at a new timestamp and publish it.

        Returns the commit written, or None when ``build`` had nothing to write. Raises
        OccConflictError, writing nothing, on a conflict.
        """

    @abstractmethod
    def exclusive(self) -> AbstractContextManager[None]:
        """Keep every other commit out while the block runs (re-entrant in its thread)."""


class LocalCommitter(Committer):
    """One lock in this process: correct when this process is storage's only writer."""

    def __init__(self, persistence: Persistence, feed: CommitFeed) -> None:
        self.persistence = persistence
        self.feed = feed
        self.lock = threading.RLock()

    def next_ts(self) -> int:
        """The next commit timestamp: after the newest commit, and real time when later."""
        return max(self.feed.ts + 1, wallclock.real_time_ns())

    def commit(
        self, build: CommitBuilder, read_set: ReadSet | None = None, since_ts: int = 0
    ) -> Commit | None:
        feed = self.feed
        with self.lock:
            if read_set is not None and feed.write_log.conflicts(read_set, since_ts):
                raise OccConflictError("Documents read by this mutation changed; retrying")
            commit = build(self.next_ts())
            if commit is None:
                return None
            self.persistence.commit(commit)
            feed.publish(commit.ts, commit.write_set)
        feed.deliver()
        return commit

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.lock:
            yield


class SharedCommitter(Committer):
    """Many processes over one storage: commits serialize through the storage's write lock
    (``Persistence.write_lock``), and each one first catches up on the others' commits."""

    def __init__(self, persistence: Persistence, feed: CommitFeed) -> None:
        self.persistence = persistence
        self.feed = feed
        self.lock = threading.RLock()  # this process's committing threads, one at a time

    def commit(
        self, build: CommitBuilder, read_set: ReadSet | None = None, since_ts: int = 0
    ) -> Commit | None:
        feed = self.feed

        def prepare(entries: list[LoggedCommit], latest: int) -> Commit | None:
            # why: under the storage's lock, so after publishing these the feed holds every
            # commit there is, and the timestamp below is above all of them
            feed.publish_foreign(entries)
            if read_set is not None and feed.write_log.conflicts(read_set, since_ts):
                raise OccConflictError("Documents read by this mutation changed; retrying")
            return build(max(feed.ts + 1, latest + 1, wallclock.real_time_ns()))

        with self.lock:
            while True:
                try:
                    commit = self.persistence.commit_serialized(feed.ts, prepare)
                    break
                except CommitLogPruned as gap:
                    feed.restart_at(gap.floor)  # then the OCC check refuses older snapshots
            if commit is not None:
                feed.publish(commit.ts, commit.write_set)
        feed.deliver()
        return commit

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.lock, self.persistence.write_lock():
            self.feed.catch_up(self.persistence, deliver=False)
            yield
        self.feed.deliver()
