"""The SQL guard against hostile input, and on legitimate queries against a populated database.

hostile.jsonl holds one hostile statement a line with the GuardError code it must be refused
with. The rest checks that legitimate queries pass and come back rewritten: row conditions
applied (through aliases, joins, subqueries, CTEs and unions), the row cap, quoting, output that
parses in its dialect, and results equal to the original query's where no condition applies.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from bankchat.bankdb.build import DDL, TABLE_ORDER, load_shipped
from bankchat.sql.guard import GuardedSql, GuardError, Policy, SqlGuard

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile.jsonl"
DIALECTS = ("sqlite", "mysql", "postgres")
ROW_LIMIT = 1000
CODES = {
    "empty",
    "parse_error",
    "multiple_statements",
    "not_a_query",
    "write_refused",
    "function_refused",
    "catalog_refused",
    "schema_refused",
    "unknown_table",
    "unknown_column",
    "table_denied",
    "column_denied",
    "too_complex",
    "cte_shadows_table",
    "unsupported",
}


def _schema() -> dict[str, list[str]]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(DDL)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    schema = {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    conn.close()
    return schema


SCHEMA = _schema()
GUARDS = {dialect: SqlGuard(SCHEMA, dialect, row_limit=ROW_LIMIT) for dialect in DIALECTS}

# --- the roles ----------------------------------------------------------------------------------
DISTRICT = 1
ACCOUNTS = f"account_id IN (SELECT account_id FROM account WHERE district_id = {DISTRICT})"
TELLER = Policy(
    name="teller",
    denied_columns=frozenset({("client", "birth_date")}),
    row_filters={
        "account": f"district_id = {DISTRICT}",
        "client": f"district_id = {DISTRICT}",
        "loan": ACCOUNTS,
        "trans": ACCOUNTS,
        "order": ACCOUNTS,
        "disp": ACCOUNTS,
        "card": f"disp_id IN (SELECT disp_id FROM disp WHERE {ACCOUNTS})",
    },
)
ANALYST = Policy(name="analyst")
AUDITOR = Policy(name="auditor", allowed_tables=frozenset({"district", "account"}))
POLICIES = {"teller": TELLER, "analyst": ANALYST, "auditor": AUDITOR}


def check(sql: str, policy: Policy = ANALYST, dialect: str = "sqlite", **kw: Any) -> GuardedSql:
    return GUARDS[dialect].check(sql, policy, **kw)


# --- a populated database -----------------------------------------------------------------------
def _synthetic_trans(accounts: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Three transactions per account (the real trans table is generated, ~15 s; not needed)."""
    rows: list[tuple[Any, ...]] = []
    for i, account in enumerate(accounts):
        for k in range(3):
            kind = ("PRIJEM", "VYDAJ", "VYBER")[k]
            amount = 100 * (i % 37 + k + 1)
            row = (
                len(rows) + 1,
                account[0],
                f"199{5 + k}-0{k + 1}-1{i % 9}",
                kind,
                None,
                amount,
                1000 + i,
                None,
                None,
                None,
            )
            rows.append(row)
    return rows


def _bank_rows() -> dict[str, list[tuple[Any, ...]]]:
    tables = {name: [tuple(r) for r in rows] for name, rows in load_shipped().items()}
    tables["trans"] = _synthetic_trans(tables["account"])
    return tables


@pytest.fixture(scope="session")
def bank_rows() -> dict[str, list[tuple[Any, ...]]]:
    return _bank_rows()


@pytest.fixture(scope="session")
def bank_db(tmp_path_factory: pytest.TempPathFactory, bank_rows: dict[str, Any]) -> Path:
    """The seven shipped Berka tables plus a small trans table, in SQLite."""
    path = tmp_path_factory.mktemp("guard") / "bank.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(DDL)
    for name in TABLE_ORDER:
        rows = bank_rows[name]
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def db(bank_db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{bank_db}?mode=ro", uri=True)
    yield conn
    conn.close()


def rows_of(conn: sqlite3.Connection, sql: str) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(r) for r in conn.execute(sql).fetchall())


# --- hostile input ------------------------------------------------------------------------------
def _hostile() -> list[dict[str, str]]:
    with HOSTILE.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


HOSTILE_CASES = _hostile()


def test_the_hostile_file_is_well_formed() -> None:
    ids = [case["id"] for case in HOSTILE_CASES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)
    for case in HOSTILE_CASES:
        assert set(case) == {"id", "sql", "dialect", "policy", "expect_code", "why"}, case["id"]
        assert case["dialect"] in DIALECTS, case["id"]
        assert case["policy"] in POLICIES, case["id"]
        assert case["expect_code"] in CODES, case["id"]
    categories = {case["id"].rsplit("-", 1)[0] for case in HOSTILE_CASES}
    assert {
        "stack",
        "write",
        "ddl",
        "into",
        "func",
        "catalog",
        "table",
        "column",
        "comment",
        "glyph",
        "nest",
        "empty",
        "text",
        "inject",
        "cte",
        "alias",
        "odd",
    } <= categories


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c["id"] for c in HOSTILE_CASES])
def test_hostile_input_is_refused(case: dict[str, str]) -> None:
    with pytest.raises(GuardError) as refused:
        check(case["sql"], POLICIES[case["policy"]], case["dialect"])
    assert refused.value.code == case["expect_code"], refused.value.reason
    assert refused.value.reason


_NESTINGS = {
    "parens": lambda n: "SELECT " + "(" * n + "1" + ")" * n,
    "derived": lambda n: "SELECT * FROM " + "(SELECT * FROM " * n + "account" + ") AS x" * n,
    "scalar": lambda n: "SELECT " + "(SELECT " * n + "1" + ")" * n,
    "case": lambda n: "SELECT " + "CASE WHEN 1 = 1 THEN " * n + "1" + " END" * n,
    "not": lambda n: "SELECT " + "NOT " * n + "1",
    "calls": lambda n: "SELECT " + "abs(" * n + "account_id" + ")" * n + " FROM account",
    "or": lambda n: (
        "SELECT * FROM account WHERE " + " OR ".join(f"account_id = {i}" for i in range(n))
    ),
    "plus": lambda n: "SELECT " + " + ".join(["account_id"] * n) + " FROM account",
    "union": lambda n: " UNION ".join(["SELECT account_id FROM account"] * n),
    "ctes": lambda n: (
        "WITH "
        + ", ".join(
            f"c{i} AS (SELECT * FROM {'account' if i == 0 else f'c{i - 1}'})" for i in range(n)
        )
        + f" SELECT * FROM c{n - 1}"
    ),
    "joins": lambda n: (
        "SELECT count(*) FROM account a0 "
        + " ".join(
            f"JOIN account a{i} ON a{i}.account_id = a{i - 1}.account_id" for i in range(1, n)
        )
    ),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shape", sorted(_NESTINGS))
def test_long_and_deep_input_never_crashes_and_is_deterministic(shape: str) -> None:
    """At every size the guard accepts or refuses (too_complex), the same way every time."""
    for n in (1, 2, 5, 10, 20, 30, 45, 60, 100, 150, 199, 250, 500, 1000):
        sql = _NESTINGS[shape](n)
        outcomes = []
        for _ in range(2):
            try:
                outcomes.append(("ok", check(sql, TELLER).sql))
            except GuardError as error:
                outcomes.append(("refused", error.code))
        assert outcomes[0] == outcomes[1], (shape, n)
        kind, detail = outcomes[0]
        if kind == "refused":
            assert detail == "too_complex", (shape, n, detail)
        else:
            assert len(sqlglot.parse(detail, read="sqlite")) == 1


# --- legitimate queries: row conditions ---------------------------------------------------------
def test_teller_count_of_accounts_is_the_district_count(db: sqlite3.Connection) -> None:
    guarded = check("SELECT COUNT(*) FROM account", TELLER)
    (teller,) = db.execute(guarded.sql).fetchone()
    (district,) = db.execute(
        "SELECT COUNT(*) FROM account WHERE district_id = ?", (DISTRICT,)
    ).fetchone()
    (everyone,) = db.execute("SELECT COUNT(*) FROM account").fetchone()
    assert teller == district
    assert 0 < teller < everyone


_D1 = f"SELECT account_id FROM account WHERE district_id = {DISTRICT}"
# (the teller's query, the same question with district 1 spelled out by hand)
FILTER_CASES = [
    (
        "SELECT COUNT(*) FROM account AS a",
        f"SELECT COUNT(*) FROM account WHERE district_id = {DISTRICT}",
    ),
    (
        "SELECT COUNT(*) FROM Account A WHERE A.frequency = 'POPLATEK MESICNE'",
        f"SELECT COUNT(*) FROM account WHERE district_id = {DISTRICT}"
        " AND frequency = 'POPLATEK MESICNE'",
    ),
    (
        "SELECT COUNT(*) FROM loan l JOIN account a ON a.account_id = l.account_id",
        f"SELECT COUNT(*) FROM loan WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT COUNT(*) FROM account a LEFT JOIN loan l ON l.account_id = a.account_id",
        "SELECT COUNT(*) FROM account a LEFT JOIN loan l ON l.account_id = a.account_id"
        f" WHERE a.district_id = {DISTRICT}",
    ),
    (
        "SELECT COUNT(*) FROM trans WHERE account_id IN (SELECT account_id FROM account)",
        f"SELECT COUNT(*) FROM trans WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT COUNT(*) FROM (SELECT * FROM account) AS x",
        f"SELECT COUNT(*) FROM account WHERE district_id = {DISTRICT}",
    ),
    (
        "SELECT COUNT(*) FROM (SELECT client_id, gender FROM client) AS c",
        f"SELECT COUNT(*) FROM client WHERE district_id = {DISTRICT}",
    ),
    (
        "WITH l AS (SELECT * FROM loan WHERE amount > 0) SELECT COUNT(*), SUM(amount) FROM l",
        f"SELECT COUNT(*), SUM(amount) FROM loan WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT account_id FROM account UNION SELECT account_id FROM disp",
        f"SELECT account_id FROM account WHERE district_id = {DISTRICT}",
    ),
    (
        "SELECT COUNT(*) FROM (SELECT client_id AS id FROM client"
        " UNION ALL SELECT account_id FROM account) AS u",
        f"SELECT (SELECT COUNT(*) FROM client WHERE district_id = {DISTRICT})"
        f" + (SELECT COUNT(*) FROM account WHERE district_id = {DISTRICT})",
    ),
    (
        "SELECT COUNT(*) FROM card",
        f"SELECT COUNT(*) FROM card WHERE disp_id IN"
        f" (SELECT disp_id FROM disp WHERE account_id IN ({_D1}))",
    ),
    (
        'SELECT COUNT(*), SUM(o.amount) FROM "order" AS o',
        f'SELECT COUNT(*), SUM(amount) FROM "order" WHERE account_id IN ({_D1})',
    ),
    (
        "SELECT COUNT(*) FROM district d WHERE EXISTS"
        " (SELECT 1 FROM client c WHERE c.district_id = d.district_id)",
        f"SELECT COUNT(*) FROM district WHERE district_id = {DISTRICT}",
    ),
    (
        "SELECT (SELECT COUNT(*) FROM trans) AS n",
        f"SELECT COUNT(*) FROM trans WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT a.account_id, (SELECT COUNT(*) FROM trans t WHERE t.account_id = a.account_id)"
        " FROM account a",
        "SELECT a.account_id, (SELECT COUNT(*) FROM trans t WHERE t.account_id = a.account_id)"
        f" FROM account a WHERE a.district_id = {DISTRICT}",
    ),
    (
        "SELECT d.A2, COUNT(*) FROM client c JOIN district d USING (district_id) GROUP BY d.A2",
        "SELECT d.A2, COUNT(*) FROM client c JOIN district d USING (district_id)"
        f" WHERE c.district_id = {DISTRICT} GROUP BY d.A2",
    ),
    (
        "SELECT COUNT(*) FROM account a1 JOIN account a2 ON a2.account_id = a1.account_id",
        f"SELECT COUNT(*) FROM account WHERE district_id = {DISTRICT}",
    ),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3)"
        " SELECT COUNT(*) FROM r JOIN loan ON 1 = 1",
        f"SELECT 3 * COUNT(*) FROM loan WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT gender, COUNT(*) FROM client GROUP BY gender HAVING COUNT(*) > 0",
        f"SELECT gender, COUNT(*) FROM client WHERE district_id = {DISTRICT} GROUP BY gender",
    ),
    (
        "SELECT COUNT(*) FROM trans t WHERE EXISTS"
        " (SELECT 1 FROM account a WHERE a.account_id = t.account_id)",
        f"SELECT COUNT(*) FROM trans WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT COUNT(*) FROM (account a JOIN loan l ON l.account_id = a.account_id)",
        f"SELECT COUNT(*) FROM loan WHERE account_id IN ({_D1})",
    ),
    (
        "SELECT COUNT(*) FROM ((loan l JOIN account a ON a.account_id = l.account_id)"
        " JOIN disp x ON x.account_id = a.account_id)",
        "SELECT COUNT(*) FROM loan l JOIN disp x ON x.account_id = l.account_id"
        f" WHERE l.account_id IN ({_D1})",
    ),
    (
        "WITH t AS (SELECT account_id FROM trans), a AS (SELECT account_id FROM account)"
        " SELECT COUNT(*) FROM t JOIN a ON a.account_id = t.account_id",
        f"SELECT COUNT(*) FROM trans WHERE account_id IN ({_D1})",
    ),
]


@pytest.mark.parametrize(("sql", "reference"), FILTER_CASES, ids=range(len(FILTER_CASES)))
def test_row_conditions_survive_every_shape_of_query(
    db: sqlite3.Connection, sql: str, reference: str
) -> None:
    guarded = check(sql, TELLER)
    expected = rows_of(db, reference)
    assert sum(expected.values()) <= ROW_LIMIT
    assert rows_of(db, guarded.sql) == expected, guarded.sql


@pytest.fixture(scope="session")
def teller_db(tmp_path_factory: pytest.TempPathFactory, bank_db: Path) -> Path:
    """A copy of the bank holding only the teller's rows: what the teller should see."""
    path = tmp_path_factory.mktemp("teller") / "teller.sqlite3"
    source = sqlite3.connect(bank_db)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    # account last: the other tables' conditions read it
    order = sorted(TELLER.row_filters, key=lambda table: table == "account")
    target.executescript(
        ";\n".join(f'DELETE FROM "{t}" WHERE NOT ({TELLER.row_filters[t]})' for t in order)
    )
    target.commit()
    target.close()
    return path


def _bench_queries() -> list[str]:
    bench = HERE.parents[1] / "bench" / "bankchat" / "questions.jsonl"
    if not bench.exists():
        return []
    with bench.open(encoding="utf-8") as handle:
        return [json.loads(line)["sql"] for line in handle if line.strip()]


def _rounded(rows: Counter[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    return Counter(
        {tuple(round(v, 6) if isinstance(v, float) else v for v in r): n for r, n in rows.items()}
    )


def test_teller_sees_what_a_database_of_only_the_tellers_rows_holds(
    db: sqlite3.Connection, teller_db: Path
) -> None:
    """Every accepted teller query, rewritten and run on the whole bank, answers as the
    query itself does on a copy holding only the teller's rows (no LIMIT, so no row choice)."""
    mine = sqlite3.connect(f"file:{teller_db}?mode=ro", uri=True)
    guard = SqlGuard(SCHEMA, "sqlite", row_limit=10**9)
    compared = 0
    for sql in [q for q, _ in FILTER_CASES] + PORTABLE_SQLITE + ANALYST_QUERIES + _bench_queries():
        if re.search(r"\b(LIMIT|OFFSET)\b", sql, re.IGNORECASE):
            continue
        try:
            guarded = guard.check(sql, TELLER)
        except GuardError:
            continue
        assert _rounded(rows_of(db, guarded.sql)) == _rounded(rows_of(mine, sql)), sql
        compared += 1
    mine.close()
    assert compared >= len(FILTER_CASES)


def test_every_real_reference_to_a_filtered_table_is_wrapped() -> None:
    sql = (
        "WITH x AS (SELECT account_id FROM trans) SELECT a.account_id FROM account a"
        " JOIN loan l ON l.account_id = a.account_id"
        " WHERE a.account_id IN (SELECT account_id FROM x UNION SELECT account_id FROM disp)"
        ' AND EXISTS (SELECT 1 FROM "order" o WHERE o.account_id = a.account_id)'
    )
    out = sqlglot.parse_one(check(sql, TELLER).sql, read="sqlite")
    for table in out.find_all(exp.Table):
        if table.name in TELLER.row_filters and table.name != "account":
            subquery = table.find_ancestor(exp.Subquery)
            assert subquery is not None and subquery.find(exp.Where) is not None, table.sql()
    wrapped = {t.name for t in out.find_all(exp.Table) if t.this.quoted}
    assert wrapped == {"trans", "account", "loan", "disp", "order"}


def test_every_filtered_table_is_restricted(db: sqlite3.Connection) -> None:
    for table in TELLER.row_filters:
        guarded = check(f'SELECT COUNT(*) FROM "{table}" AS x', TELLER)
        (count,) = db.execute(guarded.sql).fetchone()
        (everything,) = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
        assert 0 < count < everything, table


# --- legitimate queries: the row cap -------------------------------------------------------------
def _limit_of(sql: str, dialect: str = "sqlite") -> int | None:
    tree = sqlglot.parse_one(sql, read=dialect)
    node = tree.args.get("limit")
    if node is None:
        return None
    value = node.args.get("count") if isinstance(node, exp.Fetch) else node.expression
    assert isinstance(value, exp.Literal), sql
    return int(value.this)


def test_the_row_cap_wraps_a_union(db: sqlite3.Connection) -> None:
    guarded = check("SELECT account_id FROM account UNION ALL SELECT account_id FROM disp")
    tree = sqlglot.parse_one(guarded.sql, read="sqlite")
    assert isinstance(tree, exp.Select)
    assert isinstance(tree.args["from_"].this, exp.Subquery)
    assert isinstance(tree.args["from_"].this.this, exp.Union)
    assert _limit_of(guarded.sql) == ROW_LIMIT
    assert len(db.execute(guarded.sql).fetchall()) == ROW_LIMIT


def test_the_row_cap_lowers_a_larger_limit_and_keeps_a_smaller_one(
    db: sqlite3.Connection,
) -> None:
    larger = check("SELECT * FROM trans ORDER BY trans_id LIMIT 5000")
    assert _limit_of(larger.sql) == ROW_LIMIT
    assert len(db.execute(larger.sql).fetchall()) == ROW_LIMIT
    smaller = check("SELECT * FROM trans ORDER BY trans_id LIMIT 7 OFFSET 3")
    assert _limit_of(smaller.sql) == 7
    assert [r[0] for r in db.execute(smaller.sql)] == list(range(4, 11))
    uncapped = check("SELECT * FROM trans")
    assert _limit_of(uncapped.sql) == ROW_LIMIT
    computed = check("SELECT * FROM trans LIMIT (SELECT 100000)")
    assert _limit_of(computed.sql) == ROW_LIMIT
    asked = check("SELECT * FROM trans LIMIT 500", row_limit=50)
    assert (asked.row_limit, _limit_of(asked.sql)) == (50, 50)
    above = check("SELECT * FROM trans", row_limit=10**6)
    assert (above.row_limit, _limit_of(above.sql)) == (ROW_LIMIT, ROW_LIMIT)
    union = check("SELECT account_id FROM account UNION SELECT account_id FROM loan LIMIT 3")
    assert len(db.execute(union.sql).fetchall()) == 3


def test_the_row_cap_reads_fetch_first() -> None:
    kept = check(
        "SELECT * FROM account ORDER BY account_id FETCH FIRST 5 ROWS ONLY", dialect="postgres"
    )
    assert _limit_of(kept.sql, "postgres") == 5
    lowered = check("SELECT * FROM account FETCH FIRST 5000 ROWS ONLY", dialect="postgres")
    assert _limit_of(lowered.sql, "postgres") == ROW_LIMIT


# --- legitimate queries: output ------------------------------------------------------------------
PORTABLE = [
    "SELECT COUNT(*) FROM account",
    "SELECT a.account_id, a.frequency FROM account AS a WHERE a.district_id < 10",
    "SELECT d.A2, COUNT(*) AS n FROM client c JOIN district d ON d.district_id = c.district_id"
    " GROUP BY d.A2 ORDER BY n DESC LIMIT 5",
    "SELECT o.k_symbol, SUM(o.amount) FROM {order} AS o GROUP BY o.k_symbol",
    "SELECT COUNT(*) FROM {order}",
    "WITH big AS (SELECT account_id, amount FROM loan WHERE amount > 100000)"
    " SELECT COUNT(*) FROM big JOIN account a ON a.account_id = big.account_id",
    "SELECT account_id FROM loan UNION SELECT account_id FROM {order}",
    "SELECT l.loan_id FROM loan l WHERE EXISTS"
    " (SELECT 1 FROM disp x WHERE x.account_id = l.account_id AND x.type = 'OWNER')",
    "SELECT c.type, COUNT(*) FROM card c JOIN disp x ON x.disp_id = c.disp_id GROUP BY c.type",
    "SELECT account_id, amount, RANK() OVER (PARTITION BY account_id ORDER BY amount DESC)"
    " FROM trans",
    "SELECT CASE WHEN amount > 1000 THEN 'big' ELSE 'small' END AS size, COUNT(*)"
    " FROM trans GROUP BY 1",
    "SELECT * FROM (SELECT account_id FROM account WHERE frequency = 'POPLATEK TYDNE') AS w",
]
_ORDER = {"sqlite": '"order"', "postgres": '"order"', "mysql": "`order`"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_output_parses_in_its_dialect_and_passes_the_guard_again(dialect: str) -> None:
    for template in PORTABLE:
        sql = template.format(order=_ORDER[dialect])
        for policy in (TELLER, ANALYST):
            out = check(sql, policy, dialect).sql
            statements = sqlglot.parse(out, read=dialect)
            assert len(statements) == 1 and isinstance(statements[0], exp.Query), out
            again = check(out, ANALYST, dialect)
            assert _limit_of(again.sql, dialect) is not None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_order_table_stays_quoted(dialect: str) -> None:
    quoted = _ORDER[dialect]
    for policy in (TELLER, ANALYST):
        out = check(
            f"SELECT o.amount FROM {quoted} AS o JOIN {quoted} p ON p.order_id = o.order_id",
            policy,
            dialect,
        ).sql
        assert f"FROM {quoted}" in out, out
        assert not re.search(r"(FROM|JOIN)\s+order\b", out, re.IGNORECASE), out
        tables = [
            t for t in sqlglot.parse_one(out, read=dialect).find_all(exp.Table) if t.name == "order"
        ]
        assert tables and all(t.this.quoted for t in tables), out


def test_aliases_keep_the_users_spelling_and_column_list() -> None:
    """PostgreSQL folds unquoted names: an alias quoted as "A" no longer matches A.x."""
    out = check("SELECT A.account_id FROM account A", TELLER, "postgres").sql
    assert " AS A " in out and '"A"' not in out
    out = check("SELECT Account.account_id FROM Account", TELLER, "postgres").sql
    assert '"Account"' not in out.split("WHERE", 1)[1]
    out = check("SELECT x FROM account AS a(x, y, z, w)", TELLER, "postgres").sql
    assert "AS a(x, y, z, w)" in out
    out = check('SELECT "Q".account_id FROM account AS "Q"', TELLER, "postgres").sql
    assert 'AS "Q"' in out


ANALYST_QUERIES = [
    "SELECT COUNT(*) FROM trans",
    "SELECT gender, COUNT(*) FROM client GROUP BY gender",
    "SELECT * FROM district ORDER BY district_id",
    "SELECT status, AVG(amount), MAX(duration) FROM loan GROUP BY status",
    'SELECT k_symbol, COUNT(*) FROM "order" GROUP BY k_symbol',
    "SELECT d.A3, COUNT(DISTINCT a.account_id) FROM account a"
    " JOIN district d ON d.district_id = a.district_id GROUP BY d.A3",
    "SELECT type FROM card UNION SELECT type FROM disp",
    "SELECT a.account_id FROM account a WHERE EXISTS"
    " (SELECT 1 FROM loan l WHERE l.account_id = a.account_id AND l.status = 'D')",
    "WITH per AS (SELECT account_id, COUNT(*) AS n FROM trans GROUP BY account_id)"
    " SELECT n, COUNT(*) FROM per GROUP BY n",
    "SELECT l.loan_id, RANK() OVER (ORDER BY l.amount DESC) FROM loan l ORDER BY 2 LIMIT 20",
    "SELECT c.client_id, c.birth_date FROM client c WHERE c.birth_date < '1915-01-01'",
    "SELECT strftime('%Y', date) AS y, COUNT(*) FROM loan GROUP BY y",
    "SELECT (SELECT MAX(amount) FROM loan) - (SELECT MIN(amount) FROM loan)",
    "SELECT x.type, x.n FROM (SELECT type, COUNT(*) AS n FROM card GROUP BY type) x",
]


@pytest.mark.parametrize("sql", ANALYST_QUERIES, ids=range(len(ANALYST_QUERIES)))
def test_results_equal_the_original_where_no_condition_applies(
    db: sqlite3.Connection, sql: str
) -> None:
    original = rows_of(db, sql)
    assert sum(original.values()) <= ROW_LIMIT
    assert rows_of(db, check(sql, ANALYST).sql) == original


def test_teller_results_on_unfiltered_tables_equal_the_original(db: sqlite3.Connection) -> None:
    for sql in ("SELECT * FROM district", "SELECT A3, SUM(A4 + 0) FROM district GROUP BY A3"):
        assert rows_of(db, check(sql, TELLER).sql) == rows_of(db, sql)


def test_what_a_query_reads_is_reported() -> None:
    guarded = check(
        "SELECT c.gender, d.A2 FROM client c JOIN district d USING (district_id)", TELLER
    )
    assert guarded.tables == ("client", "district")
    assert {("client", "gender"), ("district", "a2"), ("client", "district_id")} <= set(
        guarded.columns
    )


def test_correlated_and_lateral_subqueries_are_accepted(db: sqlite3.Connection) -> None:
    sql = (
        "SELECT COUNT(*) FROM account a WHERE EXISTS"
        " (SELECT 1 FROM loan WHERE loan.account_id = a.account_id)"
    )
    guarded = check(sql, ANALYST)
    assert guarded.tables == ("account", "loan")
    assert rows_of(db, guarded.sql) == rows_of(db, sql)
    lateral = check(
        "SELECT a.account_id, x.n FROM account a, LATERAL"
        " (SELECT COUNT(*) AS n FROM loan l WHERE l.account_id = a.account_id) x",
        TELLER,
        "postgres",
    )
    assert lateral.tables == ("account", "loan")


def test_mysql_column_names_match_in_any_case() -> None:
    """MySQL compares column names case-insensitively; district's columns are named A2..A16."""
    guarded = check("SELECT d.A2, a3, District_Id FROM district AS d", TELLER, "mysql")
    assert ("district", "a2") in guarded.columns and "d.A2" in guarded.sql
    with pytest.raises(GuardError) as refused:
        check("SELECT Birth_Date FROM client", TELLER, "mysql")
    assert refused.value.code == "column_denied"


def test_policy_names_match_in_any_case() -> None:
    """A role written with the schema's own spelling (district.A12) is enforced."""
    policy = Policy(
        "odd",
        frozenset({"District", "Account"}),
        frozenset({"ACCOUNT"}),
        frozenset({("District", "A12")}),
    )
    for sql, code in [
        ("SELECT a12 FROM district", "column_denied"),
        ("SELECT * FROM district", "column_denied"),
        ("SELECT * FROM account", "table_denied"),
    ]:
        with pytest.raises(GuardError) as refused:
            check(sql, policy)
        assert refused.value.code == code, sql
    assert check("SELECT A13 FROM district", policy).tables == ("district",)


def test_whole_row_references_of_allowed_tables_pass() -> None:
    assert check("SELECT row_to_json(d) FROM district d", TELLER, "postgres").tables == (
        "district",
    )
    assert check("SELECT c FROM client c", ANALYST, "postgres").tables == ("client",)


def test_errors_carry_a_reason_a_user_can_act_on() -> None:
    with pytest.raises(GuardError) as refused:
        check("SELECT birth_date FROM client", TELLER)
    assert "client.birth_date" in refused.value.reason and "teller" in refused.value.reason
    with pytest.raises(GuardError) as refused:
        check("SELECT * FROM trans", AUDITOR)
    assert "trans" in refused.value.reason


# --- property: accepted iff nothing forbidden is touched ----------------------------------------
TABLES = sorted(SCHEMA)
_EMPTY = sqlite3.connect(":memory:", check_same_thread=False)
_EMPTY.executescript(DDL)


@st.composite
def _query_and_policy(draw: st.DrawFn) -> tuple[str, Policy, set[str], set[tuple[str, str]]]:
    """A SELECT over 1-3 tables in one of several shapes, what it reads, and a random policy."""
    tables = draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=3, unique=True))
    used: set[tuple[str, str]] = set()
    selects: list[list[str]] = []  # per table alias a<i>: what it contributes to a select list
    keys: list[str] = []  # per table alias: the column it is joined on
    for i, table in enumerate(tables):
        if draw(st.integers(0, 9)) == 0:
            selects.append([f"a{i}.*"])
            used.update((table, c) for c in SCHEMA[table])
            keys.append(SCHEMA[table][0])
            continue
        cols = draw(st.lists(st.sampled_from(SCHEMA[table]), min_size=1, max_size=3, unique=True))
        selects.append([f"a{i}.{c}" for c in cols])
        used.update((table, c) for c in cols)
        keys.append(cols[0])
    n = len(tables)
    if n > 1:
        used.update((t, keys[i]) for i, t in enumerate(tables))
    froms = [f'"{t}" AS a{i}' for i, t in enumerate(tables)]
    joined = froms[0] + "".join(
        f" JOIN {froms[i]} ON a{i}.{keys[i]} = a0.{keys[0]}" for i in range(1, n)
    )
    flat = [c for group in selects for c in group]
    star = any(c.endswith("*") for c in flat)
    shape = draw(st.sampled_from(["join", "derived", "cte", "scalar", "in", "exists", "union"]))
    if shape in ("derived", "cte", "scalar") and not star:
        names = [f"c{k}" for k in range(len(flat))]
        body = "SELECT " + ", ".join(f"{e} AS {a}" for e, a in zip(flat, names, strict=True))
        body += f" FROM {joined}"
        sql = {
            "derived": f"SELECT s.{names[-1]} FROM ({body}) AS s",
            "cte": f"WITH s AS ({body}) SELECT {', '.join(names)} FROM s",
            "scalar": f"SELECT (SELECT COUNT(*) FROM ({body}) AS q) AS n",
        }[shape]
    elif shape in ("in", "exists") and n > 1:
        inner_from = froms[1] + "".join(
            f" JOIN {froms[i]} ON a{i}.{keys[i]} = a1.{keys[1]}" for i in range(2, n)
        )
        inner = [c for group in selects[1:] for c in group]
        outer = f"SELECT {', '.join(selects[0])} FROM {froms[0]}"
        if shape == "exists":
            sql = (
                f"{outer} WHERE EXISTS (SELECT {', '.join(inner)} FROM {inner_from}"
                f" WHERE a1.{keys[1]} = a0.{keys[0]})"
            )
        elif any(c.endswith("*") for c in inner):
            sql = f"SELECT {', '.join(flat)} FROM {joined}"
        else:
            where = " AND ".join(f"{c} IS NOT NULL" for c in inner)
            sql = (
                f"{outer} WHERE a0.{keys[0]} IN"
                f" (SELECT a1.{keys[1]} FROM {inner_from} WHERE {where})"
            )
    elif shape == "union" and not star:
        sql = " UNION ".join(
            f"SELECT {' || '.join(group)} FROM {froms[i]}" for i, group in enumerate(selects)
        )
    else:
        sql = f"SELECT {', '.join(flat)} FROM {joined}"
    allowed = draw(st.none() | st.frozensets(st.sampled_from(TABLES), min_size=1))
    pairs = [(t, c) for t in TABLES for c in SCHEMA[t]]
    denied_columns = draw(st.frozensets(st.sampled_from(pairs), max_size=6))
    policy = Policy("random", allowed, frozenset(), denied_columns, TELLER.row_filters)
    return sql, policy, set(tables), used


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_query_and_policy())
def test_accepted_iff_nothing_forbidden_is_touched(
    case: tuple[str, Policy, set[str], set[tuple[str, str]]],
) -> None:
    sql, policy, tables, used = case
    forbidden_tables = {t for t in tables if not policy.may_read(t)}
    forbidden_columns = used & policy.denied_columns
    try:
        guarded = check(sql, policy)
    except GuardError as error:
        event(error.code)
        if forbidden_tables:
            assert error.code == "table_denied", (sql, error.reason)
        else:
            assert error.code == "column_denied" and forbidden_columns, (sql, error.reason)
        return
    event("accepted")
    assert not forbidden_tables and not forbidden_columns, (sql, guarded.sql)
    assert set(guarded.tables) == tables
    assert {(t, c.lower()) for t, c in used} <= set(guarded.columns)
    _EMPTY.execute(guarded.sql).fetchall()  # the rewritten SQL runs


# --- the guard's overhead -----------------------------------------------------------------------
PORTABLE_SQLITE = [q.format(order='"order"') for q in PORTABLE]


def _typical_queries() -> list[str]:
    return PORTABLE_SQLITE + ANALYST_QUERIES + _bench_queries()


def test_measure_guard_overhead(capsys: pytest.CaptureFixture[str]) -> None:
    """Median time of one check over ~500 typical queries (printed; nothing asserted)."""
    queries = _typical_queries()
    guard = SqlGuard(SCHEMA, "sqlite", row_limit=ROW_LIMIT)
    samples: dict[str, list[float]] = {"analyst": [], "teller": []}
    for i in range(500):
        sql = queries[i % len(queries)]
        name = "teller" if i % 2 else "analyst"
        start = time.perf_counter()
        with contextlib.suppress(GuardError):
            guard.check(sql, POLICIES[name])
        samples[name].append(time.perf_counter() - start)
    every = samples["analyst"] + samples["teller"]
    with capsys.disabled():
        print(
            f"\nguard overhead over {len(every)} checks of {len(queries)} typical queries:"
            f" median {statistics.median(every) * 1000:.2f} ms"
            f" (analyst {statistics.median(samples['analyst']) * 1000:.2f} ms,"
            f" teller with row rewriting {statistics.median(samples['teller']) * 1000:.2f} ms),"
            f" p90 {statistics.quantiles(every, n=10)[-1] * 1000:.2f} ms"
        )


# --- optional: the rewritten SQL on real PostgreSQL and MariaDB servers -------------------------
SERVERS = {
    "postgres": os.environ.get(
        "BANKCHAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("BANKCHAT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest, bank_rows: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """A scratch schema/database of this test's own on a server, holding a slice of the bank."""
    sa = pytest.importorskip("sqlalchemy")
    dialect: str = request.param
    engine = sa.create_engine(
        SERVERS[dialect], poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 3}
    )
    name = f"guard_test_{os.getpid()}"
    try:
        conn = engine.connect()
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        pytest.skip(f"no {dialect} server: {str(error).splitlines()[0]}")
    q = "`" if dialect == "mysql" else '"'
    try:
        if dialect == "mysql":
            conn.exec_driver_sql(f"CREATE DATABASE {q}{name}{q}")
            conn.exec_driver_sql(f"USE {q}{name}{q}")
        else:
            conn.exec_driver_sql(f"CREATE SCHEMA {q}{name}{q}")
            conn.exec_driver_sql(f"SET search_path TO {q}{name}{q}")
        ddl = re.sub(r"references \w+ \(\w+\)", "", DDL)
        for statement in sqlglot.transpile(ddl, read="sqlite", write=dialect):
            conn.exec_driver_sql(statement)
        keep = {r[0] for r in bank_rows["account"][:600]}
        for table in TABLE_ORDER:
            rows = bank_rows[table]
            if table in ("loan", "order", "trans", "disp"):
                account_at = 2 if table == "disp" else 1
                rows = [r for r in rows if r[account_at] in keep]
            columns = SCHEMA[table]
            marks = ", ".join(f":{c}" for c in columns)
            conn.execute(
                sa.text(f"INSERT INTO {q}{table}{q} VALUES ({marks})"),
                [dict(zip(columns, r, strict=True)) for r in rows],
            )
        conn.commit()
        yield dialect, conn
    finally:
        conn.rollback()
        drop = "DATABASE" if dialect == "mysql" else "SCHEMA"
        conn.exec_driver_sql(
            f"DROP {drop} IF EXISTS {q}{name}{q}" + ("" if dialect == "mysql" else " CASCADE")
        )
        conn.commit()
        conn.close()
        engine.dispose()


@pytest.mark.slow
def test_rewritten_sql_runs_on_the_server(server: tuple[str, Any]) -> None:
    dialect, conn = server
    order = _ORDER[dialect]

    def run(sql: str) -> Counter[tuple[Any, ...]]:
        return Counter(tuple(str(v) for v in r) for r in conn.exec_driver_sql(sql).fetchall())

    for sql, reference in FILTER_CASES:
        if "strftime" in sql or (dialect == "mysql" and "RECURSIVE" in sql):
            continue
        sql, reference = sql.replace('"order"', order), reference.replace('"order"', order)
        assert run(check(sql, TELLER, dialect).sql) == run(reference), sql
    for template in PORTABLE:
        sql = template.format(order=order)
        for policy in (TELLER, ANALYST):
            run(check(sql, policy, dialect).sql)
    extra = [
        "SELECT A.account_id FROM account A WHERE A.account_id < 100",
        "SELECT Account.account_id FROM Account",
    ]
    if dialect == "postgres":
        extra += [
            "SELECT x FROM account AS a(x, y, z, w)",
            "SELECT row_to_json(d) FROM district d",
            "SELECT * FROM account ORDER BY account_id FETCH FIRST 5 ROWS ONLY",
        ]
    for sql in extra:
        run(check(sql, TELLER, dialect).sql)
