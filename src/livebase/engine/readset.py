"""Read sets, write sets and the write log: the I/O-free heart of OCC and live queries.

A read set is, per index, the key intervals a transaction actually scanned (half-open
``[start, end)``, ``end=None`` meaning unbounded). A write set is, per index, the keys a commit
removed or added. A transaction conflicts with a commit, and a subscription is invalidated by
it, exactly when some written key lies inside some read interval of the same index. A
``ReadSetIndex`` holds many read sets (the live queries') so that a commit finds the ones it
touches without visiting the others.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from livebase.engine.intervals import Interval, IntervalTree

WriteSet = dict[int, list[bytes]]
Owner = TypeVar("Owner")


def key_successor(key: bytes) -> bytes:
    """The smallest key above ``key``: intervals ending here include ``key`` itself."""
    return key + b"\x00"


class ReadSet:
    """Key intervals read, per index. Add intervals freely; queries merge them lazily."""

    __slots__ = ("_frozen", "_pending")

    def __init__(self) -> None:
        self._pending: dict[int, list[tuple[bytes, bytes | None]]] = {}
        self._frozen: dict[int, tuple[list[bytes], list[bytes | None]]] | None = None

    def add(self, index_id: int, start: bytes, end: bytes | None) -> None:
        """Record that keys in ``[start, end)`` of an index were read."""
        if end is not None and end <= start:
            return
        self._pending.setdefault(index_id, []).append((start, end))
        self._frozen = None

    def add_point(self, index_id: int, key: bytes) -> None:
        """Record a read of exactly one key (a ``db.get``)."""
        self.add(index_id, key, key_successor(key))

    def update(self, other: ReadSet) -> None:
        """Add every interval of another read set (an action's calls, a nested read)."""
        for index_id, intervals in other._pending.items():
            self._pending.setdefault(index_id, []).extend(intervals)
        self._frozen = None

    def _merged(self) -> dict[int, tuple[list[bytes], list[bytes | None]]]:
        if self._frozen is None:
            frozen: dict[int, tuple[list[bytes], list[bytes | None]]] = {}
            for index_id, intervals in self._pending.items():
                merged = _merge(intervals)
                self._pending[index_id] = merged
                frozen[index_id] = ([s for s, _ in merged], [e for _, e in merged])
            self._frozen = frozen
        return self._frozen

    def intervals(self) -> dict[int, list[tuple[bytes, bytes | None]]]:
        """The merged, sorted intervals per index."""
        return {i: list(zip(s, e, strict=True)) for i, (s, e) in self._merged().items()}

    def index_ids(self) -> Iterable[int]:
        return self._merged().keys()

    def contains(self, index_id: int, key: bytes) -> bool:
        """Whether ``key`` of that index lies inside an interval read."""
        entry = self._merged().get(index_id)
        if entry is None:
            return False
        starts, ends = entry
        pos = bisect_right(starts, key) - 1
        if pos < 0:
            return False
        end = ends[pos]
        return end is None or key < end

    def overlaps(self, writes: WriteSet) -> bool:
        """Whether a commit's write set touches anything this read set read."""
        merged = self._merged()
        for index_id, keys in writes.items():
            if index_id in merged and any(self.contains(index_id, key) for key in keys):
                return True
        return False

    def __len__(self) -> int:
        return sum(len(s) for s, _ in self._merged().values())


def _merge(intervals: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes | None]]:
    ordered = sorted(intervals, key=lambda iv: iv[0])
    out: list[tuple[bytes, bytes | None]] = []
    for start, end in ordered:
        if out:
            last_start, last_end = out[-1]
            if last_end is None or start <= last_end:
                if last_end is not None and (end is None or end > last_end):
                    out[-1] = (last_start, end)
                continue
        out.append((start, end))
    return out


class ReadSetIndex(Generic[Owner]):
    """The read sets of many owners (live queries), indexed by key interval per index.

    Invariant: for every owner added and not since discarded, and every index id, the tree of
    that index holds exactly the owner's merged intervals of it, and no tree holds anything
    else. So ``touched_by(writes)`` is exactly the owners whose read set ``overlaps(writes)``,
    found in O(log S + found) per written key for S intervals on its index, never by visiting
    every owner. Adding and discarding an owner costs O(log S) expected per interval.
    """

    def __init__(self) -> None:
        self._trees: dict[int, IntervalTree[Owner]] = {}
        self._held: dict[Owner, list[tuple[int, Interval[Owner]]]] = {}

    def add(self, owner: Owner, read_set: ReadSet) -> None:
        """Index ``owner``'s read set, replacing the one it had."""
        self.discard(owner)
        held = []
        for index_id, intervals in read_set.intervals().items():
            tree = self._trees.get(index_id)
            if tree is None:
                tree = self._trees[index_id] = IntervalTree()
            held += [(index_id, tree.add(start, end, owner)) for start, end in intervals]
        self._held[owner] = held

    def discard(self, owner: Owner) -> None:
        """Forget ``owner``'s read set, if it has one here."""
        for index_id, interval in self._held.pop(owner, ()):
            tree = self._trees[index_id]
            tree.remove(interval)
            if not tree:
                del self._trees[index_id]

    def touched_by(self, writes: WriteSet) -> set[Owner]:
        """The owners with some written key inside their read set."""
        touched: set[Owner] = set()
        for index_id, keys in writes.items():
            tree = self._trees.get(index_id)
            if tree is not None:
                for key in keys:
                    touched.update(tree.stab(key))
        return touched

    def __contains__(self, owner: object) -> bool:
        return owner in self._held

    def __len__(self) -> int:
        return len(self._held)


@dataclass(frozen=True)
class LogEntry:
    """One commit: its timestamp and the index keys it changed."""

    ts: int
    writes: WriteSet


class WriteLog:
    """Recent commits in timestamp order, for OCC checks and subscription invalidation.

    Entries older than ``retention`` commits are dropped; a reader whose snapshot predates the
    oldest kept entry can no longer be checked and must be re-run (``covers`` says so).
    """

    def __init__(self, start_ts: int, retention: int = 20_000) -> None:
        self._entries: deque[LogEntry] = deque()
        self._retention = retention
        self._floor = start_ts  # every commit after this ts is still in the log
        self._lock = threading.Lock()

    def append(self, ts: int, writes: WriteSet) -> None:
        with self._lock:
            self._entries.append(LogEntry(ts, writes))
            while len(self._entries) > self._retention:
                self._floor = self._entries.popleft().ts

    def covers(self, since_ts: int) -> bool:
        """Whether every commit after ``since_ts`` is still in the log."""
        return since_ts >= self._floor

    def entries_after(self, since_ts: int, until_ts: int | None = None) -> Iterator[LogEntry]:
        """Commits with ``since_ts < ts <= until_ts``, oldest first."""
        newer: list[LogEntry] = []
        with self._lock:
            # why: the newest entries are at the right; a reader is usually only a few commits
            # behind, so walking back from the end is far cheaper than scanning the log.
            for entry in reversed(self._entries):
                if entry.ts <= since_ts:
                    break
                newer.append(entry)
        newer.reverse()
        for entry in newer:
            if until_ts is not None and entry.ts > until_ts:
                break
            yield entry

    def conflicts(self, read_set: ReadSet, since_ts: int, until_ts: int | None = None) -> bool:
        """Whether a commit after ``since_ts`` wrote a key inside ``read_set``."""
        if not self.covers(since_ts):
            return True
        return any(read_set.overlaps(e.writes) for e in self.entries_after(since_ts, until_ts))
