"""In-memory persistence: SQLite's semantics with nothing on disk, for tests.

    runtime = Runtime(app, tmp_path, persistence=MemoryPersistence())

Storage is a chain of immutable versions. A commit copies only the tables and indexes it
touches, applies its writes to the copies and publishes the new version in one step, so a
snapshot (a reference to one version) never sees a later commit and a failed commit leaves
no trace. Scans bisect a sorted key list per table and index.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from typing import Any

from livebase.engine.search import (
    MAX_PREFIX_EXPANSIONS,
    SearchEntry,
    SearchHit,
    SearchQuery,
    Weights,
    weigh,
)
from livebase.engine.store import (
    COMMIT_LOG_RETENTION,
    Commit,
    CommitLogPruned,
    LoggedCommit,
    Persistence,
    Row,
    Snapshot,
    StaleCommitError,
)
from livebase.engine.vectors import VectorEntry


class _SortedMap:
    """Keys in order with their values; copied before a commit changes it."""

    __slots__ = ("keys", "values")

    def __init__(
        self, keys: list[bytes] | None = None, values: dict[bytes, Any] | None = None
    ) -> None:
        self.keys: list[bytes] = keys if keys is not None else []
        self.values: dict[bytes, Any] = values if values is not None else {}

    def copy(self) -> _SortedMap:
        return _SortedMap(list(self.keys), dict(self.values))

    def put(self, key: bytes, value: Any) -> None:
        if key not in self.values:
            insort(self.keys, key)
        self.values[key] = value

    def remove(self, key: bytes) -> None:
        if key in self.values:
            del self.values[key]
            del self.keys[bisect_left(self.keys, key)]

    def range(self, start: bytes, end: bytes | None) -> list[bytes]:
        """The keys with ``start <= key < end``, in order."""
        lo = bisect_left(self.keys, start)
        hi = len(self.keys) if end is None else bisect_left(self.keys, end, lo)
        return self.keys[lo:hi]


_EMPTY = _SortedMap()


@dataclass
class _SearchIndex:
    """One search index: every document's entry, the postings of each term, each text
    term's document frequency and the token count."""

    entries: dict[bytes, SearchEntry] = field(default_factory=dict)
    postings: dict[bytes, dict[bytes, int]] = field(default_factory=dict)
    frequencies: dict[bytes, int] = field(default_factory=dict)
    tokens: int = 0

    def copy(self) -> _SearchIndex:
        # why: postings are copied per term when a commit touches the term (_posting)
        return _SearchIndex(
            dict(self.entries), dict(self.postings), dict(self.frequencies), self.tokens
        )

    def remove(self, entry: SearchEntry, copied: set[bytes]) -> None:
        if self.entries.pop(entry.doc, None) is None:
            return
        for term in entry.terms:
            self._posting(term, copied).pop(entry.doc, None)
        for term in entry.text_terms():
            self.frequencies[term] = self.frequencies.get(term, 0) - 1
        self.tokens -= entry.length

    def add(self, entry: SearchEntry, copied: set[bytes]) -> None:
        self.entries[entry.doc] = entry
        for term, tf in entry.terms.items():
            self._posting(term, copied)[entry.doc] = tf
        for term in entry.text_terms():
            self.frequencies[term] = self.frequencies.get(term, 0) + 1
        self.tokens += entry.length

    def _posting(self, term: bytes, copied: set[bytes]) -> dict[bytes, int]:
        if term not in copied:
            copied.add(term)
            self.postings[term] = dict(self.postings.get(term, {}))
        return self.postings[term]

    def search(self, query: SearchQuery) -> tuple[list[tuple[int, bytes]], Weights]:
        """(score, ID key) of the matching documents, best first, as the SQL engines rank
        them, and the weights they were scored by."""
        found: dict[bytes, int] = {}
        if query.prefix is not None:
            expansions = sorted(
                (-df, term)
                for term, df in self.frequencies.items()
                if df > 0 and term.startswith(query.prefix)
            )[:MAX_PREFIX_EXPANSIONS]
            found.update((term, -df) for df, term in expansions)
        found.update((t, self.frequencies[t]) for t in query.terms if t in self.frequencies)
        weights = weigh(found, query.terms, len(self.entries), self.tokens)
        docs = {doc for term in weights.idf for doc in self.postings.get(term, {})}
        entries = [self.entries[doc] for doc in docs]
        ranked = [
            (weights.score(entry), entry.doc)
            for entry in entries
            if all(f in entry.terms for f in query.filters)
        ]
        ranked.sort(key=lambda hit: (-hit[0], hit[1]))
        return ranked[: query.limit], weights


@dataclass(frozen=True)
class _Version:
    """Storage as of one commit. Never changed once published."""

    ts: int = 0
    documents: dict[int, _SortedMap] = field(default_factory=dict)  # table -> id key -> JSON
    indexes: dict[int, _SortedMap] = field(default_factory=dict)  # index -> key -> id key
    meta: dict[str, str] = field(default_factory=dict)  # name -> JSON text
    search: dict[int, _SearchIndex] = field(default_factory=dict)  # search index id -> entries
    vectors: dict[int, dict[bytes, VectorEntry]] = field(default_factory=dict)  # id -> entries


class MemorySnapshot(Snapshot):
    """A read view: one published version."""

    def __init__(self, version: _Version) -> None:
        self._version: _Version | None = version
        self.ts = version.ts

    def _v(self) -> _Version:
        if self._version is None:
            raise RuntimeError("snapshot used after close")
        return self._version

    def get(self, table: int, id_key: bytes) -> str | None:
        docs = self._v().documents.get(table)
        return None if docs is None else docs.values.get(id_key)

    def scan(
        self,
        table: int,
        index: int | None,
        start: bytes,
        end: bytes | None,
        reverse: bool,
        limit: int,
    ) -> list[Row]:
        version = self._v()
        docs = version.documents.get(table, _EMPTY)
        entries = docs if index is None else version.indexes.get(index, _EMPTY)
        if limit <= 0:
            return []
        keys = entries.range(start, end)
        rows: list[Row] = []
        for key in reversed(keys) if reverse else keys:
            value = entries.values[key]
            text = value if index is None else docs.values.get(value)
            if text is not None:  # why: like SQLite's join, an entry without its document
                rows.append((key, text))
                if len(rows) == limit:
                    break
        return rows

    def search(self, table: int, index: int, query: SearchQuery) -> tuple[list[SearchHit], Weights]:
        version = self._v()
        entries = version.search.get(index)
        if entries is None or not query.terms:
            return [], Weights()
        docs = version.documents.get(table, _EMPTY).values
        ranked, weights = entries.search(query)
        return [SearchHit(doc, score, docs[doc]) for score, doc in ranked if doc in docs], weights

    def vectors(self, index: int, docs: list[bytes] | None) -> list[VectorEntry]:
        entries = self._v().vectors.get(index, {})
        if docs is None:
            return list(entries.values())
        return [entries[doc] for doc in docs if doc in entries]

    def meta(self, name: str) -> Any:
        text = self._v().meta.get(name)
        return None if text is None else json.loads(text)

    def close(self) -> None:
        self._version = None


class MemoryPersistence(Persistence):
    """Documents, indexes and the commit log in this process's memory, gone when it exits."""

    def __init__(self, *, log_retention: int = COMMIT_LOG_RETENTION) -> None:
        if log_retention < 1:
            raise ValueError("log_retention must be at least 1")
        self.log_retention = log_retention
        self._lock = threading.Lock()
        self._version = _Version()
        self._log: list[LoggedCommit] = []
        self._log_floor = 0
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("persistence is closed")

    def snapshot(self) -> MemorySnapshot:
        with self._lock:
            self._check_open()
            return MemorySnapshot(self._version)

    def read_latest(self, table: int, id_key: bytes) -> tuple[int, str | None]:
        with self._lock:
            self._check_open()
            version = self._version
        docs = version.documents.get(table)
        return version.ts, None if docs is None else docs.values.get(id_key)

    def commit(self, commit: Commit) -> None:
        with self._lock:
            self._check_open()
            current = self._version
            if commit.ts <= current.ts:
                raise StaleCommitError(f"commit ts {commit.ts} is not above the latest stored")
            self._version = _apply(current, commit)
            self._log.append(LoggedCommit(commit.ts, _copy_write_set(commit.write_set)))
            if len(self._log) > self.log_retention:
                dropped = len(self._log) - self.log_retention
                self._log_floor = self._log[dropped - 1].ts
                del self._log[:dropped]

    def commits_after(self, ts: int, limit: int) -> list[LoggedCommit]:
        with self._lock:
            self._check_open()
            if ts < self._log_floor:
                raise CommitLogPruned(self._log_floor)
            # why: commits are appended in timestamp order, so the first one after ts is found
            # by bisecting on the timestamps.
            pos = bisect_left(self._log, ts + 1, key=lambda entry: entry.ts)
            found = self._log[pos : pos + max(limit, 0)]
        return [LoggedCommit(e.ts, _copy_write_set(e.write_set)) for e in found]

    def close(self) -> None:
        with self._lock:
            self._closed = True


def _apply(current: _Version, commit: Commit) -> _Version:
    """The version after ``commit``: touched tables and indexes copied, then changed."""
    documents, indexes = dict(current.documents), dict(current.indexes)
    copied: set[tuple[str, int]] = set()

    def writable(maps: dict[int, _SortedMap], kind: str, number: int) -> _SortedMap:
        if (kind, number) not in copied:
            copied.add((kind, number))
            maps[number] = maps[number].copy() if number in maps else _SortedMap()
        return maps[number]

    for index_id in commit.dropped_indexes:
        indexes.pop(index_id, None)
        copied.discard(("index", index_id))
    for table, key, value in commit.documents:
        if value is None:
            writable(documents, "table", table).remove(key)
        else:
            writable(documents, "table", table).put(key, value)
    for index_id, key in commit.index_removes:
        writable(indexes, "index", index_id).remove(key)
    for index_id, key, doc in commit.index_adds:
        writable(indexes, "index", index_id).put(key, doc)
    meta = dict(current.meta)
    meta.update((name, json.dumps(value)) for name, value in commit.meta.items())
    return _Version(
        commit.ts,
        documents,
        indexes,
        meta,
        _apply_search(current.search, commit),
        _apply_vectors(current.vectors, commit),
    )


def _apply_vectors(
    current: dict[int, dict[bytes, VectorEntry]], commit: Commit
) -> dict[int, dict[bytes, VectorEntry]]:
    if not (commit.vector_removes or commit.vector_adds or commit.dropped_indexes):
        return current
    out = {i: entries for i, entries in current.items() if i not in commit.dropped_indexes}
    copied: set[int] = set()

    def writable(index_id: int) -> dict[bytes, VectorEntry]:
        if index_id not in copied:
            copied.add(index_id)
            out[index_id] = dict(out.get(index_id, {}))
        return out[index_id]

    for index_id, doc in commit.vector_removes:
        writable(index_id).pop(doc, None)
    for entry in commit.vector_adds:
        writable(entry.index)[entry.doc] = entry
    return out


def _apply_search(current: dict[int, _SearchIndex], commit: Commit) -> dict[int, _SearchIndex]:
    if not (commit.search_removes or commit.search_adds or commit.dropped_indexes):
        return current
    search = {i: entries for i, entries in current.items() if i not in commit.dropped_indexes}
    copied: dict[int, set[bytes]] = {}

    def writable(index_id: int) -> tuple[_SearchIndex, set[bytes]]:
        if index_id not in copied:
            copied[index_id] = set()
            search[index_id] = search[index_id].copy() if index_id in search else _SearchIndex()
        return search[index_id], copied[index_id]

    for entry in commit.search_removes:
        writable(entry.index)[0].remove(entry, copied[entry.index])
    for entry in commit.search_adds:
        writable(entry.index)[0].add(entry, copied[entry.index])
    return search


def _copy_write_set(write_set: dict[int, list[bytes]]) -> dict[int, list[bytes]]:
    return {index_id: list(keys) for index_id, keys in write_set.items()}
