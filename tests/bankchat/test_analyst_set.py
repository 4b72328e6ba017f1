"""The analyst question set (bench/bankchat/analyst.jsonl) keeps the promises it is made for.

It must stay large and hard: at least 300 questions, long questions, mostly three or more
tables, a share of ratios and differences, a share of answers with several named columns. Each
gold query is one SQLite SELECT whose tables are listed, that follows the set's conventions
(quoted ``"order"``, ``CAST`` on district ``A4``, ``ORDER BY`` wherever ``LIMIT`` cuts) and that,
run on the bank database, returns a non-empty answer with as many columns as ``columns`` names.

The bank database is ``.livebase/bank.sqlite3`` when it exists (opened read-only); otherwise the
session's ``bank_sqlite`` fixture builds one (about 12 s). Every gold query runs once per module.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import ROOT

SET_PATH = ROOT / "bench" / "bankchat" / "analyst.jsonl"
LIVEBASE_DB = ROOT / ".livebase" / "bank.sqlite3"
KINDS = {
    "list",
    "filter",
    "count",
    "sum",
    "avg",
    "minmax",
    "topk",
    "group",
    "daterange",
    "join",
    "ratio",
    "difference",
    "multi",
}
BANK_TABLES = {"account", "card", "client", "disp", "district", "loan", "order", "trans"}
QUERY_SECONDS = 10.0  # why: a hard stop per gold query; each one normally takes well under 2 s
MAX_ROWS = 500


def _load() -> list[dict[str, Any]]:
    lines = SET_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


QUESTIONS = _load()
IDS = [q["id"] for q in QUESTIONS]


def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="sqlite")


def tables_read(sql: str) -> list[str]:
    """Every table the query reads (CTE names left out), sorted."""
    tree = _parse(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return sorted({table.name for table in tree.find_all(exp.Table)} - ctes)


def _share(predicate: Any) -> float:
    return sum(1 for q in QUESTIONS if predicate(q)) / len(QUESTIONS)


# --- the shape of the set -------------------------------------------------------------------


def test_there_are_at_least_300_questions_with_unique_ids():
    assert len(QUESTIONS) >= 300
    assert len(set(IDS)) == len(IDS), [i for i in IDS if IDS.count(i) > 1]
    assert len({q["question"] for q in QUESTIONS}) == len(QUESTIONS), "a question is repeated"


def test_every_record_has_the_documented_fields():
    allowed = {"id", "question", "sql", "tables", "kind", "columns", "note"}
    for q in QUESTIONS:
        assert set(q) <= allowed, (q["id"], set(q) - allowed)
        assert {"id", "question", "sql", "tables", "kind", "columns"} <= set(q), q.get("id")
        assert q["kind"] in KINDS, (q["id"], q["kind"])
        assert q["columns"] and all(isinstance(c, str) and c for c in q["columns"]), q["id"]
        assert isinstance(q.get("note", ""), str), q["id"]


def test_questions_average_at_least_14_words():
    words = sum(len(q["question"].split()) for q in QUESTIONS) / len(QUESTIONS)
    assert words >= 14, words


def test_at_least_half_of_the_questions_read_three_or_more_tables():
    assert _share(lambda q: len(tables_read(q["sql"])) >= 3) >= 0.5


def test_at_least_15_percent_are_ratios_or_differences():
    assert _share(lambda q: q["kind"] in {"ratio", "difference"}) >= 0.15


def test_at_least_15_percent_ask_for_several_named_columns():
    assert _share(lambda q: q["kind"] == "multi" or len(q["columns"]) >= 2) >= 0.15


# --- each gold query, read without running it -----------------------------------------------


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_gold_sql_is_one_select_over_the_listed_bank_tables(q):
    statements = sqlglot.parse(q["sql"], read="sqlite")
    assert len(statements) == 1, "one statement only"
    assert isinstance(statements[0], exp.Select), type(statements[0]).__name__
    read = tables_read(q["sql"])
    assert q["tables"] == read, f"tables field {q['tables']} but the SQL reads {read}"
    assert set(read) <= BANK_TABLES, set(read) - BANK_TABLES


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_gold_sql_follows_the_set_conventions(q):
    tree = _parse(q["sql"])
    if "order" in q["tables"]:
        assert '"order"' in q["sql"], '"order" must be quoted'
    for column in tree.find_all(exp.Column):
        if column.name.upper() == "A4":
            assert column.find_ancestor(exp.Cast) is not None, "district A4 must be CAST"
    for select in tree.find_all(exp.Select):
        if select.args.get("limit") is not None:
            assert select.args.get("order") is not None, "LIMIT without ORDER BY"


# --- each gold query, run on the bank database ----------------------------------------------


@pytest.fixture(scope="module")
def bank_db(request: pytest.FixtureRequest) -> Path:
    if LIVEBASE_DB.exists():  # why: built by ensure_sqlite via a .partial rename, so complete
        return LIVEBASE_DB
    return request.getfixturevalue("bank_sqlite")


@pytest.fixture(scope="module")
def gold_results(bank_db: Path) -> Iterator[dict[str, tuple[int, list[tuple[Any, ...]], float]]]:
    """For each question id: (number of result columns, rows, seconds), or an error string."""
    conn = sqlite3.connect(f"file:{bank_db}?mode=ro", uri=True)
    results: dict[str, Any] = {}
    deadline = [0.0]
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 10_000)
    try:
        for q in QUESTIONS:
            start = time.monotonic()
            deadline[0] = start + QUERY_SECONDS
            try:
                cursor = conn.execute(q["sql"])
                rows = cursor.fetchmany(MAX_ROWS + 1)
                results[q["id"]] = (len(cursor.description), rows, time.monotonic() - start)
            except sqlite3.Error as error:
                results[q["id"]] = f"{type(error).__name__}: {error}"
        yield results
    finally:
        conn.close()


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_gold_sql_answers_with_the_named_columns(q, gold_results):
    result = gold_results[q["id"]]
    assert not isinstance(result, str), result
    width, rows, _ = result
    assert width == len(q["columns"]), f"SQL returns {width} columns, columns names {q['columns']}"
    assert rows, "empty answer"
    assert any(value is not None for row in rows for value in row), "all-NULL answer"
    assert len(rows) <= MAX_ROWS, "too many rows for an analyst's answer"


def test_the_gold_queries_run_fast_together(gold_results):
    seconds = sum(r[2] for r in gold_results.values() if not isinstance(r, str))
    assert seconds < 20, seconds
