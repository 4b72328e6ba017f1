"""The question set on a real MariaDB server: the offline engine's SQL, transpiled to MySQL,
gives the same answers as the gold SQL transpiled the same way (through the whole pipeline:
guard in the MySQL dialect and the read-only executor)."""

from __future__ import annotations

import json
import math
from typing import Any

import sqlglot

from bankchat.nl.engine import OfflineAdapter
from bankchat.roles import DEMO_ROLES, policy_of
from bankchat.service import BankChat
from bankchat.sql.executor import BankDatabase, BankQueryError
from tests.conftest import ROOT


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-6)
    return bool(a == b)


def _contains(gold: list[list[Any]], got: list[list[Any]]) -> bool:
    """Every gold column appears among the engine's columns (row multiset, tolerant floats)."""
    if len(gold) != len(got):
        return False
    if not gold:
        return True
    for g in range(len(gold[0])):
        column = sorted((r[g] for r in gold), key=repr)
        if not any(
            all(
                _same(x, y)
                for x, y in zip(column, sorted((r[c] for r in got), key=repr), strict=True)
            )
            for c in range(len(got[0]))
        ):
            return False
    return True


def test_the_question_set_answers_on_mariadb(bank_mysql_url):
    chat = BankChat(bank_mysql_url, engine=OfflineAdapter())
    assert chat.db.dialect == "mysql"
    admin = policy_of([r for r in DEMO_ROLES if r["name"] == "admin"])
    raw = BankDatabase(bank_mysql_url)
    lines = (ROOT / "bench" / "bankchat" / "questions.jsonl").read_text().splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    answered = correct = 0
    for q in questions:
        try:
            gold = raw.run(
                sqlglot.transpile(q["sql"], read="sqlite", write="mysql")[0], max_rows=2000
            ).rows
        except BankQueryError:
            continue  # the gold uses a SQLite-only function; not a question of the engine
        result = chat.ask(q["question"], admin)
        if result.not_understood:
            continue
        answered += 1
        correct += result.status == "success" and _contains(gold, result.rows)
    assert answered >= 150
    assert correct / answered >= 0.9, (correct, answered)
