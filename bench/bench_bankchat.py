"""bankchat benchmarks: the offline engine's score, the guard's cost, the pipeline's overhead.

1. the hand-written question set (bench/bankchat/questions.jsonl): share answered correctly,
   share answered wrongly, the rest "not understood" (goal: >= 80% correct, < 5% wrong);
2. guard overhead per query: ``SqlGuard.check`` on the gold SQL of the question set, against
   the same SQL only parsed by sqlglot (the floor of any parse-based guard); goal < 1 ms;
3. ``ask`` latency excluding the bank query: the whole pipeline (engine, guard, run) minus the
   time the bank database itself spent, against running the same final SQL directly.

Needs the embedded bank database; it is built into a temporary directory if missing (~15 s).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlglot

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "bankchat"))

from bankchat.roles import DEMO_ROLES, policy_of  # noqa: E402
from bankchat.sql.guard import GuardError, SqlGuard  # noqa: E402
from bench_engine import Result  # noqa: E402


def _database(tmp_root: str | None) -> Path:
    from bankchat.bankdb.build import build_sqlite
    from bankchat.bankdb.load import default_sqlite_path

    path = default_sqlite_path()
    if path.exists():
        return path
    target = Path(tempfile.mkdtemp(dir=tmp_root)) / "bank.sqlite3"
    return build_sqlite(target, progress=False)


def _questions() -> list[dict[str, Any]]:
    lines = (HERE / "bankchat" / "questions.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def bench_accuracy(db: Path) -> list[Result]:
    """The offline engine on both question sets: the first (lenient checker, goal >= 85%
    correct with < 3% wrong) and the harder analyst set (strict, exact columns: goal
    precision >= 95% and >= 70% correct)."""
    from evaluate import evaluate

    first = evaluate(db)
    met = "met" if first["accuracy"] >= 0.85 and first["wrong_rate"] < 0.03 else "NOT met"
    print(
        f"question set: {first['correct']}/{first['total']} correct "
        f"({first['accuracy']:.1%}), {first['wrong']} wrong ({first['wrong_rate']:.1%}), "
        f"{first['not_understood']} not understood; {first['ms_per_question']:.2f} ms per "
        f"question (goal >= 85% correct, < 3% wrong: {met})"
    )
    hard = evaluate(db, name="analyst", strict=True)
    hard_met = "met" if hard["precision"] >= 0.95 and hard["accuracy"] >= 0.70 else "NOT met"
    print(
        f"analyst set (strict): {hard['correct']}/{hard['total']} correct "
        f"({hard['accuracy']:.1%}), {hard['wrong']} wrong, {hard['not_understood']} not "
        f"understood; precision {hard['precision']:.1%} (goal >= 95% precision, >= 70% "
        f"correct: {hard_met})"
    )
    return [
        Result(
            "offline engine accuracy",
            "%",
            first["accuracy"] * 100,
            85.0,
            first["accuracy"] / 0.85,
            f"wrong {first['wrong_rate']:.1%}; goal >= 85% / < 3%: {met}",
        ),
        Result(
            "offline engine precision, analyst set",
            "%",
            hard["precision"] * 100,
            95.0,
            hard["precision"] / 0.95,
            f"{hard['accuracy']:.1%} correct, {hard['wrong']} wrong; goal >= 95% precision "
            f"and >= 70% correct: {hard_met}",
        ),
    ]
    return Result(
        "offline engine accuracy",
        "%",
        result["accuracy"] * 100,
        80.0,
        result["accuracy"] / 0.8,
        f"wrong {result['wrong_rate']:.1%}; goal >= 80% / < 5%: {met}",
    )


def bench_guard(db: Path, quick: bool, role: str) -> Result:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    schema = {
        t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
        for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    guard = SqlGuard(schema)
    policy = policy_of([r for r in DEMO_ROLES if r["name"] == role])
    sqls = [q["sql"] for q in _questions()]
    rounds = 1 if quick else 3
    guarded, parsed = [], []
    for _ in range(rounds):
        for sql in sqls:
            started = time.perf_counter()
            with contextlib.suppress(GuardError):  # a refusal costs time too
                guard.check(sql, policy)
            guarded.append(time.perf_counter() - started)
            started = time.perf_counter()
            sqlglot.parse(sql, read="sqlite")
            parsed.append(time.perf_counter() - started)
    g50, p50 = statistics.median(guarded) * 1e6, statistics.median(parsed) * 1e6
    g99 = statistics.quantiles(guarded, n=100)[98] * 1e6
    p99 = statistics.quantiles(parsed, n=100)[98] * 1e6
    met = "met" if g50 < 1000 else "NOT met"
    print(
        f"guard ({role}): p50 {g50:.0f} us p99 {g99:.0f} us per query ({len(sqls)} queries x "
        f"{rounds}), sqlglot parse alone p50 {p50:.0f} us; ratio {g50 / p50:.1f}x "
        f"(goal < 1 ms: {met})"
    )
    return Result(
        f"SQL guard per query, {role}",
        "us",
        g50,
        p50,
        g50 / p50,
        f"vs sqlglot parse only; goal < 1 ms: {met}",
        g99,
        p99,
    )


def bench_ask(db: Path, quick: bool) -> Result:
    from bankchat.nl.engine import OfflineAdapter
    from bankchat.service import BankChat

    chat = BankChat(str(db), engine=OfflineAdapter())
    admin = policy_of([r for r in DEMO_ROLES if r["name"] == "admin"])
    questions = [q["question"] for q in _questions()][: 40 if quick else 190]
    overhead, direct = [], []
    for question in questions:
        started = time.perf_counter()
        result = chat.ask(question, admin)
        total = time.perf_counter() - started
        if result.error or result.execution_ms is None:
            continue
        overhead.append(total - result.execution_ms / 1000)
        final = chat.guard.check(result.sql or "", admin).sql
        started = time.perf_counter()
        chat.db.run(final)
        direct.append(time.perf_counter() - started)
    o50 = statistics.median(overhead) * 1000
    d50 = statistics.median(direct) * 1000
    o99 = statistics.quantiles(overhead, n=100)[98] * 1000
    d99 = statistics.quantiles(direct, n=100)[98] * 1000
    print(
        f"ask overhead (engine + guard + bookkeeping, excluding the bank query): p50 "
        f"{o50:.2f} ms p99 {o99:.2f} ms over {len(overhead)} answered questions; the bank "
        f"queries themselves p50 {d50:.2f} ms p99 {d99:.2f} ms"
    )
    return Result(
        "ask overhead (no bank query)",
        "ms",
        o50,
        d50,
        o50 / d50,
        "vs the bank query itself",
        o99,
        d99,
    )


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    db = _database(tmp_root)
    return [
        *bench_accuracy(db),
        bench_guard(db, quick, "analyst"),
        bench_guard(db, quick, "teller"),
        bench_ask(db, quick),
    ]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        print(result)
