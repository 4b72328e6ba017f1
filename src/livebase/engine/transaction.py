"""Transactions: reads at one snapshot with a read set, writes buffered until commit.

A transaction reads storage through a snapshot and overlays its own pending writes, so a
mutation sees what it wrote. Every read is recorded in the read set as the key interval that was
actually scanned: a range read that stops after ten rows records the range up to its tenth key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, overload

from livebase.engine import values
from livebase.engine.catalog import (
    SYSTEM_FIELDS,
    IndexInfo,
    SearchIndexInfo,
    TableInfo,
    document_suffix,
    id_key,
)
from livebase.engine.errors import (
    InvalidIdError,
    LimitError,
    ReadOnlyError,
    UnknownTableError,
    ValidationError,
)
from livebase.engine.history import Version
from livebase.engine.ids import decode_id, new_id
from livebase.engine.keys import undefined
from livebase.engine.query import MAX_ROWS_READ, IndexRange
from livebase.engine.readset import ReadSet, key_successor
from livebase.engine.search import SearchQuery, entry_of, idf, prefix_end, sort_key
from livebase.engine.store import Commit, Snapshot
from livebase.engine.vectors import entry_of as vector_entry

if TYPE_CHECKING:
    from livebase.engine.database import Database

MAX_WRITES = 16_000
_FIRST_PAGE = 32
_MAX_PAGE = 1024


class SnapshotMoved(BaseException):
    """A commit landed between a query's first read and its snapshot: the run is void.

    A BaseException so that a function's ``except Exception`` cannot swallow it.
    """


@dataclass
class PendingWrite:
    """A document this transaction changed: its version in the snapshot and its new one."""

    table: TableInfo
    key: bytes
    original: dict[str, Any] | None
    new: dict[str, Any] | None
    text: str | None


class Transaction:
    """One query's or mutation's view of the database."""

    def __init__(self, db: Database, writable: bool) -> None:
        self.db = db
        self.snapshot: Snapshot | None = None
        # why: the snapshot opens on the first read. Until then nothing was read, so the
        # latest commit is a correct starting point, and a mutation that only inserts never
        # holds a reader (an open reader also keeps SQLite from checkpointing its WAL).
        self.begin_ts = db.latest_ts
        self._ended = False
        self.writable = writable
        self.read_set = ReadSet()
        self.writes: dict[tuple[int, bytes], PendingWrite] = {}
        self.rows_read = 0
        self.after_commit: list[Callable[[], None]] = []  # run once the writes are durable
        self.journal_in: str | None = None  # the journal of this query's previous run
        self.journal_out: str | None = None  # what a re-run must honour (a page's end)
        self.scheduled_job: str | None = None  # the scheduled job this mutation runs, if any
        self._paginated = False
        # A query's first get may read without a snapshot (Persistence.read_latest); a
        # snapshot opened later must then be at the timestamp that read saw, or the run is
        # void (``moved``) and its caller runs it again without the shortcut.
        self.optimistic = False
        self._read_at: int | None = None
        self.moved = False

    # --- reading -----------------------------------------------------------------------
    def _snap(self) -> Snapshot:
        if self.snapshot is None:
            if self._ended:
                raise RuntimeError("transaction used after it ended")
            self.snapshot = self.db.persistence.snapshot()
            self.begin_ts = self.snapshot.ts
            if self._read_at is not None and self.snapshot.ts != self._read_at:
                self.moved = True
        if self.moved:
            raise SnapshotMoved
        return self.snapshot

    def open(self) -> Snapshot:
        """Open the snapshot now (at the latest commit) rather than at the first read."""
        return self._snap()

    def table(self, name: str) -> TableInfo:
        try:
            return self.db.catalog.table(name)
        except UnknownTableError:
            # why: with other writers, a table may be newer than this process's catalog
            if not self.db.refresh_catalog_if_shared():
                raise
            return self.db.catalog.table(name)

    def _count_read(self, n: int = 1) -> None:
        self.rows_read += n
        if self.rows_read > MAX_ROWS_READ:
            raise LimitError(
                f"Too many documents read in one transaction (limit {MAX_ROWS_READ}); "
                "use an index range or paginate"
            )

    def table_of_id(self, doc_id: Any, expected: str | None = None) -> TableInfo:
        """The table a document ID belongs to; InvalidIdError if it is not one of its IDs."""
        number = decode_id(doc_id)
        table = self.db.catalog.table_by_number(number)
        if table is None and self.db.refresh_catalog_if_shared():
            table = self.db.catalog.table_by_number(number)
        if table is None:
            raise InvalidIdError(f"Invalid ID {doc_id!r}: no such table")
        if expected is not None and table.name != expected:
            raise InvalidIdError(
                f"ID {doc_id!r} is an ID of table {table.name!r}, not {expected!r}"
            )
        if expected is None and table.name.startswith("_"):
            raise InvalidIdError("System tables can only be accessed with db.system.")  # Convex's
        return table

    def get(self, doc_id: str, table: str | None = None) -> dict[str, Any] | None:
        """A document by ID, or None; records a point read."""
        info = self.table_of_id(doc_id, table)
        key = id_key(doc_id)
        self.read_set.add_point(info.by_id.id, key)
        return self._load(info, key)

    def _load(self, table: TableInfo, key: bytes) -> dict[str, Any] | None:
        pending = self.writes.get((table.number, key))
        if pending is not None:
            return None if pending.new is None else _copy(pending.new)
        found = None
        if self.optimistic and self.snapshot is None and self._read_at is None:
            found = self.db.persistence.read_latest(table.number, key)
        if found is not None:
            self._read_at, text = found
            self.begin_ts = self._read_at
        else:
            text = self._snap().get(table.number, key)
        self._count_read()
        return None if text is None else values.loads(text)

    @overload
    def scan(
        self,
        table: TableInfo,
        index: IndexInfo,
        start: bytes,
        end: bytes | None,
        reverse: bool = False,
        sized: Literal[False] = False,
    ) -> Generator[tuple[bytes, dict[str, Any]], None, None]: ...

    @overload
    def scan(
        self,
        table: TableInfo,
        index: IndexInfo,
        start: bytes,
        end: bytes | None,
        reverse: bool,
        sized: Literal[True],
    ) -> Generator[tuple[bytes, dict[str, Any], int], None, None]: ...

    def scan(
        self,
        table: TableInfo,
        index: IndexInfo,
        start: bytes,
        end: bytes | None,
        reverse: bool = False,
        sized: bool = False,
    ) -> Generator[tuple[Any, ...], None, None]:
        """Documents with ``start <= key < end`` in an index, merged with pending writes;
        ``sized``: each with its size in bytes (its JSON text's, as stored).

        The read set grows as the iterator advances: it covers exactly the keys handed out
        (and, once exhausted, the whole range), so stopping early leaves the rest unread.
        """
        index_id = index.id
        scanned_to: bytes | None = None
        try:
            for key, doc, text in self._merged_rows(table, index, start, end, reverse):
                scanned_to = key
                yield (key, doc, _size(text)) if sized else (key, doc)
            scanned_to = None
            self.read_set.add(index_id, start, end)
        finally:
            if scanned_to is not None:
                if reverse:
                    self.read_set.add(index_id, scanned_to, end)
                else:
                    self.read_set.add(index_id, start, key_successor(scanned_to))

    def _merged_rows(
        self, table: TableInfo, index: IndexInfo, start: bytes, end: bytes | None, reverse: bool
    ) -> Iterator[tuple[bytes, dict[str, Any], str]]:
        overlay = self._overlay(table, index, start, end, reverse)
        hidden = {k for (n, k) in self.writes if n == table.number}
        stored = self._stored_rows(table, index, start, end, reverse, hidden)
        if not overlay:
            yield from stored
            return
        pos = 0
        for row in stored:
            while pos < len(overlay) and (
                overlay[pos][0] > row[0] if reverse else overlay[pos][0] < row[0]
            ):
                yield overlay[pos]
                pos += 1
            yield row
        yield from overlay[pos:]

    def _overlay(
        self, table: TableInfo, index: IndexInfo, start: bytes, end: bytes | None, reverse: bool
    ) -> list[tuple[bytes, dict[str, Any], str]]:
        rows = []
        for (number, _), pending in self.writes.items():
            if number == table.number and pending.new is not None:
                key = index.key_of(pending.new)
                if key >= start and (end is None or key < end):
                    rows.append((key, _copy(pending.new), pending.text or ""))
        rows.sort(key=lambda row: row[0], reverse=reverse)
        return rows

    def _stored_rows(
        self,
        table: TableInfo,
        index: IndexInfo,
        start: bytes,
        end: bytes | None,
        reverse: bool,
        hidden: set[bytes],
    ) -> Iterator[tuple[bytes, dict[str, Any], str]]:
        index_id = None if index.is_by_id else index.id
        lo, hi = start, end
        page = _FIRST_PAGE
        while True:
            rows = self._snap().scan(table.number, index_id, lo, hi, reverse, page)
            for key, text in rows:
                self._count_read()
                doc = values.loads(text)
                if hidden and id_key(doc["_id"]) in hidden:
                    continue
                yield key, doc, text
            if len(rows) < page:
                return
            last = rows[-1][0]
            if reverse:
                hi = last
            else:
                lo = key_successor(last)
            page = min(page * 4, _MAX_PAGE)

    def search(
        self, table: TableInfo, index: SearchIndexInfo, query: SearchQuery
    ) -> Generator[tuple[bytes, dict[str, Any], int], None, None]:
        """The documents matching a search query, best first, merged with pending writes,
        each with its sort key (``engine.search.sort_key``) and its size in bytes.

        The read set holds the query's terms (the prefix as a range) in the search index, so a
        commit that adds, changes or removes a document holding one of them invalidates it,
        and a point read of each document handed out, whose other fields it may show.
        """
        if not query.terms:
            return
        for term in query.terms:
            self.read_set.add_point(index.id, term)
        self.read_set.add(index.id, query.terms[-1], prefix_end(query.terms[-1]))
        mine = {key: p for (n, key), p in self.writes.items() if n == table.number}
        asked = replace(query, limit=query.limit + len(mine))
        hits, weights = self._snap().search(table.number, index.id, asked)
        found: list[tuple[int, bytes, str | None]] = [
            (hit.score, hit.doc, hit.text) for hit in hits if hit.doc not in mine
        ]
        pending: dict[bytes, PendingWrite] = {}
        for key, write in mine.items():
            if write.new is None:
                continue
            entry = entry_of(index, write.new, key)
            if not all(f in entry.terms for f in query.filters):
                continue
            for term in entry.text_terms():
                if term not in weights.idf and (
                    term in query.terms or term.startswith(query.terms[-1])
                ):
                    weights.idf[term] = idf(weights.documents + 1, 1)
            if any(term in entry.terms for term in weights.idf):
                found.append((weights.score(entry), key, None))
                pending[key] = write
        found.sort(key=lambda hit: (-hit[0], hit[1]))
        for score, key, text in found[: query.limit]:
            self._count_read()
            self.read_set.add_point(table.by_id.id, key)
            if text is None:
                write = pending[key]
                assert write.new is not None
                doc, text = _copy(write.new), write.text or ""
            else:
                doc = values.loads(text)
            yield sort_key(score, key), doc, _size(text)

    def journal_end_cursor(self) -> str | None:
        """The end cursor a re-run of a paginated query must keep, from its journal."""
        if not self.journal_in:
            return None
        try:
            end = json.loads(self.journal_in).get("end")
        except (ValueError, AttributeError):
            return None
        return end if isinstance(end, str) else None

    def record_page(self, result: dict[str, Any]) -> dict[str, Any]:
        """Note a page's end in the journal; Convex allows one paginated read per query."""
        if self._paginated:
            raise ValidationError(
                "This query or mutation function ran multiple paginated queries. Convex only "
                "supports a single paginated query in each function."
            )
        self._paginated = True
        self.journal_out = json.dumps({"end": result["continueCursor"]})
        return result

    def first_by_index(
        self, table_name: str, index_name: str, *values: Any
    ) -> dict[str, Any] | None:
        """The first document whose index fields equal ``values`` (livebase's own lookups)."""
        table = self.table(table_name)
        index = table.indexes[index_name]
        bounds = IndexRange(index)
        for field_name, value in zip(index.all_fields, values, strict=False):
            bounds.eq(field_name, value)
        interval = bounds.interval()
        assert interval is not None
        rows = self.scan(table, index, *interval)
        try:
            for _, doc in rows:
                return doc
        finally:
            rows.close()
        return None

    # --- writing -----------------------------------------------------------------------
    def _check_writable(self, what: str) -> None:
        if not self.writable:
            raise ReadOnlyError(f"ctx.db.{what} is not allowed in a query; use a mutation")

    def _validate(self, table: TableInfo, doc: Any, what: str) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise ValidationError(
                f"{what} into table {table.name!r} takes an object, got {values.type_name(doc)}"
            )
        for name in doc:
            if isinstance(name, str) and name.startswith("_"):
                raise ValidationError(
                    f"Field {name!r} in table {table.name!r}: system fields are set by livebase "
                    "and other fields may not start with '_'"
                )
        try:
            checked = table.validator.check(doc) if table.validator is not None else doc
            return dict(values.normalize(checked))
        except ValidationError as exc:
            raise ValidationError(
                f"Document for table {table.name!r} does not match the schema: {exc.message}"
            ) from None

    def _stage(
        self, table: TableInfo, key: bytes, new: dict[str, Any] | None, fresh: bool = False
    ) -> None:
        slot = (table.number, key)
        pending = self.writes.get(slot)
        if pending is None:
            if len(self.writes) >= MAX_WRITES:
                raise LimitError(
                    f"Too many documents written in one transaction (limit {MAX_WRITES})"
                )
            text = None if fresh else self._snap().get(table.number, key)
            original = None if text is None else values.loads(text)
            pending = PendingWrite(table, key, original, None, None)
            self.writes[slot] = pending
        pending.new = new
        pending.text = None
        if new is not None:
            pending.text = values.dumps(new)
            values.check_document_size(pending.text, table.name)

    def insert(self, table_name: str, value: Any) -> str:
        """Insert a document; returns its new ID."""
        self._check_writable("insert")
        table = self.db.table_for_write(table_name)
        doc = self._validate(table, value, "insert")
        doc_id = new_id(table.number)
        full = {"_id": doc_id, "_creationTime": self.db.next_creation_time(), **doc}
        self._stage(table, id_key(doc_id), full, fresh=True)
        return doc_id

    def _existing(
        self, doc_id: Any, table_name: str | None, what: str
    ) -> tuple[TableInfo, bytes, dict[str, Any]]:
        self._check_writable(what)
        table = self.table_of_id(doc_id, table_name)
        key = id_key(doc_id)
        self.read_set.add_point(table.by_id.id, key)
        current = self._load(table, key)
        if current is None:
            raise InvalidIdError(f"{what}: document {doc_id!r} does not exist")
        return table, key, current

    def patch(self, doc_id: str, fields: Any, table_name: str | None = None) -> None:
        """Shallow-merge ``fields`` into a document; ``undefined`` removes a field."""
        table, key, current = self._existing(doc_id, table_name, "patch")
        if not isinstance(fields, dict):
            raise ValidationError(
                f"patch takes an object of fields, got {values.type_name(fields)}"
            )
        merged = {k: v for k, v in current.items() if k not in SYSTEM_FIELDS}
        for name, value in fields.items():
            if name in SYSTEM_FIELDS:
                if value != current[name]:
                    raise ValidationError(f"patch cannot change the system field {name!r}")
                continue
            if value is undefined:
                merged.pop(name, None)
            else:
                merged[name] = value
        doc = self._validate(table, merged, "patch")
        self._stage(
            table, key, {"_id": current["_id"], "_creationTime": current["_creationTime"], **doc}
        )

    def replace(self, doc_id: str, value: Any, table_name: str | None = None) -> None:
        """Replace a document's fields entirely (system fields stay)."""
        table, key, current = self._existing(doc_id, table_name, "replace")
        if isinstance(value, dict):
            for name in SYSTEM_FIELDS:
                if name in value and value[name] != current[name]:
                    raise ValidationError(f"replace cannot change the system field {name!r}")
            value = {k: v for k, v in value.items() if k not in SYSTEM_FIELDS}
        doc = self._validate(table, value, "replace")
        self._stage(
            table, key, {"_id": current["_id"], "_creationTime": current["_creationTime"], **doc}
        )

    def delete(self, doc_id: str, table_name: str | None = None) -> None:
        """Delete a document."""
        table, key, _ = self._existing(doc_id, table_name, "delete")
        self._stage(table, key, None)

    # --- nested mutations --------------------------------------------------------------
    def savepoint(self) -> tuple[dict[tuple[int, bytes], PendingWrite], int]:
        """The writes as they stand, to go back to if a nested mutation fails."""
        return {slot: replace(p) for slot, p in self.writes.items()}, len(self.after_commit)

    def rollback_to(self, mark: tuple[dict[tuple[int, bytes], PendingWrite], int]) -> None:
        """Undo every write (and after-commit hook) since ``savepoint()``; reads stay in the
        read set: what the failed part read still decided what the rest did."""
        writes, hooks = mark
        self.writes = writes
        del self.after_commit[hooks:]

    # --- commit ------------------------------------------------------------------------
    def build_commit(self, ts: int) -> Commit:
        """The storage changes of this transaction's writes, with their write set: every key
        removed or added, per index (``by_id`` included)."""
        replaced: list[Version] = []
        commit = Commit(ts, replaced=replaced)
        write_set = commit.write_set
        for pending in self.writes.values():
            old, new, table = pending.original, pending.new, pending.table
            if old is None and new is None:
                continue
            commit.documents.append((table.number, pending.key, pending.text))
            replaced.append((table.number, pending.key, old))
            write_set.setdefault(table.by_id.id, []).append(pending.key)
            old_tail = None if old is None else document_suffix(old)
            new_tail = None if new is None else document_suffix(new)
            for index in table.secondary_indexes():
                old_key = None if old is None else index.key_of(old, old_tail)
                new_key = None if new is None else index.key_of(new, new_tail)
                touched = write_set.setdefault(index.id, [])
                if old_key is not None:
                    touched.append(old_key)
                    if old_key != new_key:
                        commit.index_removes.append((index.id, old_key))
                if new_key is not None and new_key != old_key:
                    commit.index_adds.append((index.id, new_key, pending.key))
                    touched.append(new_key)
            for search in table.search_indexes.values():
                old_entry = None if old is None else entry_of(search, old, pending.key)
                new_entry = None if new is None else entry_of(search, new, pending.key)
                if old_entry == new_entry:
                    continue
                terms = write_set.setdefault(search.id, [])
                if old_entry is not None:
                    commit.search_removes.append(old_entry)
                    terms += old_entry.text_terms()
                if new_entry is not None:
                    commit.search_adds.append(new_entry)
                    terms += new_entry.text_terms()
            for vector in table.vector_indexes.values():
                old_vector = None if old is None else vector_entry(vector, old, pending.key)
                new_vector = None if new is None else vector_entry(vector, new, pending.key)
                if old_vector == new_vector:
                    continue
                write_set.setdefault(vector.id, []).append(pending.key)
                if new_vector is None:
                    commit.vector_removes.append((vector.id, pending.key))
                else:
                    commit.vector_adds.append(new_vector)
        return commit

    def close(self) -> None:
        """End the transaction and release its snapshot (commit needs only the writes)."""
        self._ended = True
        snap, self.snapshot = self.snapshot, None
        if snap is not None:
            snap.close()


def _size(text: str) -> int:
    """A document's size in bytes: its JSON text's."""
    return len(text.encode("utf-8"))


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep(v) for k, v in doc.items()}


def _deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v) for v in value]
    return value
