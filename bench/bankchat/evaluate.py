"""Score an NL-to-SQL engine on a question set of ours (bench/bankchat/*.jsonl).

For each question the engine's SQL runs on the bank database and is compared with the gold
SQL's result. Lenient (the first set's original checker): correct when every gold column
appears among the engine's columns with the same values (as a multiset; in order when the gold
SQL orders its rows). Strict (``--strict``, and always reported): the same, and the engine
returned exactly as many columns as the gold, no extra ones. An engine may answer "not
understood": that is counted apart from wrong answers; precision is correct / answered.

    python bench/bankchat/evaluate.py [--set questions|analyst|dev|dev2|...] [--strict] [--db PATH]
                                      [--show wrong|unknown|all]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bankchat.nl.offline import NotUnderstood, OfflineEngine  # noqa: E402


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    return value


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[_norm(r[i]) for r in rows] for i in range(width)]


def matches(gold: list[tuple[Any, ...]], got: list[tuple[Any, ...]], ordered: bool) -> bool:
    """Whether every gold column is one of the engine's columns (same values)."""
    if len(gold) != len(got):
        return False
    if not gold:
        return True
    gold_cols = _columns(gold, len(gold[0]))
    got_cols = _columns(got, len(got[0]))
    if not ordered:
        # why: unordered results must agree row by row, so sort rows by the gold's own order
        # of columns only after finding a matching projection.
        def key(col: list[Any]) -> Counter[Any]:
            return Counter(col)

        used: set[int] = set()
        for gcol in gold_cols:
            pick = next(
                (i for i, c in enumerate(got_cols) if i not in used and key(c) == key(gcol)), None
            )
            if pick is None:
                return False
            used.add(pick)
        chosen = sorted(used)
        projected = sorted(tuple(_norm(r[i]) for i in chosen) for r in got)
        # columns are matched individually above; check rows agree as a whole too
        gold_rows = sorted(tuple(_norm(v) for v in r) for r in gold)
        return (
            any(_rows_match(gold_rows, got, perm) for perm in _assignments(gold_cols, got_cols))
            or projected == gold_rows
        )
    used = set()
    for gcol in gold_cols:
        pick = next((i for i, c in enumerate(got_cols) if i not in used and c == gcol), None)
        if pick is None:
            return False
        used.add(pick)
    return True


def _assignments(gold_cols: list[list[Any]], got_cols: list[list[Any]]) -> list[list[int]]:
    options = [[i for i, c in enumerate(got_cols) if Counter(c) == Counter(g)] for g in gold_cols]
    out: list[list[int]] = [[]]
    for choice in options:
        out = [[*a, i] for a in out for i in choice if i not in a][:50]
    return out


def _rows_match(
    gold_rows: list[tuple[Any, ...]], got: list[tuple[Any, ...]], perm: list[int]
) -> bool:
    return sorted(tuple(_norm(r[i]) for i in perm) for r in got) == gold_rows


def evaluate(
    db: Path, show: str | None = None, name: str = "questions", strict: bool = False
) -> dict[str, Any]:
    engine = OfflineEngine()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    questions = [
        json.loads(line)
        for line in (HERE / f"{name}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    outcome: Counter[str] = Counter()
    strict_correct = 0
    by_kind: dict[str, Counter[str]] = {}
    spent = 0.0
    for q in questions:
        gold_cursor = conn.execute(q["sql"])
        gold = gold_cursor.fetchall()
        width = len(gold_cursor.description)
        ordered = "order by" in q["sql"].lower()
        started = time.perf_counter()
        try:
            translation = engine.translate(q["question"])
            spent += time.perf_counter() - started
            readings = [conn.execute(alt).fetchall() for _, alt in translation.alternatives]
            if any(r != readings[0] for r in readings[1:]):
                # as the app does: two readings with different answers are asked back
                raise NotUnderstood(
                    "two readings: " + " / ".join(a for a, _ in translation.alternatives)
                )
            cursor = conn.execute(translation.sql)
            got = cursor.fetchall()
            lenient = matches(gold, got, ordered)
            exact = lenient and len(cursor.description) == width
            strict_correct += exact
            verdict = "correct" if (exact if strict else lenient) else "wrong"
            detail = translation.sql
        except NotUnderstood as exc:
            spent += time.perf_counter() - started
            verdict, detail = "not_understood", exc.reason
        except sqlite3.Error as exc:
            verdict, detail = "wrong", f"SQL error: {exc}"
        outcome[verdict] += 1
        by_kind.setdefault(q["kind"], Counter())[verdict] += 1
        if show and (
            show == "all"
            or (show == "wrong" and verdict == "wrong")
            or (show == "unknown" and verdict == "not_understood")
        ):
            print(
                f"[{verdict}] {q['id']} {q['question']}\n   gold: {q['sql']}\n   got:  {detail}\n"
            )
    total = len(questions)
    answered = outcome["correct"] + outcome["wrong"]
    return {
        "set": name,
        "checker": "strict" if strict else "lenient",
        "total": total,
        **{k: outcome[k] for k in ("correct", "wrong", "not_understood")},
        "accuracy": outcome["correct"] / total,
        "wrong_rate": outcome["wrong"] / total,
        "precision": outcome["correct"] / answered if answered else 1.0,
        "strict_accuracy": strict_correct / total,
        "strict_precision": strict_correct / answered if answered else 1.0,
        "ms_per_question": 1000 * spent / total,
        "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=str(ROOT / ".livebase" / "bank.sqlite3"))
    parser.add_argument("--show", choices=["wrong", "unknown", "all"])
    parser.add_argument(
        "--set", default="questions", choices=sorted(p.stem for p in HERE.glob("*.jsonl"))
    )
    parser.add_argument("--strict", action="store_true", help="exact columns, no extra ones")
    opts = parser.parse_args(argv)
    result = evaluate(Path(opts.db), opts.show, opts.set, opts.strict)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
