"""``make bench`` keeps the accepted ratios and prints each figure's change since then."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
assert _spec is not None and _spec.loader is not None
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


@dataclass
class Figure:
    name: str
    ratio: float
    unit: str = "ops/s"
    engine: float = 1.0
    baseline: float = 1.0
    note: str = ""
    engine_p99: float | None = None
    baseline_p99: float | None = None


def test_accepted_ratios_are_kept_merged_and_compared(tmp_path) -> None:
    path = tmp_path / "accepted.json"
    assert run.load_accepted(path) == {}
    run.save_accepted([Figure("insert", 0.5), Figure("query", 2.0)], path)
    run.save_accepted([Figure("insert", 0.4)], path)  # an --only run keeps the others
    accepted = run.load_accepted(path)
    assert accepted == {"insert": 0.4, "query": 2.0}
    printed = run.table([Figure("insert", 0.5), Figure("fanout", 1.0)], accepted)
    insert_row = next(line for line in printed.splitlines() if line.startswith("insert"))
    assert "+25%" in insert_row
    assert "new" in next(line for line in printed.splitlines() if line.startswith("fanout"))
    assert run.change(1.8, 2.0) == "-10%"
