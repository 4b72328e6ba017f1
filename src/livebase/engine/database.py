"""The database: begins transactions, commits them through its committer, owns the catalog.

Commits go through a ``Committer`` (committer.py: it assigns strictly increasing timestamps in
nanoseconds and checks each transaction's read set against every commit since its snapshot)
and reach the ``CommitFeed`` (commit_feed.py: the write log for OCC and live queries, and the
commit listeners), which also catches up on commits other processes made.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

from livebase.engine import progress, values, wallclock
from livebase.engine.catalog import (
    Catalog,
    IndexInfo,
    SearchIndexInfo,
    TableInfo,
    VectorIndexInfo,
    id_key,
)
from livebase.engine.commit_feed import CommitFeed, CommitListener
from livebase.engine.committer import Committer, LocalCommitter, SharedCommitter
from livebase.engine.errors import (
    IndexRangeError,
    SchemaError,
    UnknownTableError,
    ValidationError,
)
from livebase.engine.history import HistoryUnavailable
from livebase.engine.readset import WriteLog
from livebase.engine.schema import SchemaDefinition
from livebase.engine.search import entry_of
from livebase.engine.store import Commit, Persistence
from livebase.engine.transaction import PendingWrite, Transaction
from livebase.engine.vectors import VectorCaches, make_query
from livebase.engine.vectors import entry_of as vector_entry

log = logging.getLogger("livebase.database")

__all__ = ["CommitListener", "Database"]

_BACKFILL_BATCH = 2000
AnyIndex = IndexInfo | SearchIndexInfo | VectorIndexInfo
# The write set of a commit that changed the catalog names this index id (no index has it), so
# that other processes following the commit log know to read the catalog again.
CATALOG_INDEX = 0
_CATALOG_WRITES = {CATALOG_INDEX: [b"catalog"]}


def default_committer(persistence: Persistence, feed: CommitFeed) -> Committer:
    """One lock in this process, or the storage's lock when other processes write to it."""
    if persistence.multi_writer:
        return SharedCommitter(persistence, feed)
    return LocalCommitter(persistence, feed)


def _schema_hash(schema: SchemaDefinition) -> str:
    return hashlib.sha256(json.dumps(schema.export(), sort_keys=True).encode()).hexdigest()


class Database:
    """Transactions over a persistence, with serializable commits."""

    def __init__(
        self,
        persistence: Persistence,
        schema: SchemaDefinition | None = None,
        *,
        committer: Callable[[Persistence, CommitFeed], Committer] = default_committer,
    ) -> None:
        self.persistence = persistence
        self._last_creation = 0.0
        self._creation_lock = threading.Lock()
        snap = persistence.snapshot()
        try:
            start_ts = snap.ts
            self.catalog = Catalog.from_json(snap.meta("catalog"))
            self._schema_hash = snap.meta("schemaHash")
        finally:
            snap.close()
        self._catalog_lock = threading.RLock()
        self.feed = CommitFeed(start_ts)
        self.feed.foreign_hook = self._foreign_commit
        # why: commits skipped over (the log was pruned past them) may have changed it
        self.feed.gap_hook = self.refresh_catalog
        self.committer = committer(persistence, self.feed)
        self.vectors = VectorCaches()
        if schema is not None:
            self._apply_schema(schema)

    @property
    def latest_ts(self) -> int:
        """The newest commit this process knows of (its own, or caught up from others)."""
        return self.feed.ts

    @property
    def write_log(self) -> WriteLog:
        """Recent commits' write sets, for OCC checks and live-query invalidation."""
        return self.feed.write_log

    # --- transactions ------------------------------------------------------------------
    def begin(self, writable: bool) -> Transaction:
        """A transaction at the latest committed snapshot."""
        return Transaction(self, writable)

    def begin_at(self, ts: int) -> Transaction:
        """A read-only transaction that reads as of commit ``ts``, earlier than the latest:
        the latest snapshot with the versions the commits since replaced laid over it
        (``engine.history``). HistoryUnavailable when this process's history does not reach
        back to ``ts`` (too old, or another process committed since)."""
        for attempt in range(4):
            if attempt == 2:
                self.catch_up()  # why: the snapshot may hold another process's commit
            txn = Transaction(self, writable=False)
            snap = txn.open()
            versions = self.feed.history.versions_at(ts, snap.ts)
            if versions is not None:
                break
            txn.close()
            if ts < self.feed.history.floor:
                raise HistoryUnavailable(ts)
            # why: a commit of this process is durable but not yet published; it is soon
            time.sleep(0.001)
        else:
            raise HistoryUnavailable(ts)
        for (number, key), doc in versions.items():
            table = self.catalog.table_by_number(number)
            if table is None:
                txn.close()
                raise HistoryUnavailable(ts)
            txn.writes[(number, key)] = PendingWrite(table, key, None, doc, None)
        txn.begin_ts = ts
        return txn

    def commit(self, txn: Transaction) -> int:
        """Commit a transaction's writes; returns the commit timestamp.

        Raises OccConflictError, changing nothing, when a commit since the transaction's
        snapshot wrote something it read.
        """
        if not txn.writes:
            return txn.begin_ts

        def build(ts: int) -> Commit | None:
            commit = txn.build_commit(ts)
            return commit if commit.documents else None

        commit = self.committer.commit(build, txn.read_set, txn.begin_ts)
        return txn.begin_ts if commit is None else commit.ts

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the committer: no other commit lands until the block ends.

        The runtime runs a mutation here after repeated conflicts, so that a hot document
        cannot starve it.
        """
        return self.committer.exclusive()

    def priority(self, until: float) -> AbstractContextManager[None]:
        """Let this thread's commits go before this process's other threads' while the block
        runs, until the monotonic time ``until`` at most. Unlike ``exclusive()`` it holds no
        lock meanwhile: the runtime runs a starved mutation's next try here."""
        return self.committer.priority(until)

    def wait_for_priority(self, until: float) -> None:
        """Wait while another thread holds ``priority()``, until ``until`` at most; not at
        all inside ``exclusive()``, which keeps every other commit out already (and whose
        lock the holder may be waiting for)."""
        if not self.committer.in_exclusive():
            self.committer.gate.wait_turn(until)

    def catch_up(self) -> int:
        """Publish the commits other processes made to this storage since the latest one this
        process knows (from the commit log); returns how many there were."""
        return self.feed.catch_up(self.persistence)

    def _foreign_commit(self, ts: int, write_set: Mapping[int, Any]) -> None:
        """Another process committed: read the catalog again when it changed it."""
        if CATALOG_INDEX in write_set:
            self.refresh_catalog()

    def refresh_catalog(self) -> None:
        """Take in the stored catalog (tables and indexes other processes made)."""
        with self._catalog_lock:
            snap = self.persistence.snapshot()
            try:
                self.catalog.refresh(snap.meta("catalog"))
                self._schema_hash = snap.meta("schemaHash")
            finally:
                snap.close()

    def refresh_catalog_if_shared(self) -> bool:
        """``refresh_catalog`` when other processes write to this storage; whether it did."""
        if not self.persistence.multi_writer:
            return False
        self.refresh_catalog()
        return True

    def add_commit_listener(self, listener: CommitListener) -> None:
        """Call ``listener(ts, write_set)`` for every commit from now on, in timestamp order:
        this process's (catalog changes included) and, once caught up, other processes'."""
        self.feed.add_listener(listener)

    def remove_commit_listener(self, listener: CommitListener) -> None:
        self.feed.remove_listener(listener)

    def next_creation_time(self) -> float:
        """A strictly increasing ``_creationTime`` in milliseconds."""
        with self._creation_lock:
            now = wallclock.real_time_ns() / 1e6
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
            from livebase.engine.schema import _NAME

            if not _NAME.match(name):
                raise
        # why: the catalog lock keeps a follower's refresh out while this changes it
        with self.exclusive(), self._catalog_lock:
            self.refresh_catalog_if_shared()
            if name not in self.catalog.tables:
                self.catalog.add_table(name)
                self._commit_catalog()
        return self.catalog.table(name)

    def ensure_system_table(self, name: str, indexes: Mapping[str, tuple[str, ...]]) -> TableInfo:
        """Create a system table (``_storage``, ...) and its indexes if missing."""
        # why: the catalog lock keeps a follower's refresh out while this changes it
        with self.exclusive(), self._catalog_lock:
            self.refresh_catalog_if_shared()
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
        """Store the catalog (with ``commit``'s other changes); the caller holds exclusive()."""
        pending = commit or Commit(0)

        def build(ts: int) -> Commit:
            pending.ts = ts
            pending.meta["catalog"] = self.catalog.to_json()
            pending.write_set = {**pending.write_set, **_CATALOG_WRITES}
            return pending

        self.committer.commit(build)

    def change_schema(self, schema: SchemaDefinition) -> None:
        """Switch a running database to a new schema (``livebase dev`` reloading an app).

        Refused with SchemaError, changing nothing, when a stored document does not match it;
        no commit lands between that check and the switch."""
        with self.exclusive(), self._catalog_lock:
            self.refresh_catalog_if_shared()
            if _schema_hash(schema) != self._schema_hash:
                self._check_documents(schema)
            self._apply_schema(schema, checked=True)

    def _apply_schema(self, schema: SchemaDefinition, checked: bool = False) -> None:
        schema_hash = _schema_hash(schema)
        # why: the catalog lock keeps a follower's refresh out while this changes it
        with self.exclusive(), self._catalog_lock:
            self.refresh_catalog_if_shared()
            before = self.catalog.to_json()
            backfill, dropped = self.catalog.apply_schema(schema)
            if schema_hash != self._schema_hash and not checked:
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

    def _tables_of(self, index: AnyIndex) -> TableInfo:
        return next(
            t
            for t in self.catalog.tables.values()
            if index in t.indexes.values()
            or index in t.search_indexes.values()
            or index in t.vector_indexes.values()
        )

    def _backfill(self, index: AnyIndex) -> None:
        """Write entries of a new index for every existing document, in batches."""
        table = self._tables_of(index)
        count = 0
        with progress.task(f"backfilling index {table.name}.{index.name}") as work:
            for batch in self._all_documents(table, _BACKFILL_BATCH):
                self._backfill_batch(index, batch)
                count += len(batch)
                work.advance(len(batch))
        if count:
            log.info("backfilled index %s.%s over %d documents", table.name, index.name, count)

    def _backfill_batch(self, index: AnyIndex, batch: list[dict[str, Any]]) -> None:
        build: Callable[[int], Commit]
        if isinstance(index, VectorIndexInfo):
            found = [vector_entry(index, doc, id_key(doc["_id"])) for doc in batch]
            vectors = [entry for entry in found if entry is not None]
            write = {index.id: [entry.doc for entry in vectors]}
            build = partial(Commit, vector_adds=vectors, write_set=write)
        elif isinstance(index, SearchIndexInfo):
            entries = [entry_of(index, doc, id_key(doc["_id"])) for doc in batch]
            terms = {term for entry in entries for term in entry.text_terms()}
            build = partial(Commit, search_adds=entries, write_set={index.id: sorted(terms)})
        else:
            adds = [(index.id, index.key_of(doc), id_key(doc["_id"])) for doc in batch]
            write_set = {index.id: [add[1] for add in adds]}
            build = partial(Commit, index_adds=adds, write_set=write_set)
        self.committer.commit(build)

    def vector_search(self, table_name: str, index_name: str, request: Any) -> list[dict[str, Any]]:
        """The documents nearest a vector: ``request`` is ``{"vector", "limit", "filter"}`` as
        Convex's ``vectorSearch`` takes it; ``[{"_id", "_score"}]`` best first, exact, as of
        the latest commit (engine/vectors.py)."""
        table = self.catalog.table(table_name)
        index = table.vector_indexes.get(index_name)
        if index is None:
            table.refuse_staged(index_name)
            known = ", ".join(sorted(table.vector_indexes)) or "none"
            raise IndexRangeError(
                f"Vector index {index_name!r} not found on table {table.name!r} "
                f"(vector indexes: {known})"
            )
        return self.vectors.get(index).search(self.persistence, make_query(index, request))

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
            table = self.catalog.tables.get(name)
            if table is None:  # a new table: nothing stored yet
                continue
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
