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
correct when this process is the only writer. It also commits in groups (``CommitGroup``): the
writer thread stages the mutations it has queued in one storage transaction, and publishes
them once that is durable; the guarantees above hold for every member.

A committer for many processes (PostgreSQL) serializes through the database instead: in the
write transaction it takes a row lock (``SELECT ... FOR UPDATE``) or an advisory lock on the
sequence row, catches its feed up from the commit log while holding it (so the OCC check sees
every other process's commits), assigns ``max(sequence + 1, now)``, writes the documents, the
sequence row and the commit-log entry, commits, and only then releases the lock;
``exclusive()`` holds that same lock.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from livebase.engine import wallclock
from livebase.engine.commit_feed import CommitFeed
from livebase.engine.errors import OccConflictError
from livebase.engine.readset import ReadSet
from livebase.engine.store import Commit, Persistence

log = logging.getLogger("livebase.committer")

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

    def check_reads(self, read_set: ReadSet) -> None:
        """Check a transaction that writes nothing: OccConflictError when it read what a
        commit not yet durable wrote (see ``CommitGroup``). Nothing to check by default."""
        return None

    def after_durable(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` once every commit this thread made is durable (now, by default)."""
        hook()

    def group(self) -> CommitGroup | None:
        """The group-commit interface of this committer, if it has one."""
        return None


class CommitGroup(ABC):
    """Group commit: one thread (the owner) stages many commits, made durable together.

    Between ``begin_group`` and ``end_group`` the owner's commits are written into one storage
    transaction (each atomically on its own) and published to the feed only once it is
    durable. Each is OCC-checked against the feed *and* the staged commits; a conflict with a
    staged one makes the group durable first (a *flush*), so that the retry sees it. A commit
    from another thread flushes the group before its own, so it waits for at most one group.

    A group is a sequence of flushes numbered from 0 (its *epochs*); ``member_epochs`` says in
    which ones the owner's commits since ``begin_member`` were staged, and ``end_group`` which
    epochs failed, so the caller answers each member with its own outcome.
    """

    @abstractmethod
    def begin_group(self) -> None:
        """Make this thread the owner: its commits are staged until ``end_group``."""

    @abstractmethod
    def begin_member(self) -> None:
        """Start counting the epochs the owner's next commits are staged in."""

    @abstractmethod
    def member_epochs(self) -> frozenset[int]:
        """The epochs of the owner's commits since ``begin_member``."""

    @abstractmethod
    def end_group(self) -> dict[int, BaseException]:
        """Make the staged commits durable, publish them, run their after-durable hooks;
        returns the epochs that failed, with their errors (their commits are not stored)."""

    @abstractmethod
    def abort_group(
        self, owner: int, error: BaseException, timeout: float = -1
    ) -> dict[int, BaseException] | None:
        """Roll back the staged commits of ``owner``'s group (a writer written off), which
        fail with ``error``; returns the failed epochs as ``end_group`` does, nothing if the
        group is no longer ``owner``'s, and None if the committer stayed busy ``timeout``
        seconds (then nothing was rolled back)."""


class LocalCommitter(Committer, CommitGroup):
    """One lock in this process: correct when this process is storage's only writer.

    It groups commits (``CommitGroup``) when its persistence can. ``transactions`` counts the
    storage transactions by how many commits each made durable.
    """

    def __init__(self, persistence: Persistence, feed: CommitFeed) -> None:
        self.persistence = persistence
        self.feed = feed
        self.lock = threading.RLock()
        self.transactions: Counter[int] = Counter()
        self._owner: int | None = None  # the thread of the open group
        self._staged: list[Commit] = []  # in storage, not yet durable
        self._staged_hooks: list[Callable[[], None]] = []
        self._durable_hooks: list[Callable[[], None]] = []
        self._epoch = 0
        self._failed: dict[int, BaseException] = {}
        self._member: set[int] = set()

    def next_ts(self) -> int:
        """The next commit timestamp: after the newest commit, and real time when later."""
        last = self._staged[-1].ts if self._staged else self.feed.ts
        return max(last + 1, wallclock.real_time_ns())

    def commit(
        self, build: CommitBuilder, read_set: ReadSet | None = None, since_ts: int = 0
    ) -> Commit | None:
        feed = self.feed
        with self.lock:
            owner = self._owner is not None and self._owner == threading.get_ident()
            if self._staged and not owner:
                self._flush()  # why: this commit must land after the group's, durable
            if read_set is not None:
                if feed.write_log.conflicts(read_set, since_ts):
                    raise OccConflictError("Documents read by this mutation changed; retrying")
                self._check_staged(read_set)
            commit = build(self.next_ts())
            if commit is None:
                return None
            if owner:
                self._stage(commit)
                return commit
            self.persistence.commit(commit)
            self.transactions[1] += 1
            feed.publish(commit.ts, commit.write_set)
        feed.deliver()
        return commit

    def _check_staged(self, read_set: ReadSet) -> None:
        """OCC against the staged commits (with the lock held): on a conflict the group is
        flushed, so that the retry reads what they wrote."""
        if any(read_set.overlaps(staged.write_set) for staged in self._staged):
            self._flush()
            raise OccConflictError("Documents read by this mutation changed; retrying")

    def _stage(self, commit: Commit) -> None:
        first = not self._staged
        if first:
            self.persistence.begin_group()
        try:
            self.persistence.commit(commit)
        except BaseException:
            if first:
                self.persistence.abort_group()
            raise
        self._staged.append(commit)
        self._member.add(self._epoch)

    def _flush(self) -> None:
        """Make the staged commits durable and publish them (with the lock held); on failure
        their epoch is recorded as failed and the error raised."""
        staged, self._staged = self._staged, []
        hooks, self._staged_hooks = self._staged_hooks, []
        epoch = self._epoch
        self._epoch += 1
        if not staged:
            self._durable_hooks += hooks
            return
        try:
            self.persistence.end_group()
        except BaseException as exc:
            self._failed[epoch] = exc
            raise
        self.transactions[len(staged)] += 1
        for commit in staged:
            self.feed.publish(commit.ts, commit.write_set)
        self._durable_hooks += hooks

    def check_reads(self, read_set: ReadSet) -> None:
        with self.lock:
            if self._staged and self._owner == threading.get_ident():
                self._check_staged(read_set)

    def after_durable(self, hook: Callable[[], None]) -> None:
        with self.lock:
            if self._staged and self._owner == threading.get_ident():
                self._staged_hooks.append(hook)
                return
        hook()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.lock:
            yield

    # --- group commit ----------------------------------------------------------------------
    def group(self) -> CommitGroup | None:
        return self if self.persistence.groups else None

    def begin_group(self) -> None:
        with self.lock:
            if self._staged:
                self._flush()  # why: a group written off and not rolled back (cannot happen)
            self._owner = threading.get_ident()
            self._epoch = 0
            self._failed = {}
            self._member = set()

    def begin_member(self) -> None:
        self._member = set()

    def member_epochs(self) -> frozenset[int]:
        return frozenset(self._member)

    def end_group(self) -> dict[int, BaseException]:
        with self.lock:
            try:
                if self._staged:
                    self._flush()
            except Exception:
                pass  # why: recorded in _failed; every member staged in that epoch fails
            failed, hooks = self._close_group()
        self._after_group(hooks)
        return failed

    def abort_group(
        self, owner: int, error: BaseException, timeout: float = -1
    ) -> dict[int, BaseException] | None:
        # why: the owner may hold the lock itself while stuck (a run in exclusive()); the
        # watchdog must not wait for it, and the owner aborts on its own way out instead.
        if not self.lock.acquire(timeout=timeout):
            return None
        try:
            if self._owner != owner:
                return {}
            if self._staged:
                self._staged = []
                self._failed[self._epoch] = error
                self.persistence.abort_group()
            failed, hooks = self._close_group()
        finally:
            self.lock.release()
        self._after_group(hooks)
        return failed

    def _close_group(self) -> tuple[dict[int, BaseException], list[Callable[[], None]]]:
        """End the group (with the lock held): its failed epochs, and the hooks to run."""
        failed, self._failed = self._failed, {}
        hooks, self._durable_hooks = self._durable_hooks, []
        self._owner = None
        self._staged_hooks = []
        return failed, hooks

    def _after_group(self, hooks: list[Callable[[], None]]) -> None:
        """Deliver the group's commits and run its after-durable hooks (no lock held)."""
        self.feed.deliver()
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed")
