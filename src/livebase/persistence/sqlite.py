"""SQLite persistence: one writer connection, a pool of WAL reader connections.

Durability: WAL mode with ``synchronous=NORMAL`` by default, which keeps every acknowledged
commit across a crash of the process (the commit is in the WAL before ``commit`` returns) but
may lose the last commits on a power loss or OS crash. ``synchronous="FULL"`` fsyncs every
commit and keeps them across those too, at several times the cost per commit.

The commit log (``commit_log``: timestamp to encoded write set) is also the commit sequence:
the latest commit timestamp is its largest. It keeps the last ``log_retention`` commits
(20,000 by default, like the in-memory write log), pruned in the commit transaction every
twentieth of that, so between 20,000 and 21,000 are kept; ``commitLogFloor`` in ``meta`` is
the newest pruned timestamp. A database written before the log existed starts its log at its
latest timestamp (its ``ts`` row in ``meta``, which the log replaces).

With ``shared=True`` several processes on one machine write to the same file (``livebase
serve --workers N``): ``write_lock`` is an exclusive ``flock`` on ``<file>.lock`` held around
each commit's catch-up, OCC check and write, and ``wait_for_commits`` polls SQLite's
``data_version``, which changes when another connection commits.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from livebase.engine.store import (
    COMMIT_LOG_RETENTION,
    Commit,
    CommitLogPruned,
    LoggedCommit,
    Persistence,
    Row,
    Snapshot,
    check_increasing,
    decode_write_set,
    encode_write_set,
)
from livebase.persistence import search_sql
from livebase.persistence.scans import scan_query, scan_statements

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_MAX_IDLE_READERS = 8
_WATCH_EVERY = 0.01  # seconds between looks at data_version when other processes write

_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS documents (
    tbl INTEGER NOT NULL, key BLOB NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS indexes (
    idx INTEGER NOT NULL, key BLOB NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (idx, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commit_log (ts INTEGER PRIMARY KEY, writes BLOB NOT NULL);
{search}
{vectors}
INSERT OR IGNORE INTO meta
    SELECT 'commitLogFloor', coalesce((SELECT value FROM meta WHERE name = 'ts'), '0');
DELETE FROM meta WHERE name = 'ts';
COMMIT;
""".format(search=search_sql.schema("BLOB", "INTEGER"), vectors=search_sql.vector_schema("BLOB"))

# why: the commit log is the sequence (rather than a ts row in meta) so that a commit writes
# one more row and not two: each page a commit dirties costs a WAL frame.
_LOG = "INSERT INTO commit_log VALUES (?, ?)"
_LATEST = "SELECT max(ts) FROM commit_log"
_FLOOR = "SELECT value FROM meta WHERE name = 'commitLogFloor'"
_READ_LATEST = (
    "SELECT coalesce((SELECT max(ts) FROM commit_log), (SELECT CAST(value AS INTEGER) FROM meta"
    " WHERE name = 'commitLogFloor')), (SELECT value FROM documents WHERE tbl = ? AND key = ?)"
)
_PRUNE_CUTOFF = "SELECT ts FROM commit_log ORDER BY ts DESC LIMIT 1 OFFSET ?"


_SCANS = scan_statements("?")
_SEARCH = search_sql.Statements("?")
_VECTORS = search_sql.VectorStatements("?")


class SqliteSnapshot(search_sql.SqlIndexReads, Snapshot):
    """A read transaction on one pooled connection."""

    SEARCH = _SEARCH
    VECTORS = _VECTORS

    def __init__(self, owner: SqlitePersistence, conn: sqlite3.Connection) -> None:
        self._owner = owner
        self._conn: sqlite3.Connection | None = conn
        conn.execute("BEGIN")
        # why: the first read fixes the snapshot, and every commit writes its commit-log entry
        # in the same transaction, so the view and its timestamp always agree.
        self.ts = _latest_ts(conn)

    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("snapshot used after close")
        return self._conn

    def get(self, table: int, id_key: bytes) -> str | None:
        row = (
            self._c()
            .execute("SELECT value FROM documents WHERE tbl = ? AND key = ?", (table, id_key))
            .fetchone()
        )
        return None if row is None else row[0]

    def scan(
        self,
        table: int,
        index: int | None,
        start: bytes,
        end: bytes | None,
        reverse: bool,
        limit: int,
    ) -> list[Row]:
        statement, params = scan_query(table, index, start, end, reverse, limit)
        return self._c().execute(_SCANS[statement], params).fetchall()

    def meta(self, name: str) -> Any:
        row = self._c().execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.execute("COMMIT")
            self._owner._release(conn)


class SqlitePersistence(Persistence):
    """Documents, indexes and the commit log in one SQLite file (WAL mode)."""

    atomic_groups = True

    def __init__(
        self,
        path: str | Path,
        synchronous: str = "NORMAL",
        *,
        log_retention: int = COMMIT_LOG_RETENTION,
        shared: bool = False,
    ) -> None:
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        if log_retention < 1:
            raise ValueError("log_retention must be at least 1")
        self.path = str(path)
        self.synchronous = synchronous
        self.log_retention = log_retention
        self._prune_every = max(1, log_retention // 20)
        self._unpruned = self._prune_every  # the first commit after opening prunes
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self.multi_writer = shared
        self._file_lock = threading.RLock()
        self._lock_depth = 0
        self._lock_fd: int | None = None
        self._watcher: sqlite3.Connection | None = None
        self._seen_version: int | None = None  # the writer's data_version at its last commit
        if shared:
            self._lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute(f"PRAGMA synchronous={synchronous}")
        # why: checkpoint in larger steps (fewer, cheaper) and cut the WAL back afterwards so
        # it cannot grow without bound while readers come and go.
        self._writer.execute("PRAGMA wal_autocheckpoint=4000")
        self._writer.execute("PRAGMA journal_size_limit=67108864")
        self._writer.executescript(_SCHEMA)
        # why: the committer keeps timestamps in order (committer.py); this catches one that
        # does not, against the newest commit this object wrote or found at open. A trigger
        # could check other processes' commits too, but costs about 5 us, some 5% of an insert.
        self._latest = _latest_ts(self._writer)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=64
        )
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def _reader(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise RuntimeError("persistence is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=1")
        return conn

    def snapshot(self) -> SqliteSnapshot:
        return SqliteSnapshot(self, self._reader())

    def read_latest(self, table: int, id_key: bytes) -> tuple[int, str | None]:
        # why: one statement is one read transaction, so the timestamp and the document agree
        # without the BEGIN, the separate timestamp read and the COMMIT of a snapshot
        conn = self._reader()
        try:
            ((ts, text),) = conn.execute(_READ_LATEST, (table, id_key)).fetchall()
        finally:
            self._release(conn)
        return int(ts), text

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < _MAX_IDLE_READERS:
                self._idle.append(conn)
                return
        conn.close()

    def commit_serialized(
        self, since: int, prepare: Callable[[list[LoggedCommit], int], list[Commit]]
    ) -> list[Commit]:
        with self.write_lock():
            # why: data_version moves only when another connection commits, so when it has
            # not moved since this one's last look, the commit log has nothing new to read
            version = self._writer.execute("PRAGMA data_version").fetchone()[0]
            entries: list[LoggedCommit] = []
            if version != self._seen_version or since < self._latest:
                entries = self.commits_since(since)
            latest = max(entries[-1].ts if entries else since, self._latest)
            commits = prepare(entries, latest)
            if commits:
                self._write(commits)
            self._seen_version = version
            return commits

    def commit(self, commit: Commit) -> None:
        self._write([commit])

    def _write(self, commits: list[Commit]) -> None:
        """The commits, in order, in one transaction."""
        check_increasing(commits, self._latest)
        w = self._writer
        w.execute("BEGIN IMMEDIATE")
        try:
            for commit in commits:
                self._write_one(w, commit)
            pruning = self._unpruned >= self._prune_every
            if pruning:
                self._prune_log(w)
            w.execute("COMMIT")
        except BaseException:
            w.execute("ROLLBACK")
            raise
        self._latest = commits[-1].ts
        self._unpruned = 0 if pruning else self._unpruned + len(commits)

    def _write_one(self, w: sqlite3.Connection, commit: Commit) -> None:
        w.execute(_LOG, (commit.ts, encode_write_set(commit.write_set)))
        for index_id in commit.dropped_indexes:
            w.execute("DELETE FROM indexes WHERE idx = ?", (index_id,))
        for table, key, value in commit.documents:
            if value is None:
                w.execute("DELETE FROM documents WHERE tbl = ? AND key = ?", (table, key))
            else:
                w.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?)", (table, key, value))
        if commit.index_removes:
            w.executemany("DELETE FROM indexes WHERE idx = ? AND key = ?", commit.index_removes)
        if commit.index_adds:
            w.executemany("INSERT OR REPLACE INTO indexes VALUES (?, ?, ?)", commit.index_adds)
        search_sql.write_commit(w.execute, w.executemany, _SEARCH, _VECTORS, commit)
        for name, value in commit.meta.items():
            w.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))

    def _prune_log(self, w: sqlite3.Connection) -> None:
        """Drop commit-log entries beyond the retention and raise the floor to match."""
        row = w.execute(_PRUNE_CUTOFF, (self.log_retention,)).fetchone()
        if row is not None:
            w.execute("DELETE FROM commit_log WHERE ts <= ?", (row[0],))
            w.execute("UPDATE meta SET value = ? WHERE name = 'commitLogFloor'", (str(row[0]),))

    def commits_after(self, ts: int, limit: int) -> list[LoggedCommit]:
        conn = self._reader()
        try:
            conn.execute("BEGIN")
            # why: the floor and the entries are read in one transaction, so a prune by
            # another connection cannot slip between them.
            floor = int(conn.execute(_FLOOR).fetchone()[0])
            if ts < floor:
                raise CommitLogPruned(floor)
            rows = conn.execute(
                "SELECT ts, writes FROM commit_log WHERE ts > ? ORDER BY ts LIMIT ?", (ts, limit)
            ).fetchall()
        finally:
            conn.execute("COMMIT")
            self._release(conn)
        return [LoggedCommit(row_ts, decode_write_set(writes)) for row_ts, writes in rows]

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        if self._lock_fd is None:
            yield
            return
        with self._file_lock:
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def wait_for_commits(self, timeout: float) -> None:
        if not self.multi_writer:
            time.sleep(timeout)
            return
        with self._lock:
            if self._closed:
                return
            if self._watcher is None:
                self._watcher = self._connect()
            watcher = self._watcher
        start = watcher.execute("PRAGMA data_version").fetchone()[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._closed:
            time.sleep(_WATCH_EVERY)
            if watcher.execute("PRAGMA data_version").fetchone()[0] != start:
                return

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            watcher, self._watcher = self._watcher, None
        for conn in idle:
            conn.close()
        if watcher is not None:
            watcher.close()
        self._writer.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _latest_ts(conn: sqlite3.Connection) -> int:
    """The latest commit's timestamp: the commit log's newest, or its floor while empty."""
    latest = conn.execute(_LATEST).fetchone()[0]
    return int(conn.execute(_FLOOR).fetchone()[0]) if latest is None else latest
