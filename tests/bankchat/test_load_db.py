"""Loading the bank into MariaDB and PostgreSQL gives the same data as the SQLite build, and the
same answers to queries transpiled from SQLite; finding or building the SQLite copy."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot

from bankchat.bankdb import load as load_module
from bankchat.bankdb.build import TABLE_ORDER
from bankchat.bankdb.load import data_url, default_sqlite_path, ensure_sqlite, load_database
from bankchat.sql.executor import BankDatabase

from .conftest import TRANS_LIMIT

_PRIMARY_KEYS = {
    "district": "district_id",
    "account": "account_id",
    "client": "client_id",
    "disp": "disp_id",
    "card": "card_id",
    "loan": "loan_id",
    "order": "order_id",
}


@pytest.fixture(scope="module")
def reference(bank_sqlite: Path) -> Iterator[BankDatabase]:
    db = BankDatabase(str(bank_sqlite))
    yield db
    db.close()


@pytest.fixture(scope="module", params=["mysql", "postgres"])
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[str, BankDatabase]]:
    """(url, executor) of the bank loaded into MariaDB/MySQL, then PostgreSQL."""
    url = request.getfixturevalue(f"bank_{request.param}_url")
    db = BankDatabase(url)
    yield url, db
    db.close()


def _same(left: list[list[Any]], right: list[list[Any]]) -> bool:
    """Equal rows; numbers to 1e-6 relative: DECIMAL sums are exact where SQLite's REAL sums are
    not, and MariaDB gives AVG and ``/`` only 4 more decimals (``div_precision_increment``)."""
    if len(left) != len(right):
        return False
    for row_a, row_b in zip(left, right, strict=True):
        if len(row_a) != len(row_b):
            return False
        for a, b in zip(row_a, row_b, strict=True):
            if isinstance(a, int | float) and isinstance(b, int | float):
                if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9):
                    return False
            elif a != b:
                return False
    return True


def _quoted(table: str) -> str:
    return f'"{table}"'


def test_the_seven_shipped_tables_hold_the_same_rows_as_in_sqlite(
    loaded: tuple[str, BankDatabase], reference: BankDatabase
) -> None:
    _, db = loaded
    for table, key in _PRIMARY_KEYS.items():
        sql = f"SELECT * FROM {_quoted(table)} ORDER BY {key}"
        server_sql = sqlglot.transpile(sql, read="sqlite", write=db.dialect)[0]
        expected = reference.run(sql, max_rows=10_000)
        got = db.run(server_sql, max_rows=10_000)
        assert len(got.rows) == len(expected.rows) > 0, table
        assert [c.lower() for c in got.columns] == [c.lower() for c in expected.columns]
        assert _same(got.rows, expected.rows), table


def test_trans_limit_loads_the_first_rows_of_trans_as_in_sqlite(
    loaded: tuple[str, BankDatabase], reference: BankDatabase
) -> None:
    _, db = loaded
    sql = f"SELECT * FROM trans ORDER BY trans_id LIMIT {TRANS_LIMIT + 1}"
    got = db.run(sql, max_rows=TRANS_LIMIT + 1)
    expected = reference.run(sql, max_rows=TRANS_LIMIT)
    assert len(got.rows) == TRANS_LIMIT and got.truncated is False
    assert _same(got.rows, expected.rows)


def test_the_tables_have_dates_decimals_keys_and_indexes(loaded: tuple[str, BankDatabase]) -> None:
    url, db = loaded
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        inspector = sa.inspect(engine)
        assert set(TABLE_ORDER) <= set(inspector.get_table_names())
        columns = {c["name"].lower(): c["type"] for c in inspector.get_columns("district")}
        assert isinstance(columns["a13"], sa.Numeric) and columns["a13"].scale == 2
        assert isinstance(columns["a4"], sa.String)
        loan = {c["name"]: c["type"] for c in inspector.get_columns("loan")}
        assert isinstance(loan["date"], sa.Date) and not isinstance(loan["date"], sa.DateTime)
        assert "stale_marker" not in loan  # the stale table of the fixture was replaced
        assert inspector.get_pk_constraint("trans")["constrained_columns"] == ["trans_id"]
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("trans")}
        assert indexes["trans_account_date"] == ["account_id", "date"]
        assert "order_account" in {i["name"] for i in inspector.get_indexes("order")}
        foreign = {
            (fk["constrained_columns"][0], fk["referred_table"])
            for fk in inspector.get_foreign_keys("disp")
        }
        assert foreign == {("client_id", "client"), ("account_id", "account")}
    finally:
        engine.dispose()
    assert db.tables()["district"][1].lower() == "a2"


# Written for SQLite, as the gold queries are; run on each server through sqlglot. {last} is
# the last trans_id loaded, so trans queries see the same rows everywhere.
QUERIES = [
    "SELECT COUNT(*) FROM client WHERE gender = 'F'",
    "SELECT SUM(amount), COUNT(*), AVG(duration) FROM loan WHERE status = 'A'",
    "SELECT T1.A2, COUNT(T2.account_id) AS n FROM district AS T1 "
    "JOIN account AS T2 ON T1.district_id = T2.district_id "
    "GROUP BY T1.A2 ORDER BY n DESC, T1.A2 LIMIT 5",
    "SELECT COUNT(DISTINCT T1.client_id) FROM client AS T1 "
    "JOIN disp AS T2 ON T1.client_id = T2.client_id "
    "JOIN loan AS T3 ON T2.account_id = T3.account_id "
    "WHERE T2.type = 'OWNER' AND T3.status = 'D'",
    "SELECT T2.A3, COUNT(*) FROM card AS T1 JOIN disp AS T3 ON T1.disp_id = T3.disp_id "
    "JOIN client AS T4 ON T3.client_id = T4.client_id "
    "JOIN district AS T2 ON T4.district_id = T2.district_id "
    "WHERE T1.issued >= '1997-01-01' GROUP BY T2.A3 ORDER BY T2.A3",
    "SELECT COUNT(*) FROM account "
    "WHERE STRFTIME('%Y', date) = '1996' AND frequency = 'POPLATEK TYDNE'",
    "SELECT COUNT(*) FROM loan WHERE date BETWEEN '1997-01-01' AND '1997-12-31'",
    "SELECT type, COUNT(*) AS n FROM card GROUP BY type ORDER BY n DESC",
    "SELECT AVG(A13), MAX(A12), MIN(A10) FROM district WHERE A3 = 'north Moravia'",
    "SELECT A2 FROM district WHERE CAST(A4 AS INTEGER) > 200000 ORDER BY A2",
    "SELECT CAST(SUM(CASE WHEN gender = 'F' THEN 1 ELSE 0 END) AS REAL) * 100 / COUNT(*) "
    "FROM client",
    'SELECT k_symbol, SUM(amount), COUNT(*) FROM "order" GROUP BY k_symbol ORDER BY k_symbol',
    "SELECT k_symbol, COUNT(*), SUM(amount) FROM trans WHERE trans_id <= {last} "
    "GROUP BY k_symbol ORDER BY k_symbol",
    "SELECT STRFTIME('%Y-%m', date) AS month, COUNT(*), SUM(amount) FROM trans "
    "WHERE trans_id <= {last} GROUP BY month ORDER BY month",
    "SELECT account_id, MAX(balance) FROM trans WHERE trans_id <= {last} "
    "AND date < '1993-03-01' GROUP BY account_id ORDER BY 2 DESC, 1 LIMIT 5",
    "SELECT client_id, birth_date FROM client WHERE gender = 'M' ORDER BY birth_date LIMIT 3",
    "SELECT COUNT(*) FROM client WHERE CAST(STRFTIME('%Y', birth_date) AS INTEGER) < 1950",
    "SELECT loan_id, payments FROM loan WHERE payments > 9000 ORDER BY payments DESC, loan_id",
]


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{n:02d}" for n in range(len(QUERIES))])
def test_queries_transpiled_from_sqlite_give_the_same_results(
    loaded: tuple[str, BankDatabase], reference: BankDatabase, query: str
) -> None:
    _, db = loaded
    last = db.run("SELECT MAX(trans_id) FROM trans").rows[0][0]
    sql = query.format(last=last)
    expected = reference.run(sql)
    got = db.run(sqlglot.transpile(sql, read="sqlite", write=db.dialect)[0])
    assert expected.rows, "the query should find something"
    assert _same(got.rows, expected.rows), (got.rows[:5], expected.rows[:5])


def test_load_database_refuses_sqlite_urls(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="build_sqlite"):
        load_database(f"sqlite:///{tmp_path / 'x.sqlite3'}", progress=False, trans_limit=10)


# --- the SQLite copy -----------------------------------------------------------------------------


def test_the_default_sqlite_path_is_under_livebase_unless_the_env_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BANKCHAT_DB_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_sqlite_path() == tmp_path / ".livebase" / "bank.sqlite3"
    monkeypatch.setenv("BANKCHAT_DB_PATH", str(tmp_path / "elsewhere.db"))
    assert default_sqlite_path() == tmp_path / "elsewhere.db"


def test_ensure_sqlite_builds_a_missing_database_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    built: list[Path] = []

    def fake_build(path: Path, progress: bool = True) -> Path:
        built.append(Path(path))
        Path(path).write_bytes(b"bank")
        return Path(path)

    monkeypatch.setattr(load_module, "build_sqlite", fake_build)
    target = tmp_path / "sub" / "bank.sqlite3"
    assert ensure_sqlite(target, progress=False) == target
    assert ensure_sqlite(target, progress=False) == target
    assert built == [target]
    monkeypatch.setenv("BANKCHAT_DB_PATH", str(tmp_path / "default.sqlite3"))
    assert ensure_sqlite(progress=False) == tmp_path / "default.sqlite3"
    assert len(built) == 2


def test_data_url_is_the_env_url_or_else_the_sqlite_path(
    monkeypatch: pytest.MonkeyPatch, bank_sqlite: Path
) -> None:
    monkeypatch.setenv("BANKCHAT_DATA_URL", "postgresql+psycopg://bank@db.example/bank")
    assert data_url() == "postgresql+psycopg://bank@db.example/bank"
    monkeypatch.delenv("BANKCHAT_DATA_URL")
    monkeypatch.setenv("BANKCHAT_DB_PATH", str(bank_sqlite))
    assert data_url() == str(bank_sqlite.resolve())
    assert BankDatabase(data_url()).run("SELECT COUNT(*) FROM loan").rows == [[682]]
