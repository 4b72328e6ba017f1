"""The persistence interface.

Storage holds the current version of every document (``documents``: table number and ID key to
JSON text), the entries of every index but ``by_id`` (``indexes``: index id and key to the
document's ID key), search and vector indexes' entries (``engine.search``,
``engine.vectors``), a few named metadata values (the catalog, the schema's hash), and the
commit log: each commit's timestamp and write set, written in the same transaction as the
documents, so that a process can learn what another process committed (``commits_after``).
Snapshots are consistent read views at the latest commit's timestamp; ``commit`` applies one
transaction atomically, and only above the latest timestamp.

Every implementation passes the conformance suite in ``tests/persistence``.
"""

from __future__ import annotations

import struct
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from livebase.engine.history import Version
from livebase.engine.readset import WriteSet
from livebase.engine.search import SearchEntry, SearchHit, SearchQuery, Weights
from livebase.engine.vectors import VectorEntry

# A scan yields (index key, document JSON text) in key order.
Row = tuple[bytes, str]

# How many commits the commit log keeps (the newest ones), like the in-memory write log: a
# process further behind than that re-runs its live queries instead of replaying the log.
COMMIT_LOG_RETENTION = 20_000


@dataclass
class Commit:
    """Everything one transaction writes, applied atomically by ``Persistence.commit``."""

    ts: int
    # (table number, id key, JSON text or None to delete)
    documents: list[tuple[int, bytes, str | None]] = field(default_factory=list)
    # (index id, key) entries to remove, then (index id, key, id key) entries to add
    index_removes: list[tuple[int, bytes]] = field(default_factory=list)
    index_adds: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    # metadata values to set (JSON-serializable)
    meta: dict[str, Any] = field(default_factory=dict)
    # index ids whose entries are dropped whole (an index removed from the schema); search
    # indexes' entries too
    dropped_indexes: list[int] = field(default_factory=list)
    # search index entries to remove (the documents' previous entries), then to add
    search_removes: list[SearchEntry] = field(default_factory=list)
    search_adds: list[SearchEntry] = field(default_factory=list)
    # vector index entries to remove (index id, ID key), then to add or replace
    vector_removes: list[tuple[int, bytes]] = field(default_factory=list)
    vector_adds: list[VectorEntry] = field(default_factory=list)
    # the index keys this commit removed or added, per index id (by_id included): what OCC
    # checks and live queries are invalidated by; stored in the commit log
    write_set: WriteSet = field(default_factory=dict)
    # the versions of the documents it changed before it (``engine.history``), when built
    # from a transaction; kept in this process's memory only, never stored
    replaced: list[Version] | None = None


class LoggedCommit(NamedTuple):
    """One entry of the commit log: a commit's timestamp and its write set."""

    ts: int
    write_set: WriteSet


class CommitLogPruned(LookupError):
    """The commits asked for are older than the commit log keeps.

    ``floor`` is the timestamp after which every commit is still logged; a reader that was
    behind it cannot know what changed in between and must start over from the floor (re-run
    its live queries, fail its OCC checks).
    """

    def __init__(self, floor: int) -> None:
        super().__init__(f"the commit log keeps only commits after ts {floor}")
        self.floor = floor


class CommitOutcomeUnknown(RuntimeError):
    """The connection to storage broke while a commit was on its way, and whether it landed
    could not be learned: its caller must not take it for failed and simply run it again."""


class StaleCommitError(RuntimeError):
    """A commit's timestamp is not above the latest one: a committer broke timestamp order.
    Nothing was written."""


def check_increasing(commits: list[Commit], above: int) -> None:
    """StaleCommitError unless the commits' timestamps increase, the first above ``above``."""
    for commit in commits:
        if commit.ts <= above:
            raise StaleCommitError(f"commit ts {commit.ts} is not above {above}")
        above = commit.ts


class Snapshot(ABC):
    """A consistent read view of storage as of commit timestamp ``ts``."""

    ts: int

    @abstractmethod
    def get(self, table: int, id_key: bytes) -> str | None:
        """The JSON text of one document, or None."""

    @abstractmethod
    def scan(
        self,
        table: int,
        index: int | None,
        start: bytes,
        end: bytes | None,
        reverse: bool,
        limit: int,
    ) -> list[Row]:
        """Up to ``limit`` rows with ``start <= key < end`` in key order (descending if
        ``reverse``). ``index=None`` scans the table's documents by ID key (``by_id``); an
        index entry whose document is missing is skipped."""

    @abstractmethod
    def search(self, table: int, index: int, query: SearchQuery) -> tuple[list[SearchHit], Weights]:
        """The documents of a table whose entries in a search index match ``query``: up to
        ``query.limit``, by BM25 score (``engine.search``) then ID key, with the weights
        they were scored by. Every implementation returns the same hits for the same data."""

    @abstractmethod
    def vectors(self, index: int, docs: list[bytes] | None) -> list[VectorEntry]:
        """The entries of a vector index: all of them (``docs`` None), or those of the
        documents with these ID keys (missing ones left out)."""

    @abstractmethod
    def meta(self, name: str) -> Any:
        """A metadata value as of this snapshot, or None."""

    @abstractmethod
    def close(self) -> None:
        """Release the view; it must not be used afterwards."""


class Persistence(ABC):
    """A storage engine: snapshots to read, commits to write, the commit log to follow."""

    # Whether other processes may commit to the same storage. Then the database commits
    # through a committer that serializes through storage (``write_lock``) and follows the
    # commit log (``wait_for_commits``); otherwise through one lock in this process.
    multi_writer: bool = False
    # Whether the storage lives on this machine, beside the data directory (SQLite, memory);
    # otherwise (PostgreSQL) what must be the same for every process (secrets) lives in it.
    on_this_machine: bool = True
    # Whether ``commit_serialized`` writes the commits ``prepare`` returns all or none (one
    # transaction); only then does a committer give it more than one at a time.
    atomic_groups: bool = False

    def write_lock(self) -> AbstractContextManager[None]:
        """Keep every other process's commits out while the block runs; re-entrant for the
        thread holding it. A single-writer persistence needs none."""
        return nullcontext()

    def commit_serialized(
        self, since: int, prepare: Callable[[list[LoggedCommit], int], list[Commit]]
    ) -> list[Commit]:
        """Under the write lock: list the commits after ``since`` (other processes'), call
        ``prepare(entries, latest_ts)`` and write the commits it returns (timestamps
        increasing; none: nothing). Returns them.

        Raises CommitLogPruned, before calling ``prepare``, when commits after ``since`` are
        no longer logged. A multi-writer implementation writes the commits in one database
        transaction, all or none; this default, for single-writer storage, one by one.
        """
        with self.write_lock():
            entries = self.commits_since(since)
            commits = prepare(entries, entries[-1].ts if entries else since)
            for commit in commits:
                self.commit(commit)
            return commits

    def commits_since(self, since: int, batch: int = 10_000) -> list[LoggedCommit]:
        """Every logged commit after ``since``, oldest first, read ``batch`` at a time;
        CommitLogPruned as ``commits_after``."""
        entries: list[LoggedCommit] = []
        while True:
            found = self.commits_after(entries[-1].ts if entries else since, batch)
            entries += found
            if len(found) < batch:
                return entries

    def wait_for_commits(self, timeout: float) -> None:
        """Return soon after another process commits, or after ``timeout`` seconds."""
        time.sleep(timeout)

    @abstractmethod
    def snapshot(self) -> Snapshot:
        """A read view at the latest commit."""

    def read_latest(self, table: int, id_key: bytes) -> tuple[int, str | None] | None:
        """One document's JSON text (or None) and the latest commit timestamp, read together
        as one consistent view without holding a snapshot; None when this storage cannot do
        that more cheaply than ``snapshot()``. A query whose first read is a ``get`` uses it,
        and checks that a snapshot it opens later is at the same timestamp."""
        return None

    @abstractmethod
    def commit(self, commit: Commit) -> None:
        """Apply a commit atomically and durably (per the configured durability), with its
        commit-log entry.

        ``commit.ts`` must be above every stored commit's; the committer guarantees it
        (committer.py), and a persistence raises StaleCommitError, writing nothing, when it
        is not above the newest commit that persistence object wrote or found when it opened.
        """

    @abstractmethod
    def commits_after(self, ts: int, limit: int) -> list[LoggedCommit]:
        """Up to ``limit`` logged commits with a timestamp above ``ts``, oldest first.

        Raises CommitLogPruned when commits after ``ts`` are no longer logged.
        """

    @abstractmethod
    def close(self) -> None:
        """Close every connection."""


# --- the commit log's encoding ---------------------------------------------------------------
#
# A write set as bytes: a version byte, then per index its id and key count, then each key's
# length and bytes (big-endian unsigned 32-bit integers): the keys as they are plus 4 bytes
# each, and cheap to build (one struct.pack per index and per key).

_VERSION = b"\x01"
_HEADER = struct.Struct(">II")
_LENGTH = struct.Struct(">I")


def encode_write_set(write_set: WriteSet) -> bytes:
    """The commit log's bytes for a write set."""
    parts = [_VERSION]
    pack_header, pack_length = _HEADER.pack, _LENGTH.pack
    for index_id, keys in write_set.items():
        parts.append(pack_header(index_id, len(keys)))
        for key in keys:
            parts.append(pack_length(len(key)))
            parts.append(key)
    return b"".join(parts)


def decode_write_set(data: bytes) -> WriteSet:
    """The write set ``encode_write_set`` encoded."""
    if data[:1] != _VERSION:
        raise ValueError("unknown commit-log encoding")
    view = memoryview(data)
    write_set: WriteSet = {}
    pos = 1
    while pos < len(data):
        index_id, count = _HEADER.unpack_from(view, pos)
        pos += _HEADER.size
        keys = write_set.setdefault(index_id, [])
        for _ in range(count):
            (length,) = _LENGTH.unpack_from(view, pos)
            pos += _LENGTH.size
            keys.append(bytes(view[pos : pos + length]))
            pos += length
    return write_set
