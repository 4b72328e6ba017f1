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
only then releases the lock; ``exclusive()`` holds that same lock. It commits the commits its
process's threads queued together in one storage transaction (group commit), each checked and
stamped as if it were alone.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from livebase.engine import wallclock
from livebase.engine.commit_feed import CommitFeed
from livebase.engine.errors import OccConflictError
from livebase.engine.readset import ReadSet
from livebase.engine.store import (
    Commit,
    CommitLogPruned,
    CommitOutcomeUnknown,
    LoggedCommit,
    Persistence,
)

# Builds the commit to write at the timestamp given, or None when there is nothing to write.
CommitBuilder = Callable[[int], Commit | None]


class PriorityGate:
    """Lets one thread's commits go first: while a thread holds the gate, other threads of
    this process wait before committing, until it lets go or its time runs out.

    Unlike ``Committer.exclusive()`` no lock is held while the holder runs, so a holder stuck
    in code that cannot be interrupted holds up this process's other commits until its
    ``until`` at most, and never another process's. Times are ``time.monotonic()`` values.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._holder: int | None = None
        self._until = 0.0

    def _wait(self, me: int, until: float | None) -> None:  # with the condition's lock held
        while self._holder not in (None, me):
            now = time.monotonic()
            end = self._until if until is None else min(self._until, until)
            if now >= end:
                return
            self._cond.wait(end - now)

    @contextmanager
    def hold(self, until: float) -> Iterator[None]:
        """Hold the gate until the block ends or ``until``, whichever comes first; a holder
        before it is waited for until its own time or ``until``."""
        me = threading.get_ident()
        with self._cond:
            self._wait(me, until)
            outer = self._holder == me
            if not outer:
                self._holder, self._until = me, until
        try:
            yield
        finally:
            if not outer:
                with self._cond:
                    if self._holder == me:
                        self._holder = None
                    self._cond.notify_all()

    def held_here(self) -> bool:
        """Whether this thread holds the gate (and its time is not up)."""
        return self._holder == threading.get_ident() and time.monotonic() < self._until

    def wait_turn(self, until: float | None = None) -> None:
        """Before a commit: wait while another thread holds the gate (not past its time),
        and not past ``until``."""
        if self._holder is None:  # why: the common case, without taking the lock
            return
        with self._cond:
            self._wait(threading.get_ident(), until)


_CONFLICT = "Documents read by this mutation changed; retrying"


class Committer(ABC):
    """Assigns commit timestamps, checks OCC, writes through persistence, feeds the feed."""

    def __init__(self, persistence: Persistence, feed: CommitFeed) -> None:
        self.persistence = persistence
        self.feed = feed
        self.lock = threading.RLock()  # held while a commit (or a group of them) is written
        self.gate = PriorityGate()
        self._exclusive = threading.local()  # depth of exclusive() blocks in this thread

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

    def in_exclusive(self) -> bool:
        """Whether this thread is inside ``exclusive()`` (no other commit can land)."""
        return getattr(self._exclusive, "depth", 0) > 0

    @contextmanager
    def _counted(self) -> Iterator[None]:
        """Around the body of ``exclusive()``: what ``in_exclusive`` answers from."""
        self._exclusive.depth = getattr(self._exclusive, "depth", 0) + 1
        try:
            yield
        finally:
            self._exclusive.depth -= 1

    @contextmanager
    def priority(self, until: float) -> Iterator[None]:
        """Let this thread's commits go before this process's other threads' while the block
        runs, until the monotonic time ``until`` at most (``PriorityGate``). Commits already
        under way when it begins land before the block runs."""
        with self.gate.hold(until):
            with self.lock:  # why: a commit being written now would land after a snapshot
                pass
            yield


class LocalCommitter(Committer):
    """One lock in this process: correct when this process is storage's only writer."""

    def next_ts(self) -> int:
        """The next commit timestamp: after the newest commit, and real time when later."""
        return max(self.feed.ts + 1, wallclock.real_time_ns())

    def commit(
        self, build: CommitBuilder, read_set: ReadSet | None = None, since_ts: int = 0
    ) -> Commit | None:
        feed = self.feed
        if not self.in_exclusive():
            self.gate.wait_turn()
        with self.lock:
            if read_set is not None and feed.write_log.conflicts(read_set, since_ts):
                raise OccConflictError(_CONFLICT)
            commit = build(self.next_ts())
            if commit is None:
                return None
            self.persistence.commit(commit)
            feed.publish(commit.ts, commit.write_set, commit.replaced)
        feed.deliver()
        return commit

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.lock, self._counted():
            yield


def _own(exc: CommitOutcomeUnknown, members: int) -> CommitOutcomeUnknown:
    """The error for one member of a group that ``exc`` ended: its own object, so that
    threads raising it do not share a traceback."""
    if members == 1:
        return exc
    own = CommitOutcomeUnknown(str(exc))
    own.__cause__ = exc.__cause__
    return own


class _Request:
    """One commit waiting in ``SharedCommitter``'s queue, and what became of it."""

    __slots__ = ("build", "commit", "done", "error", "read_set", "since_ts")

    def __init__(self, build: CommitBuilder, read_set: ReadSet | None, since_ts: int) -> None:
        self.build = build
        self.read_set = read_set
        self.since_ts = since_ts
        self.done = False
        self.commit: Commit | None = None
        self.error: BaseException | None = None


class SharedCommitter(Committer):
    """Many processes over one storage: commits serialize through the storage's write lock
    (``Persistence.write_lock``), and each one first catches up on the others' commits.

    **Group commit.** Threads of this process that commit at the same time share one storage
    transaction: the first to get the process's lock takes every commit queued by then (up to
    ``MAX_GROUP``), checks each against the commits before it (other processes', then the
    earlier ones of the group), gives each its own timestamp, in queue order, and writes them
    all at once; each thread then gets its own result. Over PostgreSQL a commit costs two
    round trips and a flush of the write-ahead log, so a group of eight costs about what one
    does. A commit inside ``exclusive()`` goes alone, so nothing else lands in that block.
    """

    MAX_GROUP = 64

    def __init__(self, persistence: Persistence, feed: CommitFeed) -> None:
        super().__init__(persistence, feed)
        # why: a group is written all or none only by storage that says so
        self._max_group = self.MAX_GROUP if persistence.atomic_groups else 1
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()

    def commit(
        self, build: CommitBuilder, read_set: ReadSet | None = None, since_ts: int = 0
    ) -> Commit | None:
        request = _Request(build, read_set, since_ts)
        alone = self.in_exclusive()
        if not alone:
            self.gate.wait_turn()
            with self._queue_lock:
                if self.gate.held_here():
                    # why: commits queued before it took the gate must not go first
                    self._queue.insert(0, request)
                else:
                    self._queue.append(request)
        with self.lock:
            # why: locks are not first-come first-served, so this thread may get the lock
            # while its request waits beyond the first group of the queue
            while not request.done:
                if alone:
                    group = [request]
                else:
                    with self._queue_lock:
                        group = self._queue[: self._max_group]
                        del self._queue[: self._max_group]
                self._commit_group(group)
        self.feed.deliver()
        if request.error is not None:
            raise request.error
        return request.commit

    def _commit_group(self, group: list[_Request]) -> None:
        """Write the group's commits in one storage transaction (holding ``self.lock``)."""
        feed = self.feed

        def prepare(entries: list[LoggedCommit], latest: int) -> list[Commit]:
            # why: under the storage's lock, so after publishing these the feed holds every
            # commit there is, and the timestamps below are above all of them
            feed.publish_foreign(entries)
            ts = max(feed.ts + 1, latest + 1, wallclock.real_time_ns())
            commits: list[Commit] = []
            for request in group:
                request.commit = request.error = None
                read_set = request.read_set
                if read_set is not None and (
                    feed.write_log.conflicts(read_set, request.since_ts)
                    or any(read_set.overlaps(c.write_set) for c in commits)
                ):
                    request.error = OccConflictError(_CONFLICT)
                    continue
                try:
                    commit = request.build(ts)
                except Exception as exc:  # why: one commit's failure is its own, not the group's
                    request.error = exc
                    continue
                if commit is not None:
                    commits.append(commit)
                    request.commit = commit
                    ts += 1
            return commits

        try:
            while True:
                try:
                    written = self.persistence.commit_serialized(feed.ts, prepare)
                    break
                except CommitLogPruned as gap:
                    feed.restart_at(gap.floor)  # then the OCC check refuses older snapshots
        except CommitOutcomeUnknown as exc:
            for request in group:
                request.commit, request.error = None, _own(exc, len(group))
                request.done = True
        except Exception as exc:
            if len(group) == 1:
                group[0].commit, group[0].error, group[0].done = None, exc, True
                return
            # why: the transaction rolled back, whole; one member's write may be what failed
            # (an index key too long for the storage, say), so each goes again alone and
            # gets its own result
            for request in group:
                self._commit_group([request])
        except BaseException as exc:
            for request in group:
                request.commit, request.error, request.done = None, exc, True
        else:
            for commit in written:
                feed.publish(commit.ts, commit.write_set, commit.replaced)
            for request in group:
                request.done = True

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.lock, self.persistence.write_lock(), self._counted():
            self.feed.catch_up(self.persistence, deliver=False)
            yield
        self.feed.deliver()
