"""SQLite persistence: one writer connection, a pool of WAL reader connections.

Durability: WAL mode with ``synchronous=NORMAL`` by default, which keeps every acknowledged
commit across a crash of the process (the commit is in the WAL before ``commit`` returns) but
may lose the last commits on a power loss or OS crash. ``synchronous="FULL"`` fsyncs every
commit and keeps them across those too, at several times the cost per commit.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from livebase.persistence.base import Commit, Persistence, Row, Snapshot

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_MAX_IDLE_READERS = 8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    tbl INTEGER NOT NULL, key BLOB NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS indexes (
    idx INTEGER NOT NULL, key BLOB NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (idx, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('ts', '0');
"""


def _scan_sql(by_id: bool, bounded: bool, reverse: bool) -> str:
    if by_id:
        sql = "SELECT key, value FROM documents WHERE tbl = ? AND key >= ?"
        sql += " AND key < ?" if bounded else ""
        return sql + (" ORDER BY key DESC" if reverse else " ORDER BY key") + " LIMIT ?"
    sql = (
        "SELECT i.key, d.value FROM indexes i JOIN documents d ON d.tbl = ? AND d.key = i.doc"
        " WHERE i.idx = ? AND i.key >= ?"
    )
    sql += " AND i.key < ?" if bounded else ""
    return sql + (" ORDER BY i.key DESC" if reverse else " ORDER BY i.key") + " LIMIT ?"


_SCANS = {
    (by_id, bounded, reverse): _scan_sql(by_id, bounded, reverse)
    for by_id in (True, False)
    for bounded in (True, False)
    for reverse in (True, False)
}


class SqliteSnapshot(Snapshot):
    """A read transaction on one pooled connection."""

    def __init__(self, owner: SqlitePersistence, conn: sqlite3.Connection) -> None:
        self._owner = owner
        self._conn: sqlite3.Connection | None = conn
        conn.execute("BEGIN")
        # why: the first read fixes the snapshot, and the ts row is written by every commit in
        # the same transaction, so the view and its timestamp always agree.
        row = conn.execute("SELECT value FROM meta WHERE name = 'ts'").fetchone()
        self.ts = int(row[0])

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
        params: list[Any] = [table] if index is None else [table, index]
        params.append(start)
        if end is not None:
            params.append(end)
        params.append(limit)
        sql = _SCANS[(index is None, end is not None, reverse)]
        return self._c().execute(sql, params).fetchall()

    def meta(self, name: str) -> Any:
        row = self._c().execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.execute("COMMIT")
            self._owner._release(conn)


class SqlitePersistence(Persistence):
    """Documents and indexes in one SQLite file (WAL mode)."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL") -> None:
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        self.path = str(path)
        self.synchronous = synchronous
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute(f"PRAGMA synchronous={synchronous}")
        # why: checkpoint in larger steps (fewer, cheaper) and cut the WAL back afterwards so
        # it cannot grow without bound while readers come and go.
        self._writer.execute("PRAGMA wal_autocheckpoint=4000")
        self._writer.execute("PRAGMA journal_size_limit=67108864")
        self._writer.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=64
        )
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def snapshot(self) -> SqliteSnapshot:
        with self._lock:
            if self._closed:
                raise RuntimeError("persistence is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=1")
        return SqliteSnapshot(self, conn)

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < _MAX_IDLE_READERS:
                self._idle.append(conn)
                return
        conn.close()

    def commit(self, commit: Commit) -> None:
        w = self._writer
        w.execute("BEGIN IMMEDIATE")
        try:
            for index_id in commit.dropped_indexes:
                w.execute("DELETE FROM indexes WHERE idx = ?", (index_id,))
            for table, key, value in commit.documents:
                if value is None:
                    w.execute("DELETE FROM documents WHERE tbl = ? AND key = ?", (table, key))
                else:
                    w.execute(
                        "INSERT OR REPLACE INTO documents VALUES (?, ?, ?)", (table, key, value)
                    )
            if commit.index_removes:
                w.executemany("DELETE FROM indexes WHERE idx = ? AND key = ?", commit.index_removes)
            if commit.index_adds:
                w.executemany("INSERT OR REPLACE INTO indexes VALUES (?, ?, ?)", commit.index_adds)
            for name, value in commit.meta.items():
                w.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))
            w.execute("UPDATE meta SET value = ? WHERE name = 'ts'", (str(commit.ts),))
            w.execute("COMMIT")
        except BaseException:
            w.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        self._writer.close()
