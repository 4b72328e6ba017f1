"""The PostgreSQL server livebase's own tests store deployments in.

``LIVEBASE_TEST_POSTGRES_URL`` names it (default: the local server, database ``test``). Each
deployment gets a schema of its own (``?schema=lb_<name>``), dropped afterwards. Where no
server answers, the tests that need one are skipped with the reason, or fail when
``REQUIRE_DB_SERVERS=1`` (CI must run them).
"""

from __future__ import annotations

import functools
import os
import uuid

import pytest

POSTGRES_URL = os.environ.get(
    "LIVEBASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@functools.cache
def _server_problem() -> str | None:
    import psycopg

    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=5).close()
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no PostgreSQL server at {POSTGRES_URL}: {reason}"
    return None


def require_postgres() -> str:
    """The server's URL; skips (or fails under REQUIRE_DB_SERVERS=1) when none answers."""
    problem = _server_problem()
    if problem is not None:
        if os.environ.get("REQUIRE_DB_SERVERS") == "1":
            pytest.fail(f"REQUIRE_DB_SERVERS=1 but {problem}")
        pytest.skip(problem)
    return POSTGRES_URL


def new_schema() -> str:
    return f"lb_{uuid.uuid4().hex[:16]}"


def deployment_url(schema: str) -> str:
    """The URL of a deployment in ``schema`` on the test server."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{require_postgres()}{sep}schema={schema}"


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
