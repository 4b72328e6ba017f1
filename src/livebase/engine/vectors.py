"""Vector search: exact nearest neighbours by cosine similarity, as Convex's ``vectorSearch``.

Storage keeps each indexed document's vector as float32 bytes with its filter fields' values
(index keys); ``VectorCache`` holds one index in memory as a normalized float32 matrix and
answers a search with one matrix-vector product, so results are exact (no approximate index,
recall 1). A cache catches up before every search: it reads the commit log since its last
timestamp and reloads just the documents whose entries changed, so a search sees every
commit before it, whichever process made it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from livebase.engine import values
from livebase.engine.errors import IndexRangeError, ValidationError
from livebase.engine.keys import encode_key, field_value, undefined

if TYPE_CHECKING:
    from livebase.engine.catalog import VectorIndexInfo
    from livebase.engine.store import Persistence

MAX_LIMIT = 256
DEFAULT_LIMIT = 10
MAX_FILTER_VALUES = 64


@dataclass
class VectorEntry:
    """One document's entry in one vector index."""

    index: int
    doc: bytes  # the document's ID key
    vector: bytes  # float32, little-endian
    filters: tuple[bytes, ...]  # the filter fields' values as index keys, in field order


def entry_of(index: VectorIndexInfo, doc: dict[str, Any], doc_key: bytes) -> VectorEntry | None:
    """A document's entry, or None when its vector field is not a list of ``dimensions``
    numbers (such a document is not in the index)."""
    value = field_value(doc, index.vector_path)
    if not isinstance(value, list) or len(value) != index.dimensions:
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        return None
    vector = np.asarray(value, dtype="<f4")
    if not np.all(np.isfinite(vector)):
        return None
    filters = tuple(encode_key((field_value(doc, path),)) for path in index.filter_paths)
    return VectorEntry(index.id, doc_key, vector.tobytes(), filters)


def doc_id_of(key: bytes) -> str:
    """The document ID of a ``by_id`` key (a string key: tag, escaped UTF-8, terminator)."""
    return key[1:-1].replace(b"\x00\xff", b"\x00").decode("utf-8")


class VectorFilter:
    """The ``q`` of a vector search's ``filter``: ``q.eq(field, value)``, ``q.or_(...)``."""

    def __init__(self, index: VectorIndexInfo) -> None:
        self._index = index

    def eq(self, field_name: str, value: Any) -> list[tuple[int, bytes]]:
        if field_name not in self._index.filter_fields:
            known = ", ".join(self._index.filter_fields) or "none"
            raise IndexRangeError(
                f"Vector index {self._index.name!r} cannot filter on {field_name!r} "
                f"(filter fields: {known})"
            )
        value = undefined if value is undefined else values.normalize(value)
        return [(self._index.filter_fields.index(field_name), encode_key((value,)))]

    def or_(self, *parts: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        for part in parts:
            if not isinstance(part, list):
                raise IndexRangeError("q.or_() takes q.eq(...) or q.or_(...) expressions")
            out += part
        return out


@dataclass(frozen=True)
class VectorQuery:
    vector: np.ndarray  # normalized float32
    limit: int
    wanted: tuple[tuple[int, bytes], ...] | None  # (filter position, key) alternatives


def make_query(index: VectorIndexInfo, request: Any) -> VectorQuery:
    """Check ``{"vector": [...], "limit": n, "filter": lambda q: ...}`` against the index."""
    if not isinstance(request, dict):
        raise ValidationError('vector_search takes {"vector": [...], "limit": n, "filter": fn}')
    unknown = set(request) - {"vector", "limit", "filter"}
    if unknown:
        raise ValidationError(f"vector_search: unknown options {', '.join(sorted(unknown))}")
    vector = request.get("vector")
    if not isinstance(vector, list | tuple) or len(vector) != index.dimensions:
        got = len(vector) if isinstance(vector, list | tuple) else type(vector).__name__
        raise ValidationError(
            f"vector_search: index {index.name!r} holds vectors of {index.dimensions} "
            f"dimensions; the query vector has {got}"
        )
    try:
        array = np.asarray(vector, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValidationError("vector_search: the query vector must hold numbers") from None
    norm = float(np.linalg.norm(array))
    if not np.all(np.isfinite(array)) or norm == 0.0:
        raise ValidationError("vector_search: the query vector must be finite and not all zero")
    limit = request.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit != int(limit):
        raise ValidationError(f"vector_search: limit must be an integer, got {limit!r}")
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise ValidationError(f"vector_search: limit must be 1 to {MAX_LIMIT}, got {int(limit)}")
    wanted = None
    build = request.get("filter")
    if build is not None:
        found = build(VectorFilter(index))
        if not isinstance(found, list) or not found:
            raise IndexRangeError("a vector search filter returns q.eq(...) or q.or_(...)")
        if len(found) > MAX_FILTER_VALUES:
            raise IndexRangeError(f"a vector search filter has at most {MAX_FILTER_VALUES} values")
        wanted = tuple(found)
    return VectorQuery(array / norm, int(limit), wanted)


class VectorCache:
    """One vector index in memory: normalized vectors, their documents and filter keys."""

    def __init__(self, index: VectorIndexInfo) -> None:
        self.index = index
        self.ts: int | None = None  # the commit it reflects; None: not loaded
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.matrix = np.zeros((0, self.index.dimensions), dtype=np.float32)
        self.count = 0
        self.keys: list[bytes] = []
        self.ids: list[str] = []
        self.filters: list[list[bytes]] = [[] for _ in self.index.filter_fields]
        self.position: dict[bytes, int] = {}

    # --- keeping up -----------------------------------------------------------------------
    def _put(self, entry: VectorEntry) -> None:
        vector = np.frombuffer(entry.vector, dtype="<f4").astype(np.float32)
        norm = float(np.linalg.norm(vector))
        row = vector / norm if norm else vector
        at = self.position.get(entry.doc)
        if at is None:
            if self.count == len(self.matrix):
                grown = np.zeros((max(16, 2 * len(self.matrix)), self.index.dimensions), np.float32)
                grown[: self.count] = self.matrix[: self.count]
                self.matrix = grown
            at = self.count
            self.count += 1
            self.keys.append(entry.doc)
            self.ids.append(doc_id_of(entry.doc))
            for column, key in zip(self.filters, entry.filters, strict=True):
                column.append(key)
            self.position[entry.doc] = at
        else:
            for column, key in zip(self.filters, entry.filters, strict=True):
                column[at] = key
        self.matrix[at] = row

    def _drop(self, key: bytes) -> None:
        at = self.position.pop(key, None)
        if at is None:
            return
        last = self.count - 1
        if at != last:  # move the last row into the hole
            moved = self.keys[last]
            self.matrix[at] = self.matrix[last]
            self.keys[at], self.ids[at] = moved, self.ids[last]
            for column in self.filters:
                column[at] = column[last]
            self.position[moved] = at
        self.keys.pop()
        self.ids.pop()
        for column in self.filters:
            column.pop()
        self.count = last

    def catch_up(self, persistence: Persistence) -> None:
        """Bring the cache to the latest commit: a full load the first time (or when the
        commit log no longer reaches back), else the documents changed since."""
        snap = persistence.snapshot()
        try:
            if self.ts is not None and self.ts == snap.ts:
                return
            changed: set[bytes] | None = None
            if self.ts is not None:
                try:
                    logged = persistence.commits_since(self.ts)
                except LookupError:  # CommitLogPruned: the log no longer reaches back
                    logged = None
                if logged is not None:
                    changed = set()
                    for commit in logged:
                        if commit.ts <= snap.ts:
                            changed.update(commit.write_set.get(self.index.id, ()))
            if changed is None:
                self._reset()
                for entry in snap.vectors(self.index.id, None):
                    self._put(entry)
            elif changed:
                found = {e.doc: e for e in snap.vectors(self.index.id, sorted(changed))}
                for key in changed:
                    if key in found:
                        self._put(found[key])
                    else:
                        self._drop(key)
            self.ts = snap.ts
        finally:
            snap.close()

    # --- searching ------------------------------------------------------------------------
    def search(self, persistence: Persistence, query: VectorQuery) -> list[dict[str, Any]]:
        """The ``limit`` nearest documents: ``[{"_id", "_score"}]``, best first (cosine
        similarity; ties by ID)."""
        with self._lock:
            self.catch_up(persistence)
            if self.count == 0:
                return []
            scores = self.matrix[: self.count] @ query.vector
            if query.wanted is not None:
                mask = np.zeros(self.count, dtype=bool)
                for position, key in query.wanted:
                    column = self.filters[position]
                    mask |= np.fromiter((k == key for k in column), dtype=bool, count=self.count)
                candidates = np.flatnonzero(mask)
            else:
                candidates = np.arange(self.count)
            if len(candidates) == 0:
                return []
            picked = scores[candidates]
            k = min(query.limit, len(candidates))
            top = np.argpartition(-picked, k - 1)[:k] if k < len(candidates) else np.arange(k)
            rows = [(float(picked[i]), self.ids[candidates[i]]) for i in top]
        rows.sort(key=lambda row: (-row[0], row[1]))
        return [{"_id": doc_id, "_score": score} for score, doc_id in rows]


class VectorCaches:
    """The caches of one database's vector indexes, made on first use."""

    def __init__(self) -> None:
        self._caches: dict[int, VectorCache] = {}
        self._lock = threading.Lock()

    def get(self, index: VectorIndexInfo) -> VectorCache:
        with self._lock:
            cache = self._caches.get(index.id)
            if cache is None or cache.index != index:
                cache = self._caches[index.id] = VectorCache(index)
            return cache


def rows_of(entries: Sequence[VectorEntry]) -> list[tuple[int, bytes, bytes, bytes]]:
    """Storage rows (index, doc, vector, filters) of entries; ``filters`` packed as
    length-prefixed keys."""
    return [(e.index, e.doc, e.vector, pack_filters(e.filters)) for e in entries]


def pack_filters(filters: tuple[bytes, ...]) -> bytes:
    return b"".join(len(k).to_bytes(4, "big") + k for k in filters)


def unpack_filters(data: bytes) -> tuple[bytes, ...]:
    out, at = [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        out.append(bytes(data[at + 4 : at + 4 + size]))
        at += 4 + size
    return tuple(out)
