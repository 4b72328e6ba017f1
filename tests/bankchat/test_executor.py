"""The query executor: rows and columns, truncation, JSON-friendly values, and read-only and
time limits that the database connection itself enforces, on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from bankchat.sql.executor import BankDatabase, BankQueryError, QueryOutcome, _jsonable

# --- SQLite --------------------------------------------------------------------------------------


@pytest.fixture
def bank(bank_sqlite: Path) -> Iterator[BankDatabase]:
    db = BankDatabase(str(bank_sqlite))
    yield db
    db.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_query_returns_its_columns_and_its_rows_as_lists(bank: BankDatabase) -> None:
    outcome = bank.run("SELECT loan_id, account_id, amount FROM loan ORDER BY loan_id LIMIT 3")
    assert isinstance(outcome, QueryOutcome)
    assert outcome.columns == ["loan_id", "account_id", "amount"]
    assert len(outcome.rows) == 3
    assert all(isinstance(row, list) and len(row) == 3 for row in outcome.rows)
    assert outcome.rows[0][0] == 4959
    assert outcome.truncated is False
    assert outcome.elapsed_ms >= 0
    assert bank.dialect == "sqlite"


def test_rows_beyond_max_rows_are_cut_off_and_the_outcome_says_so(bank: BankDatabase) -> None:
    many = bank.run("SELECT * FROM trans", max_rows=5)
    assert len(many.rows) == 5 and many.truncated is True
    exact = bank.run("SELECT * FROM loan LIMIT 5", max_rows=5)
    assert len(exact.rows) == 5 and exact.truncated is False
    none = bank.run("SELECT * FROM loan", max_rows=0)
    assert none.rows == [] and none.truncated is True
    assert none.columns[0] == "loan_id"


def test_values_come_back_json_friendly(bank: BankDatabase) -> None:
    outcome = bank.run("SELECT date, payments, X'00ff', NULL FROM loan ORDER BY loan_id LIMIT 1")
    assert outcome.rows == [["1994-01-05", 3373.0, "00ff", None]]
    assert _jsonable(Decimal("12.50")) == 12.5
    assert _jsonable(dt.date(1995, 3, 24)) == "1995-03-24"
    assert _jsonable(dt.datetime(1995, 3, 24, 13, 5)) == "1995-03-24T13:05:00"
    assert _jsonable(b"\x01\xab") == "01ab"
    assert _jsonable(memoryview(b"\x02")) == "02"
    assert _jsonable([Decimal("1.5"), dt.date(2000, 1, 1)]) == [1.5, "2000-01-01"]


def test_tables_names_every_table_with_its_columns_and_is_cached(bank: BankDatabase) -> None:
    tables = bank.tables()
    assert set(tables) == {
        "account",
        "card",
        "client",
        "disp",
        "district",
        "loan",
        "order",
        "trans",
    }
    assert tables["trans"][:3] == ["trans_id", "account_id", "date"]
    assert "A2" in tables["district"]
    assert bank.tables() is tables


def test_a_plain_path_and_a_sqlite_url_open_the_same_database(bank_sqlite: Path) -> None:
    by_url = BankDatabase(f"sqlite:///{bank_sqlite}")
    assert by_url.dialect == "sqlite"
    assert by_url.run("SELECT COUNT(*) FROM client").rows == [[5369]]
    with pytest.raises(FileNotFoundError):
        BankDatabase(str(bank_sqlite.with_name("missing.sqlite3")))


@pytest.mark.parametrize(
    "write",
    [
        "DELETE FROM loan",
        "UPDATE loan SET amount = 0",
        "INSERT INTO loan VALUES (1, 2, '1995-01-01', 3, 12, 4.0, 'A')",
        "DROP TABLE loan",
        "CREATE TABLE stolen (x INTEGER)",
        "CREATE TEMP TABLE scratch (x INTEGER)",
        "ALTER TABLE loan ADD COLUMN x INTEGER",
        "REPLACE INTO loan SELECT * FROM loan",
        "VACUUM",
        "BEGIN IMMEDIATE",
    ],
)
def test_a_write_that_reaches_the_connection_is_refused_and_nothing_changes(
    bank: BankDatabase, bank_sqlite: Path, write: str
) -> None:
    before = _digest(bank_sqlite)
    with pytest.raises(BankQueryError):
        bank._run_unchecked(write, timeout_s=5, max_rows=10)
    with pytest.raises(BankQueryError):
        bank.run(write)
    assert bank.run("SELECT COUNT(*), SUM(amount) FROM loan").rows == [[682, 103261740]]
    assert _digest(bank_sqlite) == before


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH DATABASE '{other}' AS other",
        "ATTACH DATABASE '{bank}' AS copy",
        "PRAGMA writable_schema = ON",
        "PRAGMA query_only = 0",
        "PRAGMA journal_mode = DELETE",
        "UPDATE sqlite_master SET sql = '' WHERE name = 'loan'",
        "DETACH DATABASE main",
    ],
)
def test_attach_and_pragma_writes_are_refused_by_the_connection(
    bank: BankDatabase, bank_sqlite: Path, tmp_path: Path, statement: str
) -> None:
    other = tmp_path / "other.sqlite3"
    sql = statement.format(other=other, bank=bank_sqlite)
    before = _digest(bank_sqlite)
    with pytest.raises(BankQueryError):
        bank._run_unchecked(sql, timeout_s=5, max_rows=10)
    with pytest.raises(BankQueryError):
        bank.run(sql)
    assert not other.exists()
    assert _digest(bank_sqlite) == before
    assert bank.run("SELECT COUNT(*) FROM loan").rows == [[682]]


def test_a_long_query_is_stopped_by_the_timeout(bank: BankDatabase) -> None:
    started = time.monotonic()
    with pytest.raises(BankQueryError) as caught:
        bank.run(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
            "SELECT COUNT(*) FROM n",
            timeout_s=0.5,
        )
    assert caught.value.message == "The query took longer than 0.5 s and was stopped"
    assert time.monotonic() - started < 3
    assert bank.run("SELECT COUNT(*) FROM loan", timeout_s=0.5).rows == [[682]]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; DELETE FROM loan", "one statement"),
        ("SELECT * FROM loan; SELECT * FROM client", "one statement"),
        ("DELETE FROM loan", "read-only"),
        ("PRAGMA table_info(loan)", "read-only"),
        ("SELECT * INTO copy FROM loan", "INTO"),
        ("SELECT load_extension('evil')", "load_extension"),
        ("", "no query"),
        ("  ;  ", "no query"),
        ("SELECT 'unterminated", "could not be read"),
    ],
)
def test_run_refuses_what_is_not_one_query_before_it_reaches_the_database(
    bank: BankDatabase, sql: str, message: str
) -> None:
    with pytest.raises(BankQueryError) as caught:
        bank.run(sql)
    assert message in caught.value.message


def test_one_query_with_comments_and_a_final_semicolon_runs(bank: BankDatabase) -> None:
    assert bank.run("-- how many loans\nSELECT COUNT(*) FROM loan /* all */ ;").rows == [[682]]
    assert bank.run("WITH l AS (SELECT * FROM loan) SELECT COUNT(*) FROM l").rows == [[682]]
    assert bank.run("VALUES (1, 'a')").rows == [[1, "a"]]
    assert bank.run("SELECT 'pg_read_file(' AS text").rows == [["pg_read_file("]]


def test_database_errors_become_short_messages(bank: BankDatabase, bank_sqlite: Path) -> None:
    with pytest.raises(BankQueryError) as caught:
        bank.run("SELECT no_such_column FROM loan")
    message = caught.value.message
    assert "no_such_column" in message
    assert "\n" not in message and "Traceback" not in message and len(message) <= 300
    assert str(caught.value) == message
    assert caught.value.__cause__ is None


def test_queries_run_concurrently_from_worker_threads(bank: BankDatabase) -> None:
    def count(table: str) -> int:
        return int(bank.run(f'SELECT COUNT(*) FROM "{table}"').rows[0][0])

    tables = ["loan", "client", "disp", "district", "card", "order", "account"] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(count, tables))
    expected = {"loan": 682, "client": 5369, "disp": 5369, "district": 77, "card": 892}
    expected |= {"order": 6471, "account": 4500}
    assert counts == [expected[t] for t in tables]


# --- MariaDB and PostgreSQL ---------------------------------------------------------------------

_SLEEP = {"mysql": "SELECT SLEEP(3)", "postgres": "SELECT pg_sleep(3)"}


@pytest.fixture(params=["mysql", "postgres"])
def server(request: pytest.FixtureRequest) -> Iterator[BankDatabase]:
    """The bank on a real server: MariaDB/MySQL, then PostgreSQL."""
    url = request.getfixturevalue(f"bank_{request.param}_url")
    db = BankDatabase(url)
    yield db
    db.close()


def test_a_server_query_returns_columns_rows_and_iso_dates(server: BankDatabase) -> None:
    outcome = server.run(
        "SELECT loan_id, date, payments, amount FROM loan ORDER BY loan_id LIMIT 2", max_rows=10
    )
    assert [c.lower() for c in outcome.columns] == ["loan_id", "date", "payments", "amount"]
    assert outcome.rows[0] == [4959, "1994-01-05", 3373.0, 80952]
    assert outcome.truncated is False
    assert server.dialect in ("mysql", "postgres")
    assert "loan" in server.tables() and "order" in server.tables()


def test_a_server_query_with_more_rows_than_wanted_is_truncated(server: BankDatabase) -> None:
    many = server.run("SELECT * FROM trans ORDER BY trans_id", max_rows=5)
    assert len(many.rows) == 5 and many.truncated is True
    bigger_limit = server.run("SELECT * FROM trans ORDER BY trans_id LIMIT 10000", max_rows=5)
    assert bigger_limit.rows == many.rows and bigger_limit.truncated is True
    exact = server.run("SELECT * FROM loan LIMIT 5", max_rows=5)
    assert len(exact.rows) == 5 and exact.truncated is False
    # the connections left behind still answer, with no row limit of an earlier query
    assert server.run("SELECT COUNT(*) FROM trans", max_rows=1).rows == [[20000]]
    assert len(server.tables()["district"]) == 16


@pytest.mark.parametrize(
    "write",
    [
        "DELETE FROM loan",
        "UPDATE loan SET amount = 0",
        "INSERT INTO loan VALUES (1, 2, '1995-01-01', 3, 12, 4.0, 'A')",
        "DROP TABLE loan",
        "TRUNCATE TABLE loan",
        "CREATE TABLE stolen (x INTEGER)",
        "CREATE TEMPORARY TABLE scratch (x INTEGER)",
        "ALTER TABLE loan ADD COLUMN x INTEGER",
        "SET TRANSACTION READ WRITE",
        "WITH gone AS (DELETE FROM loan RETURNING *) SELECT COUNT(*) FROM gone",
        "SELECT 1; DELETE FROM loan",
    ],
)
def test_a_write_that_reaches_the_server_is_refused_and_nothing_changes(
    server: BankDatabase, write: str
) -> None:
    with pytest.raises(BankQueryError):
        server._run_unchecked(write, timeout_s=5, max_rows=10)
    with pytest.raises(BankQueryError):
        server.run(write)
    assert server.run("SELECT COUNT(*), SUM(amount) FROM loan").rows == [[682, 103261740]]
    assert set(server.tables()) >= {"loan", "trans"}


def test_the_server_session_is_read_only(server: BankDatabase) -> None:
    sql = {
        "mysql": "SELECT @@session.tx_read_only",
        "postgres": "SELECT current_setting('transaction_read_only')",
    }[server.dialect]
    assert server._run_unchecked(sql, timeout_s=5, max_rows=1).rows[0][0] in (1, "on")
    if server.dialect == "postgres":
        with pytest.raises(BankQueryError):
            server._run_unchecked(
                "SELECT set_config('transaction_read_only', 'off', true)", timeout_s=5, max_rows=1
            )


def test_a_long_server_query_is_stopped_by_the_timeout(server: BankDatabase) -> None:
    started = time.monotonic()
    with pytest.raises(BankQueryError) as caught:
        server.run(_SLEEP[server.dialect], timeout_s=1)
    assert caught.value.message == "The query took longer than 1 s and was stopped"
    assert time.monotonic() - started < 2.5
    assert server.run("SELECT COUNT(*) FROM loan", timeout_s=1).rows == [[682]]


def test_server_errors_are_short_and_name_no_credentials(server: BankDatabase) -> None:
    with pytest.raises(BankQueryError) as caught:
        server.run("SELECT no_such_column FROM loan")
    message = caught.value.message
    assert "no_such_column" in message
    assert "\n" not in message and "127.0.0.1" not in message and "://" not in message


def test_server_file_and_setting_functions_are_refused_before_the_server(
    server: BankDatabase,
) -> None:
    for sql in [
        "SELECT pg_read_file('/etc/hostname')",
        "SELECT LOAD_FILE('/etc/hostname')",
        "SELECT 1 INTO OUTFILE '/tmp/bankchat-never-written'",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "SELECT query_to_xml('SELECT 1', true, true, '')",
    ]:
        with pytest.raises(BankQueryError):
            server.run(sql)
    assert not Path("/tmp/bankchat-never-written").exists()


def test_server_queries_run_concurrently_from_worker_threads(server: BankDatabase) -> None:
    def count(_: int) -> int:
        return int(server.run("SELECT COUNT(*) FROM client").rows[0][0])

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(count, range(24))) == [5369] * 24


def test_a_privileged_server_account_is_pointed_out(server: BankDatabase) -> None:
    sql = {
        "mysql": "SELECT CURRENT_USER() LIKE 'root@%'",
        "postgres": "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
    }[server.dialect]
    privileged = bool(server.run(sql).rows[0][0])
    assert (server.privilege_warning is not None) == privileged
    if privileged:
        assert "only SELECT" in str(server.privilege_warning)
