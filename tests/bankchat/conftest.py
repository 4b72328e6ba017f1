"""Shared bank fixtures: the SQLite bank database, and the bank loaded into real MariaDB and
PostgreSQL servers (skipped, with the reason, where no server answers).

Servers come from ``BANKCHAT_TEST_MYSQL_URL`` and ``BANKCHAT_TEST_POSTGRES_URL``. Each test run
loads into its own database (MariaDB) or schema (PostgreSQL), ``bankchat_test_<pid>``, and drops
it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bankchat.bankdb.build import build_sqlite
from bankchat.bankdb.load import load_database
from livebase import Runtime
from tests.bankchat.appsupport import bank_runtime

MYSQL_URL = os.environ.get("BANKCHAT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get(
    "BANKCHAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TRANS_LIMIT = 20_000
# A stale table of a bank table's name, loaded over: load_database must replace it.
_STALE_LOAN = "CREATE TABLE loan (stale_marker INTEGER)"


@pytest.fixture(scope="session")
def bank_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole SQLite bank database (all of trans), built once per test session."""
    return build_sqlite(tmp_path_factory.mktemp("bankdb") / "bank.sqlite3", progress=False)


def _server_engine(url: sa.URL, what: str) -> sa.Engine:
    engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        message = f"no {what} at {url.render_as_string(hide_password=True)}: {reason}"
        if os.environ.get("REQUIRE_DB_SERVERS") == "1":
            pytest.fail(f"REQUIRE_DB_SERVERS=1 but {message}")  # CI must run these
        pytest.skip(message)
    return engine


def _run_name() -> str:
    return f"bankchat_test_{os.getpid()}"


@pytest.fixture(scope="session")
def bank_mysql_url() -> Iterator[str]:
    """A MariaDB/MySQL database of its own holding the bank (trans: its first 20,000 rows)."""
    root = sa.make_url(MYSQL_URL)
    engine = _server_engine(root, "MariaDB/MySQL server")
    name = _run_name()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
        conn.exec_driver_sql(f"USE `{name}`")
        conn.exec_driver_sql(_STALE_LOAN)
        conn.commit()
    url = root.set(database=name).render_as_string(hide_password=False)
    try:
        load_database(url, progress=False, trans_limit=TRANS_LIMIT)
        yield url
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
            conn.commit()
        engine.dispose()


@pytest.fixture(scope="session")
def bank_postgres_url() -> Iterator[str]:
    """A PostgreSQL schema of its own holding the bank (trans: its first 20,000 rows)."""
    root = sa.make_url(POSTGRES_URL)
    engine = _server_engine(root, "PostgreSQL server")
    name = _run_name()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        conn.exec_driver_sql(f'SET search_path TO "{name}"')
        conn.exec_driver_sql(_STALE_LOAN)
        conn.commit()
    url = root.update_query_dict({"options": f"-csearch_path={name}"})
    text = url.render_as_string(hide_password=False)
    try:
        load_database(text, progress=False, trans_limit=TRANS_LIMIT)
        yield text
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            conn.commit()
        engine.dispose()


@pytest.fixture
def bank(bank_sqlite: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Runtime]:
    """A bankchat deployment over the test bank database, with the demo users."""
    yield from bank_runtime(bank_sqlite, monkeypatch, tmp_path / "data")
