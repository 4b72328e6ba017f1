"""PostgreSQL persistence: one deployment in one schema, shared by any number of processes.

    PostgresPersistence("postgresql://user@host:5432/db")              # schema public
    PostgresPersistence("postgresql://user@host:5432/db?schema=myapp") # its own schema

The layout is SQLite's (``documents``, ``indexes``, ``meta``, ``commit_log``) with byte keys
as ``bytea``, whose order (unsigned bytes, shorter first on a tie) is the engine's key order,
plus ``sequence``: one row holding the latest commit's timestamp.

Many processes write to one deployment. Each commit serializes through a session-level
advisory lock on the writer connection (``write_lock``, taken by the committer around its
catch-up, OCC check and write; re-entrant, so ``exclusive()`` blocks can commit inside it),
so commit order is timestamp order and a reader following ``commit_log`` by timestamp never
sees a commit land behind one it has read. The commit transaction also sends ``NOTIFY`` on
the deployment's channel, which ``wait_for_commits`` listens to (a coalesced wake-up; the
reader then reads the log by timestamp). A process that dies loses its session, and with it
the lock.

Snapshots are ``REPEATABLE READ`` transactions whose first statement reads the sequence row,
so their view and their timestamp agree. Connections come from a psycopg pool.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from livebase.engine.store import (
    COMMIT_LOG_RETENTION,
    Commit,
    CommitLogPruned,
    CommitOutcomeUnknown,
    LoggedCommit,
    Persistence,
    Row,
    Snapshot,
    StaleCommitError,
    check_increasing,
    decode_write_set,
    encode_write_set,
)
from livebase.persistence import search_sql
from livebase.persistence.scans import scan_query, scan_statements

log = logging.getLogger("livebase.postgres")

_POOL_MAX = 16

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS documents (
    tbl integer NOT NULL, key bytea NOT NULL, value text NOT NULL, PRIMARY KEY (tbl, key));
CREATE TABLE IF NOT EXISTS indexes (
    idx integer NOT NULL, key bytea NOT NULL, doc bytea NOT NULL, PRIMARY KEY (idx, key));
CREATE TABLE IF NOT EXISTS meta (name text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS commit_log (ts bigint PRIMARY KEY, writes bytea NOT NULL);
CREATE TABLE IF NOT EXISTS sequence (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), ts bigint NOT NULL);
INSERT INTO sequence VALUES (true, 0) ON CONFLICT DO NOTHING;
INSERT INTO meta VALUES ('commitLogFloor', '0') ON CONFLICT DO NOTHING;
"""
    + search_sql.schema("bytea", "bigint")
    + search_sql.vector_schema("bytea")
)

_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT ts FROM sequence"
_FLOOR = "(SELECT value FROM meta WHERE name = 'commitLogFloor')"
_READ_LATEST = (
    "SELECT s.ts, (SELECT value FROM documents WHERE tbl = %s AND key = %s) FROM sequence s"
)
# The latest timestamp, the log's floor and every logged commit after a timestamp (none: one
# row with NULLs), in one statement, so the commit that reads them under the lock waits for
# one round trip however many commits other processes made meanwhile.
_HEAD = (
    f"SELECT s.ts, {_FLOOR}, c.ts, c.writes FROM sequence s LEFT JOIN LATERAL"
    " (SELECT ts, writes FROM commit_log WHERE ts > %s ORDER BY ts) c ON true"
)
_AFTER = (
    f"SELECT {_FLOOR}, c.ts, c.writes FROM (SELECT 1) one LEFT JOIN LATERAL"
    " (SELECT ts, writes FROM commit_log WHERE ts > %s ORDER BY ts LIMIT %s) c ON true"
)
_LOCK_SESSION = "SELECT pg_advisory_lock(hashtext(%s))"
_UNLOCK_SESSION = "SELECT pg_advisory_unlock(hashtext(%s))"
_LOCK_TRANSACTION = "SELECT pg_advisory_xact_lock(hashtext(%s))"
_ADVANCE = "UPDATE sequence SET ts = CASE WHEN ts < %s THEN %s ELSE ts / 0 END"
_LOG = "INSERT INTO commit_log VALUES (%s, %s)"
_UPSERT_DOCUMENT = (
    "INSERT INTO documents VALUES (%s, %s, %s) ON CONFLICT (tbl, key)"
    " DO UPDATE SET value = excluded.value"
)
_UPSERT_INDEX = (
    "INSERT INTO indexes VALUES (%s, %s, %s) ON CONFLICT (idx, key)"
    " DO UPDATE SET doc = excluded.doc"
)
_DELETE_INDEX = "DELETE FROM indexes WHERE idx = %s AND key = %s"
_UPSERT_META = (
    "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
)
# Keeps the newest ``log_retention`` entries and raises the floor to the newest one dropped.
_PRUNE = """
WITH cut AS (SELECT ts FROM commit_log ORDER BY ts DESC LIMIT 1 OFFSET %s),
gone AS (DELETE FROM commit_log WHERE ts <= (SELECT ts FROM cut))
UPDATE meta SET value = (SELECT ts FROM cut)::text
WHERE name = 'commitLogFloor' AND EXISTS (SELECT 1 FROM cut)
"""


_SCANS = scan_statements("%s")
_SEARCH = search_sql.Statements("%s")
_VECTORS = search_sql.VectorStatements("%s")


def split_url(url: str) -> tuple[str, str]:
    """A libpq connection URL without livebase's ``schema`` parameter, and that schema
    (``public`` when not given)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for name, value in query if name == "schema"]
    rest = [(name, value) for name, value in query if name != "schema"]
    schema = schemas[-1] if schemas else "public"
    if not schema or len(schema) > 40 or not schema.replace("_", "a").isalnum():
        raise ValueError(
            f"schema {schema!r} in the database URL: use letters, digits and underscores "
            "(at most 40)"
        )
    # why: libpq decodes %20 but not the + that urlencode would write for a space
    cleaned = parts._replace(query=urllib.parse.urlencode(rest, quote_via=urllib.parse.quote))
    return urllib.parse.urlunsplit(cleaned), schema.lower()


class PostgresSnapshot(search_sql.SqlIndexReads, Snapshot):
    """A REPEATABLE READ transaction on one pooled connection."""

    SEARCH = _SEARCH
    VECTORS = _VECTORS

    def __init__(self, owner: PostgresPersistence, conn: psycopg.Connection[Any]) -> None:
        self._owner = owner
        self._conn: psycopg.Connection[Any] | None = conn
        try:
            cur = conn.execute(_SNAPSHOT)  # one round trip: the BEGIN's result, then the row
            cur.nextset()
            row = cur.fetchone()
        except BaseException:
            owner._release(conn, broken=True)
            self._conn = None
            raise
        assert row is not None
        self.ts = int(row[0])

    def _c(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise RuntimeError("snapshot used after close")
        return self._conn

    def get(self, table: int, id_key: bytes) -> str | None:
        row = (
            self._c()
            .execute("SELECT value FROM documents WHERE tbl = %s AND key = %s", (table, id_key))
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
        rows = self._c().execute(_SCANS[statement], params)
        return [(bytes(key), value) for key, value in rows.fetchall()]

    def meta(self, name: str) -> Any:
        row = self._c().execute("SELECT value FROM meta WHERE name = %s", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute("COMMIT")
        except psycopg.Error:
            self._owner._release(conn, broken=True)
            raise
        self._owner._release(conn)


class PostgresPersistence(Persistence):
    """Documents, indexes and the commit log in one PostgreSQL schema, for many processes."""

    multi_writer = True
    on_this_machine = False
    atomic_groups = True

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        log_retention: int = COMMIT_LOG_RETENTION,
        pool_size: int = _POOL_MAX,
    ) -> None:
        if log_retention < 1:
            raise ValueError("log_retention must be at least 1")
        conninfo, url_schema = split_url(url)
        self.schema = (schema or url_schema).lower()
        self.log_retention = log_retention
        self._prune_every = max(1, log_retention // 20)
        self._unpruned = self._prune_every  # the first commit after opening prunes
        self._conninfo = conninfo
        self._search_path = sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))
        self.channel = f"livebase_{self.schema}"
        self._lock = threading.RLock()  # the writer connection and the write lock's depth
        self._lock_depth = 0
        self._instance = uuid.uuid4().hex[:12]  # names this object's NOTIFYs
        self._listener: psycopg.Connection[Any] | None = None
        self._listener_lock = threading.Lock()
        self._closed = False
        self._writer = self._connect_writer()
        try:
            with self._writer.transaction():
                self._writer.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
                )
                # why: two processes creating the same deployment at once must not race
                self._writer.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.channel,))
                self._writer.execute(self._search_path)
                self._writer.execute(_SCHEMA)
            row = self._writer.execute("SELECT ts FROM sequence").fetchone()
            assert row is not None
            self._latest = int(row[0])
            self._pool: ConnectionPool[Any] = ConnectionPool(
                conninfo,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True},
                configure=self._configure,
                open=True,
                name=f"livebase-{self.schema}",
            )
        except BaseException:
            self._writer.close()
            raise

    # --- connections ---------------------------------------------------------------------
    def connect(self) -> psycopg.Connection[Any]:
        """A new autocommit connection to the deployment's schema (for services that keep
        their own tables there, e.g. file bytes); the caller closes it."""
        return self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._conninfo, autocommit=True)
        conn.execute(self._search_path)
        return conn

    def _connect_writer(self) -> psycopg.Connection[Any]:
        conn = self._connect()
        # why: a commit waits for the deployment's lock as long as another process holds it;
        # a timeout set for the role or the database must not abort it halfway
        conn.execute(
            "SET lock_timeout = 0; SET statement_timeout = 0;"
            " SET idle_in_transaction_session_timeout = 0"
        )
        return conn

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(self._search_path)

    def _reader(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise RuntimeError("persistence is closed")
        return self._pool.getconn()

    def _release(self, conn: psycopg.Connection[Any], broken: bool = False) -> None:
        if broken:
            conn.close()  # why: the pool discards a closed connection and opens a new one
        if self._closed:
            conn.close()
            return
        self._pool.putconn(conn)

    # --- reading -------------------------------------------------------------------------
    def snapshot(self) -> PostgresSnapshot:
        return PostgresSnapshot(self, self._reader())

    def _rows(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """The rows of one statement, run on a pooled reader (one statement: one snapshot)."""
        conn = self._reader()
        broken = True
        try:
            rows = conn.execute(statement, params).fetchall()
            broken = False
        finally:
            self._release(conn, broken)
        return rows

    def read_latest(self, table: int, id_key: bytes) -> tuple[int, str | None]:
        # why: one statement sees one snapshot, in which the sequence and the documents agree
        # (a commit advances both in its transaction): one round trip instead of three
        ((ts, text),) = self._rows(_READ_LATEST, (table, id_key))
        return int(ts), text

    def commits_after(self, ts: int, limit: int) -> list[LoggedCommit]:
        # why: one statement, so the floor and the entries come from one snapshot and a
        # prune by another process cannot slip between them
        rows = self._rows(_AFTER, (ts, limit))
        floor = int(rows[0][0])
        if ts < floor:
            raise CommitLogPruned(floor)
        return [
            LoggedCommit(int(t), decode_write_set(bytes(w))) for _, t, w in rows if t is not None
        ]

    # --- writing -------------------------------------------------------------------------
    def _live_writer(self) -> psycopg.Connection[Any]:
        """The writer connection, opened again if it broke (the server restarted, say)."""
        if self._closed:
            raise RuntimeError("persistence is closed")
        w = self._writer
        idle = psycopg.pq.TransactionStatus.IDLE
        if not (w.broken or w.closed) and w.info.transaction_status != idle:
            # why: a transaction a failure left open (a session lock outlives its rollback)
            self._rollback(w)
        if w.broken or w.closed:
            if self._lock_depth:
                # why: the session lock died with the connection; the block holding it can
                # no longer be sure nobody else committed
                raise psycopg.OperationalError("the connection holding the write lock was lost")
            w = self._writer = self._connect_writer()
        return w

    def _rollback(self, w: psycopg.Connection[Any]) -> None:
        if w.broken or w.closed:
            return
        try:
            w.execute("ROLLBACK")
        except psycopg.Error:
            w.close()

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        with self._lock:
            if self._lock_depth == 0:
                self._live_writer().execute(_LOCK_SESSION, (self.channel,))
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    self._unlock_session()

    def _unlock_session(self) -> None:
        w = self._writer
        if w.broken or w.closed:
            return
        try:
            if w.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                w.execute("ROLLBACK")
            w.execute(_UNLOCK_SESSION, (self.channel,))
        except psycopg.Error:
            # why: a session lock that cannot be released would stop every other process's
            # commits; ending the session releases it
            w.close()

    def commit(self, commit: Commit) -> None:
        with self._lock:
            w = self._live_writer()
            check_increasing([commit], self._latest)
            w.execute("BEGIN")
            try:
                self._write(w, [commit])
            except BaseException:
                self._rollback(w)
                raise

    def commit_serialized(
        self, since: int, prepare: Callable[[list[LoggedCommit], int], list[Commit]]
    ) -> list[Commit]:
        """One transaction on the writer connection: take the deployment's lock (released by
        the commit), read the sequence and the commits after ``since`` that other processes
        made, then write what ``prepare(entries, latest)`` returns: two round trips, however
        many commits other processes made meanwhile and ``prepare`` returns."""
        with self._lock:
            w = self._live_writer()
            try:
                with w.pipeline():
                    w.execute("BEGIN")
                    w.execute(_LOCK_TRANSACTION, (self.channel,))
                    # why: a statement after the lock's: its snapshot holds every earlier commit
                    head = w.execute(_HEAD, (since,))
                rows = head.fetchall()
                latest, floor = int(rows[0][0]), int(rows[0][1])
                if latest > since and since < floor:
                    raise CommitLogPruned(floor)
                entries = [
                    LoggedCommit(int(t), decode_write_set(bytes(b)))
                    for _, _, t, b in rows
                    if t is not None
                ]
                commits = prepare(entries, latest)
                if not commits:
                    w.execute("ROLLBACK")
                    return commits
                check_increasing(commits, latest)
                self._write(w, commits)
            except BaseException:
                self._rollback(w)
                raise
            return commits

    def _write(self, w: psycopg.Connection[Any], commits: list[Commit]) -> None:
        """The commits' statements and COMMIT, in one round trip (a transaction is open)."""
        pruning = self._unpruned >= self._prune_every
        try:
            self._send(w, commits, pruning)
        except psycopg.errors.DivisionByZero:
            raise StaleCommitError(f"commit ts {commits[0].ts} is not above the latest") from None
        except psycopg.OperationalError as exc:
            if not (w.broken or w.closed):
                raise  # the server refused a statement: the transaction rolled back
            # why: a connection lost after the COMMIT left may have lost only its reply;
            # reporting a durable commit as failed would have its caller run it again
            landed = self._landed(commits[-1])
            if landed is None:
                raise CommitOutcomeUnknown(
                    "the connection to PostgreSQL broke during a commit, and whether the "
                    f"commit landed could not be learned: {exc}"
                ) from exc
            if not landed:
                raise
            log.warning(
                "a commit's connection broke, but the commit landed (ts %d)", commits[-1].ts
            )
        else:
            if w.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raise StaleCommitError("the commit did not complete")
        self._latest = commits[-1].ts
        self._unpruned = 0 if pruning else self._unpruned + len(commits)

    def _landed(self, last: Commit) -> bool | None:
        """Whether a commit whose connection broke on the way is in the database (None: that
        could not be learned). Takes the deployment's lock first: the broken session's
        transaction holds it until the server has committed or rolled it back."""
        try:
            with self._connect() as conn, conn.transaction():
                # why: a session the server has not yet seen die keeps the lock meanwhile
                conn.execute("SET LOCAL lock_timeout = '60s'")
                conn.execute(_LOCK_TRANSACTION, (self.channel,))
                row = conn.execute(
                    "SELECT writes FROM commit_log WHERE ts = %s", (last.ts,)
                ).fetchone()
        except psycopg.Error:
            log.exception("could not learn whether a commit landed")
            return None
        return row is not None and bytes(row[0]) == encode_write_set(last.write_set)

    def _send(self, w: psycopg.Connection[Any], commits: list[Commit], pruning: bool) -> None:
        with w.pipeline(), w.cursor() as c:
            # why: a first timestamp not above the sequence fails the statement (ts / 0: a
            # constant 1 / 0 would fail at planning), which aborts the transaction, so the
            # COMMIT below rolls it back
            c.execute(_ADVANCE, (commits[0].ts, commits[-1].ts))
            c.executemany(_LOG, [(co.ts, encode_write_set(co.write_set)) for co in commits])
            for commit in commits:  # why: in order, as if each were its own transaction
                for index_id in commit.dropped_indexes:
                    c.execute("DELETE FROM indexes WHERE idx = %s", (index_id,))
                final = {(t, k): v for t, k, v in commit.documents}  # the last write wins
                deletes = [key for key, v in final.items() if v is None]
                upserts = [(*key, v) for key, v in final.items() if v is not None]
                if deletes:
                    c.executemany("DELETE FROM documents WHERE tbl = %s AND key = %s", deletes)
                if upserts:
                    c.executemany(_UPSERT_DOCUMENT, upserts)
                if commit.index_removes:
                    c.executemany(_DELETE_INDEX, commit.index_removes)
                if commit.index_adds:
                    c.executemany(_UPSERT_INDEX, commit.index_adds)
                search_sql.write_commit(c.execute, c.executemany, _SEARCH, _VECTORS, commit)
                for name, value in commit.meta.items():
                    c.execute(_UPSERT_META, (name, json.dumps(value)))
            if pruning:
                c.execute(_PRUNE, (self.log_retention,))
            c.execute(
                "SELECT pg_notify(%s, %s)", (self.channel, f"{commits[-1].ts}:{self._instance}")
            )
            c.execute("COMMIT")

    # --- following other processes -------------------------------------------------------
    def wait_for_commits(self, timeout: float) -> None:
        with self._listener_lock:
            if self._closed:
                return
            if self._listener is None:
                self._listener = self._connect()
                self._listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            listener = self._listener
        mine = f":{self._instance}"
        deadline = time.monotonic() + timeout
        try:
            # why: this process publishes its own commits as it makes them; only another
            # process's commit is news. Commits that came together wake the reader once.
            while (left := deadline - time.monotonic()) > 0:
                news = [n for n in listener.notifies(timeout=left, stop_after=1)]
                news += listener.notifies(timeout=0.0)
                if any(not n.payload.endswith(mine) for n in news):
                    return
        except psycopg.Error:
            with self._listener_lock:
                if self._listener is listener:
                    self._listener = None
            listener.close()
            if not self._closed:
                raise

    def close(self) -> None:
        with self._listener_lock:
            self._closed = True
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            self._writer.close()
        self._pool.close()

    def drop(self) -> None:
        """Delete the deployment's schema and everything in it (tests, ``--replace``)."""
        conn = self._connect()
        try:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )
        finally:
            conn.close()
