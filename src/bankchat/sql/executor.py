"""Run one read-only query against the bank database: SQLite, MariaDB/MySQL or PostgreSQL.

The SQL guard (``bankchat.sql.guard``) decides what may run; this module makes sure that even
SQL that slipped past it cannot change anything, and cannot run for long:

- SQLite: the file is opened read-only (``file:PATH?mode=ro``), ``PRAGMA query_only=1``, no
  database may be attached, an authorizer allows reading only (no PRAGMA, no ATTACH, no write,
  no transaction control), and a progress handler stops the query after ``timeout_s``.
- MariaDB/MySQL: every query runs in ``START TRANSACTION READ ONLY`` on a session whose default
  access mode is READ ONLY, with ``max_statement_time`` (MariaDB) or ``max_execution_time``
  (MySQL) and ``sql_select_limit``, through an unbuffered cursor, and is rolled back;
  multi-statement strings are refused by the client protocol (pymysql's default).
- PostgreSQL: every query runs in a ``BEGIN READ ONLY`` transaction with ``SET LOCAL
  statement_timeout``, through a server-side cursor (``DECLARE ... CURSOR FOR``: one SELECT or
  VALUES only, and only the rows wanted cross the wire), and is rolled back.
- ``run`` also reads the SQL with sqlglot's tokenizer and refuses, before it reaches the
  database, more than one statement, anything that does not start like a query (SELECT, WITH,
  VALUES, TABLE, a parenthesis), ``INTO`` anywhere (``SELECT ... INTO OUTFILE``), and calls to
  server functions that read files, run SQL from a string or change settings.

A read-only transaction does not stop a privileged account from reading server files
(``pg_read_file``, ``LOAD_FILE``) or, on PostgreSQL, ``COPY ... TO PROGRAM``: connect with an
account that may only SELECT the bank tables. ``privilege_warning`` says when it may do more.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlglot import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

log = logging.getLogger(__name__)

_MAX_MESSAGE = 300
_SQLITE_PROGRESS_STEPS = 1000
# SQLite authorizer: what a query may do; anything else is denied.
_SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_SQLITE_ALLOWED.add(getattr(sqlite3, "SQLITE_RECURSIVE", 33))
_QUERY_STARTS = {TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.L_PAREN}
# Server functions that reach outside the query: files, programs, SQL in a string, settings.
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        # PostgreSQL
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "lo_import",
        "lo_export",
        "lo_from_bytea",
        "lo_put",
        "lo_create",
        "lo_creat",
        "lo_unlink",
        "set_config",
        "query_to_xml",
        "query_to_xml_and_xmlschema",
        "query_to_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "table_to_xml",
        "database_to_xml",
        "schema_to_xml",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_send_query",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_file_write",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "txid_current",
        "pg_notify",
        # MariaDB / MySQL
        "load_file",
        "sys_exec",
        "sys_eval",
        "get_lock",
        "release_lock",
        "release_all_locks",
        "benchmark",
        "master_pos_wait",
        "source_pos_wait",
        # SQLite (off by default, refused anyway)
        "load_extension",
        "writefile",
        "readfile",
        "edit",
    }
)


class BankQueryError(Exception):
    """A query that could not run; ``message`` is short and safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class QueryOutcome:
    """What a query returned: at most ``max_rows`` rows, ``truncated`` when there were more."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    elapsed_ms: float


def _jsonable(value: Any) -> Any:
    """A value JSON can carry: Decimal -> float, dates -> ISO text, bytes -> hex."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    return str(value)


def _timeout_message(timeout_s: float) -> str:
    return f"The query took longer than {timeout_s:g} s and was stopped"


def _short(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    first = lines[0] if lines else "The database refused the query"
    return first if len(first) <= _MAX_MESSAGE else first[: _MAX_MESSAGE - 1] + "…"


def _driver_message(error: BaseException) -> str:
    """The database's own words for an error, without SQL, parameters or connection details."""
    orig = getattr(error, "orig", None) or error
    diag = getattr(orig, "diag", None)  # psycopg
    primary = getattr(diag, "message_primary", None)
    if primary:
        return _short(primary)
    args: tuple[Any, ...] = getattr(orig, "args", ())
    if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[1], str):  # pymysql
        return _short(args[1])
    return _short(str(orig))


def _driver_code(error: BaseException) -> tuple[int | None, str | None]:
    orig = getattr(error, "orig", None) or error
    args: tuple[Any, ...] = getattr(orig, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    return code, getattr(orig, "sqlstate", None)


def _is_timeout(error: BaseException) -> bool:
    code, sqlstate = _driver_code(error)
    # MariaDB 1969 max_statement_time exceeded; MySQL 3024 max_execution_time exceeded;
    # PostgreSQL 57014 query_canceled (statement_timeout)
    return code in (1969, 3024) or sqlstate == "57014"


class BankDatabase:
    """The bank database at a SQLAlchemy URL or a SQLite file path; safe to share across threads.

    ``dialect`` is the sqlglot dialect to write its SQL in: "sqlite", "mysql" (MariaDB too) or
    "postgres".
    """

    dialect: str

    def __init__(self, url: str) -> None:
        self._tables: dict[str, list[str]] | None = None
        self._lock = threading.Lock()
        self._inspect_lock = threading.Lock()
        self._inspected = False
        self._driver_error: type[Exception] = sqlite3.Error
        self._engine: sa.Engine | None = None
        self._sqlite_path: Path | None = None
        self.is_mariadb = False
        self.server_version = ""
        self.privilege_warning: str | None = None
        if "://" not in url:
            self._open_sqlite(Path(url))
            return
        parsed = sa.make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise ValueError("an in-memory SQLite database has no bank data")
            self._open_sqlite(Path(parsed.database))
        elif backend in ("mysql", "mariadb"):
            self.dialect = "mysql"
            self._engine = self._server_engine(url)
        elif backend == "postgresql":
            self.dialect = "postgres"
            self._engine = self._server_engine(url)
        else:
            raise ValueError(f"unsupported database {backend!r}: use SQLite, MariaDB or PostgreSQL")

    # --- setup --------------------------------------------------------------------------------

    def _open_sqlite(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"no SQLite database at {path}")
        self.dialect = "sqlite"
        self._sqlite_path = path.resolve()
        self.server_version = sqlite3.sqlite_version

    def _server_engine(self, url: str) -> sa.Engine:
        engine = sa.create_engine(
            url, pool_size=4, max_overflow=4, pool_pre_ping=True, pool_recycle=1800
        )
        self._driver_error = engine.dialect.loaded_dbapi.Error
        postgres = self.dialect == "postgres"

        @sa.event.listens_for(engine, "connect")
        def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
            # why: a second line behind each query's READ ONLY transaction
            cursor = dbapi_connection.cursor()
            try:
                if postgres:
                    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                else:
                    cursor.execute("SET SESSION TRANSACTION READ ONLY")
            finally:
                cursor.close()
            dbapi_connection.commit()
            if postgres:
                dbapi_connection.read_only = True  # psycopg then opens with BEGIN READ ONLY

        return engine

    def _inspect_server(self) -> None:
        """Server version and whether the account may do more than read (once, lazily)."""
        if self._inspected or self._engine is None:
            return
        with self._inspect_lock:
            if self._inspected:
                return
            try:
                with self._raw() as raw:
                    cursor = raw.cursor()
                    try:
                        cursor.execute("SELECT VERSION()")
                        self.server_version = str(cursor.fetchone()[0])
                        self.is_mariadb = "mariadb" in self.server_version.lower()
                        self.privilege_warning = self._privileges(cursor)
                    finally:
                        cursor.close()
                        raw.rollback()
            except (sa.exc.SQLAlchemyError, self._driver_error) as error:
                raise BankQueryError(_driver_message(error)) from None
            self._inspected = True
        if self.privilege_warning:
            log.warning("bank database: %s", self.privilege_warning)

    def _privileges(self, cursor: Any) -> str | None:
        if self.dialect == "postgres":
            cursor.execute(
                "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_server_files', 'USAGE') "
                "OR pg_has_role(current_user, 'pg_execute_server_program', 'USAGE') "
                "FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
            if row and row[0]:
                return (
                    "the PostgreSQL account is a superuser or may read server files or run "
                    "programs: connect with an account that may only SELECT the bank tables"
                )
            return None
        cursor.execute("SHOW GRANTS")
        # the privileges of each grant: the words before "ON ... TO user"
        granted = " ".join(str(row[0]).upper().split(" ON ")[0] for row in cursor.fetchall())
        if re.search(r"\b(ALL PRIVILEGES|FILE|SUPER)\b", granted):
            return (
                "the MariaDB/MySQL account has FILE, SUPER or all privileges: connect with an "
                "account that may only SELECT the bank tables"
            )
        return None

    @contextmanager
    def _raw(self) -> Iterator[Any]:
        assert self._engine is not None
        raw = self._engine.raw_connection()
        try:
            yield raw
        finally:
            raw.close()

    # --- the schema ---------------------------------------------------------------------------

    def tables(self) -> dict[str, list[str]]:
        """Table name (lower case) -> its column names, as the database reports them."""
        with self._lock:
            if self._tables is None:
                self._tables = self._read_tables()
            return self._tables

    def _read_tables(self) -> dict[str, list[str]]:
        if self._sqlite_path is not None:
            conn = self._sqlite_connect()
            try:
                names = [
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                    )
                ]
                return {
                    name.lower(): [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
                    for name in names
                }
            finally:
                conn.close()
        assert self._engine is not None
        try:
            inspector = sa.inspect(self._engine)
            names = sorted([*inspector.get_table_names(), *inspector.get_view_names()])
            return {
                name.lower(): [str(c["name"]) for c in inspector.get_columns(name)]
                for name in names
            }
        except sa.exc.SQLAlchemyError as error:
            raise BankQueryError(_driver_message(error)) from None

    # --- running queries ----------------------------------------------------------------------

    def run(self, sql: str, *, timeout_s: float = 10.0, max_rows: int = 1000) -> QueryOutcome:
        """Run one read-only query; at most ``max_rows`` rows come back."""
        statement = self._check_statement(sql)
        return self._run_unchecked(statement, timeout_s=timeout_s, max_rows=max_rows)

    def _check_statement(self, sql: str) -> str:
        """The one query in ``sql`` (a final ``;`` removed); BankQueryError if it is not one."""
        try:
            tokens: list[Token] = Dialect.get_or_raise(self.dialect).tokenize(sql)
        except (TokenError, ValueError) as error:
            raise BankQueryError(f"The SQL could not be read: {_short(str(error))}") from None
        while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
            sql = sql[: tokens[-1].start]
            tokens.pop()
        if not tokens:
            raise BankQueryError("There is no query to run")
        if any(t.token_type == TokenType.SEMICOLON for t in tokens):
            raise BankQueryError("Only one statement may run at a time")
        if tokens[0].token_type not in _QUERY_STARTS and tokens[0].text.upper() != "TABLE":
            raise BankQueryError("Only read-only queries (SELECT) may run")
        for index, token in enumerate(tokens):
            if token.token_type == TokenType.INTO:
                raise BankQueryError("Queries may not write their results anywhere (INTO)")
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if (
                following is not None
                and following.token_type == TokenType.L_PAREN
                and token.token_type != TokenType.STRING
                and token.text.lower().rsplit(".", 1)[-1] in _FORBIDDEN_FUNCTIONS
            ):
                raise BankQueryError(f"The function {token.text} may not be used")
        return sql.strip()

    def _run_unchecked(self, sql: str, *, timeout_s: float, max_rows: int) -> QueryOutcome:
        """Send ``sql`` to the database as it is: only the connection's own limits apply."""
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_rows < 0:
            raise ValueError("max_rows must not be negative")
        started = time.perf_counter()
        if self._sqlite_path is not None:
            columns, rows = self._run_sqlite(sql, timeout_s, max_rows)
        elif self.dialect == "postgres":
            columns, rows = self._run_postgres(sql, timeout_s, max_rows)
        else:
            columns, rows = self._run_mysql(sql, timeout_s, max_rows)
        elapsed_ms = (time.perf_counter() - started) * 1000
        truncated = len(rows) > max_rows
        return QueryOutcome(
            columns=columns,
            rows=[[_jsonable(v) for v in row] for row in rows[:max_rows]],
            truncated=truncated,
            elapsed_ms=elapsed_ms,
        )

    # SQLite

    def _sqlite_connect(self) -> sqlite3.Connection:
        assert self._sqlite_path is not None
        uri = f"file:{quote(self._sqlite_path.as_posix())}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only=1")
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        return conn

    def _run_sqlite(
        self, sql: str, timeout_s: float, max_rows: int
    ) -> tuple[list[str], Sequence[Sequence[Any]]]:
        try:
            conn = self._sqlite_connect()
        except sqlite3.Error as error:
            raise BankQueryError(_short(str(error))) from None
        deadline = time.monotonic() + timeout_s
        stopped = False

        def over_time() -> int:
            nonlocal stopped
            stopped = time.monotonic() > deadline
            return int(stopped)

        def authorize(action: int, *_: Any) -> int:
            return sqlite3.SQLITE_OK if action in _SQLITE_ALLOWED else sqlite3.SQLITE_DENY

        conn.set_authorizer(authorize)
        conn.set_progress_handler(over_time, _SQLITE_PROGRESS_STEPS)
        try:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchmany(max_rows + 1) if cursor.description else []
            return columns, rows
        except sqlite3.Error as error:
            if stopped:
                raise BankQueryError(_timeout_message(timeout_s)) from None
            raise BankQueryError(_short(str(error))) from None
        finally:
            conn.close()

    # MariaDB / MySQL

    def _run_mysql(
        self, sql: str, timeout_s: float, max_rows: int
    ) -> tuple[list[str], Sequence[Sequence[Any]]]:
        import pymysql.cursors  # type: ignore[import-untyped]

        self._inspect_server()
        if self.is_mariadb:
            time_limit = f"max_statement_time = {timeout_s:.3f}"
            no_time_limit = "max_statement_time = DEFAULT"
        else:
            time_limit = f"max_execution_time = {max(1, round(timeout_s * 1000))}"
            no_time_limit = "max_execution_time = DEFAULT"
        try:
            with self._raw() as raw:
                reusable = True
                try:
                    with raw.cursor() as setup:
                        setup.execute("SET SESSION TRANSACTION READ ONLY")
                        # why: the server stops after the rows wanted (unless the query's own
                        # LIMIT is larger)
                        setup.execute(
                            f"SET SESSION {time_limit}, sql_select_limit = {max_rows + 1}"
                        )
                        setup.execute("START TRANSACTION READ ONLY")
                    # why: an unbuffered cursor, so only the rows wanted cross the wire
                    cursor = raw.driver_connection.cursor(pymysql.cursors.SSCursor)
                    try:
                        cursor.execute(sql)
                        columns = [d[0] for d in cursor.description or ()]
                        rows = list(cursor.fetchmany(max_rows + 1)) if cursor.description else []
                        if len(rows) > max_rows and cursor.fetchone() is not None:
                            # why: closing the cursor would read every row left first; drop the
                            # connection instead
                            reusable = False
                            _abandon_unbuffered(cursor)
                            raw.invalidate()
                    finally:
                        if reusable:
                            cursor.close()
                    return columns, rows
                finally:
                    if reusable:
                        raw.rollback()
                        with raw.cursor() as reset:
                            reset.execute(
                                f"SET SESSION {no_time_limit}, sql_select_limit = DEFAULT"
                            )
        except (sa.exc.SQLAlchemyError, self._driver_error) as error:
            raise _query_error(error, timeout_s) from None

    # --- PostgreSQL

    def _run_postgres(
        self, sql: str, timeout_s: float, max_rows: int
    ) -> tuple[list[str], Sequence[Sequence[Any]]]:
        self._inspect_server()
        try:
            with self._raw() as raw:
                conn = raw.driver_connection
                try:
                    with conn.cursor() as setup:
                        setup.execute("SET TRANSACTION READ ONLY")
                        setup.execute(
                            f"SET LOCAL statement_timeout = {max(1, round(timeout_s * 1000))}"
                        )
                    # why: DECLARE ... CURSOR FOR takes one SELECT or VALUES, nothing else, and
                    # FETCH brings only the rows wanted
                    with conn.cursor(name="bankchat_query") as cursor:
                        cursor.execute(sql)
                        columns = [d.name for d in cursor.description or ()]
                        rows = cursor.fetchmany(max_rows + 1) if cursor.description else []
                    return columns, rows
                finally:
                    conn.rollback()
        except (sa.exc.SQLAlchemyError, self._driver_error) as error:
            raise _query_error(error, timeout_s) from None

    # --- the end ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections (SQLite keeps none open)."""
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> BankDatabase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _query_error(error: BaseException, timeout_s: float) -> BankQueryError:
    if _is_timeout(error):
        return BankQueryError(_timeout_message(timeout_s))
    return BankQueryError(_driver_message(error))


def _abandon_unbuffered(cursor: Any) -> None:
    """Let a pymysql unbuffered cursor go without reading the rest of its result."""
    result = getattr(cursor, "_result", None)
    if result is not None:
        result.unbuffered_active = False
    cursor.connection = None
