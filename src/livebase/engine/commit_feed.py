"""The commit feed: every commit of the deployment, in timestamp order, for whoever must know.

Two kinds of readers follow it: the OCC check (through the feed's write log: a mutation
conflicts when a commit after its snapshot wrote a key it read) and the listeners (the
subscription loop: a live query is stale when a commit wrote inside its read set).

Commits reach the feed two ways. The committer publishes this process's commits as they land;
``catch_up`` reads the commits other processes made from the persistence's commit log. Both may
offer the same commit: ``publish`` keeps only commits above the newest it has, so each one is
published once and in order.

Invariants:

- ``ts`` is the newest published commit, and the write log holds every published commit after
  its floor; a commit is in the write log before ``ts`` reaches it, so a reader that sees
  ``ts`` finds its write set.
- Listeners receive ``(ts, write_set)`` for every commit published while they are registered,
  strictly in timestamp order, one commit at a time. The thread that publishes a commit
  delivers it before returning unless another thread is already delivering, which then
  delivers it too (a listener may itself commit: its commit is delivered after the current
  one).
- When the persistence no longer logs the commits after ``ts`` (another process ran further
  ahead than the log keeps), the feed starts again at the log's floor with an empty write log:
  ``write_log.covers(t)`` is False for every older ``t``, so the OCC check refuses older
  snapshots and the subscription loop re-runs every query it cannot check.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from livebase.engine.history import History, Version
from livebase.engine.readset import LogEntry, ReadSet, WriteLog, WriteSet
from livebase.engine.store import (
    COMMIT_LOG_RETENTION,
    CommitLogPruned,
    LoggedCommit,
    Persistence,
)

log = logging.getLogger("livebase.commit_feed")

CommitListener = Callable[[int, WriteSet], None]
# Called with each commit of another process as it is published, before any listener hears of
# it (the database refreshes its catalog there).
ForeignHook = Callable[[int, WriteSet], None]
CATCH_UP_BATCH = 1000


class CommitFeed:
    """Commits from this process or others, published in timestamp order."""

    def __init__(self, start_ts: int, retention: int = COMMIT_LOG_RETENTION) -> None:
        self.ts = start_ts
        self.write_log = WriteLog(start_ts, retention)
        self.history = History(start_ts)  # the versions this process's commits replaced
        self._retention = retention
        self._listeners: list[CommitListener] = []
        self._undelivered: deque[tuple[int, WriteSet]] = deque()
        self._delivering = False
        self._lock = threading.Lock()  # publication order and the delivery hand-off
        self._catching_up = threading.Lock()
        self.foreign_hook: ForeignHook | None = None
        self.gap_hook: Callable[[], None] | None = None  # after skipping pruned commits

    # --- publishing ------------------------------------------------------------------------
    def publish(self, ts: int, write_set: WriteSet, replaced: list[Version] | None = None) -> bool:
        """Record a durable commit, with the document versions it replaced when they are
        known (``history``); False when it (or a newer one) was published already.

        Listeners are called by ``deliver``, which the publisher calls once it holds no lock
        that a listener might need.
        """
        with self._lock:
            if ts <= self.ts:
                return False
            self.write_log.append(ts, write_set)
            self.history.record(ts, replaced)
            self.ts = ts
            if self._listeners:
                self._undelivered.append((ts, write_set))
        return True

    def deliver(self) -> None:
        """Call the listeners for every published commit not yet delivered, oldest first."""
        if not self._undelivered:  # why: without the lock: a publisher sees its own commit
            return
        with self._lock:
            if self._delivering or not self._undelivered:
                return
            self._delivering = True
        try:
            while True:
                with self._lock:
                    if not self._undelivered:
                        self._delivering = False
                        return
                    ts, write_set = self._undelivered.popleft()
                self._call_listeners(ts, write_set)
        except BaseException:
            with self._lock:
                self._delivering = False
            raise

    def _call_listeners(self, ts: int, write_set: WriteSet) -> None:
        for listener in self._listeners:
            try:
                listener(ts, write_set)
            except Exception:
                log.exception("commit listener failed")

    # --- commits of other processes -----------------------------------------------------
    def catch_up(
        self, persistence: Persistence, batch: int = CATCH_UP_BATCH, deliver: bool = True
    ) -> int:
        """Publish, in order, the commits in ``persistence``'s commit log after ``ts`` (those
        other processes made), then deliver them (unless ``deliver`` is False: the caller
        holds a lock a listener might need and delivers later); returns how many were new."""
        published = 0
        with self._catching_up:
            while True:
                try:
                    entries = persistence.commits_after(self.ts, batch)
                except CommitLogPruned as gap:
                    self.restart_at(gap.floor)
                    continue
                published += self.publish_foreign(entries)
                if len(entries) < batch:
                    break
        if deliver:
            self.deliver()
        return published

    def publish_foreign(self, entries: list[LoggedCommit]) -> int:
        """Publish other processes' commits (not delivered yet), each after the foreign
        hook saw it; returns how many were new."""
        hook = self.foreign_hook
        published = 0
        for entry in entries:
            if hook is not None and entry.ts > self.ts:
                hook(entry.ts, entry.write_set)  # why: before anyone hears of it
            published += self.publish(entry.ts, entry.write_set)
        return published

    def restart_at(self, floor: int) -> None:
        """Start again at the commit log's floor (the commits before it are gone)."""
        if floor <= self.ts:
            return
        if self.gap_hook is not None:
            self.gap_hook()  # why: before anyone reads past the commits it skips
        with self._lock:
            if floor <= self.ts:
                return
            log.warning(
                "commits between ts %d and %d are no longer in the commit log; "
                "older snapshots can no longer be checked",
                self.ts,
                floor,
            )
            # why: a new log whose floor is the commit log's: covers() is False for every
            # older timestamp, which is exactly what could not be checked.
            self.write_log = WriteLog(floor, self._retention)
            self.history.restart(floor)
            self.ts = floor

    # --- reading ---------------------------------------------------------------------------
    def commits_between(self, since: int, until: int) -> list[LogEntry] | None:
        """The published commits after ``since`` up to ``until``, oldest first; None when the
        feed no longer reaches back to ``since`` (then nothing read at ``since`` can be
        checked)."""
        write_log = self.write_log
        if not write_log.covers(since):
            return None
        return list(write_log.entries_after(since, until))

    def conflicts(self, read_set: ReadSet, since: int, until: int | None = None) -> bool:
        """Whether a commit after ``since`` (up to ``until``) wrote inside ``read_set``; True
        when the feed no longer reaches back to ``since``."""
        return self.write_log.conflicts(read_set, since, until)

    # --- listeners -----------------------------------------------------------------------
    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener(ts, write_set)`` for every commit published from now on."""
        with self._lock:
            # why: a new list, never changed in place: delivery iterates the one it read
            # without holding the lock.
            self._listeners = [*self._listeners, listener]

    def remove_listener(self, listener: CommitListener) -> None:
        """Stop calling ``listener``; ValueError if it was not registered."""
        with self._lock:
            listeners = list(self._listeners)
            listeners.remove(listener)
            self._listeners = listeners
