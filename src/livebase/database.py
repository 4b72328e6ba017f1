"""The database: begins transactions, checks and commits them, keeps the write log.

One logical committer: a commit takes ``commit_lock``, checks the transaction's read set against
every commit since its snapshot (OCC), assigns a strictly increasing timestamp in nanoseconds,
writes through persistence, then appends its write set to the write log and tells listeners.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from livebase import clock, values
from livebase.catalog import Catalog, IndexInfo, TableInfo, id_key
from livebase.errors import OccConflictError, SchemaError, UnknownTableError, ValidationError
from livebase.persistence.base import Commit, Persistence
from livebase.readset import WriteLog, WriteSet
from livebase.schema import SchemaDefinition
from livebase.transaction import Transaction

log = logging.getLogger("livebase.database")

CommitListener = Callable[[int, WriteSet], None]
_BACKFILL_BATCH = 2000


class Database:
    """Transactions over a persistence, with serializable commits."""

    def __init__(self, persistence: Persistence, schema: SchemaDefinition | None = None) -> None:
        self.persistence = persistence
        self.commit_lock = threading.RLock()
        self._listeners: list[CommitListener] = []
        self._last_creation = 0.0
        self._creation_lock = threading.Lock()
        snap = persistence.snapshot()
        try:
            self.latest_ts = snap.ts
            self.catalog = Catalog.from_json(snap.meta("catalog"))
            self._schema_hash = snap.meta("schemaHash")
        finally:
            snap.close()
        self.write_log = WriteLog(self.latest_ts)
        if schema is not None:
            self._apply_schema(schema)

    # --- transactions ------------------------------------------------------------------
    def begin(self, writable: bool) -> Transaction:
        """A transaction at the latest committed snapshot."""
        return Transaction(self, writable)

    def commit(self, txn: Transaction) -> int:
        """Commit a transaction's writes; returns the commit timestamp.

        Raises OccConflictError, changing nothing, when a commit since the transaction's
        snapshot wrote something it read.
        """
        with self.commit_lock:
            if not txn.writes:
                return txn.begin_ts
            if self.write_log.conflicts(txn.read_set, txn.begin_ts):
                raise OccConflictError("Documents read by this mutation changed; retrying")
            ts = self._next_ts()
            commit, write_set = txn.build_commit(ts)
            if not commit.documents:
                return txn.begin_ts
            self._write(commit, write_set)
        self._notify(ts, write_set)
        return ts

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the committer: no other commit lands until the block ends.

        The runtime runs a mutation here after repeated conflicts, so that a hot document
        cannot starve it.
        """
        with self.commit_lock:
            yield

    def _next_ts(self) -> int:
        return max(self.latest_ts + 1, clock.real_time_ns())

    def _write(self, commit: Commit, write_set: WriteSet) -> None:
        self.persistence.commit(commit)
        self.write_log.append(commit.ts, write_set)
        self.latest_ts = commit.ts

    def _notify(self, ts: int, write_set: WriteSet) -> None:
        for listener in list(self._listeners):
            try:
                listener(ts, write_set)
            except Exception:
                log.exception("commit listener failed")

    def add_commit_listener(self, listener: CommitListener) -> None:
        """Call ``listener(ts, write_set)`` after every commit."""
        self._listeners.append(listener)

    def remove_commit_listener(self, listener: CommitListener) -> None:
        self._listeners.remove(listener)

    def next_creation_time(self) -> float:
        """A strictly increasing ``_creationTime`` in milliseconds."""
        with self._creation_lock:
            now = clock.real_time_ns() / 1e6
            value = max(now, math.nextafter(self._last_creation, math.inf))
            self._last_creation = value
            return value

    # --- catalog -----------------------------------------------------------------------
    def table_for_write(self, name: str) -> TableInfo:
        """The table to write into; without a schema a new table is created on first insert."""
        try:
            return self.catalog.table(name)
        except UnknownTableError:
            if self.catalog.strict or not isinstance(name, str) or name.startswith("_"):
                raise
            from livebase.schema import _NAME

            if not _NAME.match(name):
                raise
        with self.commit_lock:
            if name not in self.catalog.tables:
                self.catalog.add_table(name)
                self._commit_catalog()
        return self.catalog.table(name)

    def ensure_system_table(self, name: str, indexes: Mapping[str, tuple[str, ...]]) -> TableInfo:
        """Create a system table (``_storage``, ...) and its indexes if missing."""
        with self.commit_lock:
            info = self.catalog.tables.get(name)
            missing = (
                list(indexes) if info is None else [n for n in indexes if n not in info.indexes]
            )
            if info is not None and not missing:
                return info
            info = info or self.catalog.add_table(name)
            for index_name in missing:
                self.catalog._add_index(info, index_name, indexes[index_name])
            self._commit_catalog()
        return info

    def _commit_catalog(self, commit: Commit | None = None) -> None:
        ts = self._next_ts()
        commit = commit or Commit(ts)
        commit.ts = ts
        commit.meta["catalog"] = self.catalog.to_json()
        self._write(commit, {})

    def _apply_schema(self, schema: SchemaDefinition) -> None:
        schema_hash = hashlib.sha256(
            json.dumps(schema.export(), sort_keys=True).encode()
        ).hexdigest()
        with self.commit_lock:
            before = self.catalog.to_json()
            backfill, dropped = self.catalog.apply_schema(schema)
            if schema_hash != self._schema_hash:
                # why: checking every stored document is linear in the data; it is needed only
                # when the schema changed since the last start.
                self._check_documents(schema)
            if self.catalog.to_json() != before or dropped or schema_hash != self._schema_hash:
                self._commit_catalog(
                    Commit(0, meta={"schemaHash": schema_hash}, dropped_indexes=dropped)
                )
                self._schema_hash = schema_hash
            for index in backfill:
                self._backfill(index)

    def _tables_of(self, index: IndexInfo) -> TableInfo:
        return next(t for t in self.catalog.tables.values() if index in t.indexes.values())

    def _backfill(self, index: IndexInfo) -> None:
        """Write entries of a new index for every existing document, in batches."""
        table = self._tables_of(index)
        count = 0
        for batch in self._all_documents(table, _BACKFILL_BATCH):
            commit = Commit(self._next_ts())
            commit.index_adds = [(index.id, index.key_of(doc), id_key(doc["_id"])) for doc in batch]
            self._write(commit, {index.id: [add[1] for add in commit.index_adds]})
            count += len(batch)
        if count:
            log.info("backfilled index %s.%s over %d documents", table.name, index.name, count)

    def _all_documents(self, table: TableInfo, batch: int) -> Iterator[list[dict[str, Any]]]:
        start = b""
        while True:
            snap = self.persistence.snapshot()
            try:
                rows = snap.scan(table.number, None, start, None, False, batch)
            finally:
                snap.close()
            if rows:
                yield [values.loads(text) for _, text in rows]
            if len(rows) < batch:
                return
            start = rows[-1][0] + b"\x00"

    def _check_documents(self, schema: SchemaDefinition) -> None:
        """Refuse to start when stored documents do not match the schema."""
        for name, definition in schema.tables.items():
            if definition.document is None or not schema.schema_validation:
                continue
            table = self.catalog.tables[name]
            for batch in self._all_documents(table, _BACKFILL_BATCH):
                for doc in batch:
                    fields = {k: v for k, v in doc.items() if not k.startswith("_")}
                    try:
                        definition.document.check(fields)
                    except ValidationError as exc:
                        raise SchemaError(
                            f"Document {doc['_id']} in table {name!r} does not match the new "
                            f"schema: {exc.message}"
                        ) from None

    def close(self) -> None:
        self.persistence.close()
