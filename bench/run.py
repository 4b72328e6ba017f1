"""Run every benchmark module (``bench/bench_*.py``) and print a summary table.

    python bench/run.py            # the full run (well under three minutes on 2 cores)
    python bench/run.py --quick    # a smoke run: a few hundred operations per figure
    python bench/run.py --accept   # ... and keep this run's ratios as the accepted figures

The accepted ratios live in ``bench/accepted.json``; every full run prints, beside each ratio,
its change since then (``+12%``), so a regression shows the day it lands.

Each module has ``run(quick, tmp_root) -> list[Result]``. Every figure is measured against a
baseline in the same run; read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ACCEPTED = HERE / "accepted.json"


def modules() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def describe_machine() -> str:
    cores = os.cpu_count()
    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.machine()}, {cores} cores"
    )


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "%":
        return f"{value:,.2f} %"
    return f"{value:,.0f} {unit}" if unit.endswith(("/s", "/min")) else f"{value:,.1f} {unit}"


def load_accepted(path: Path = ACCEPTED) -> dict[str, float]:
    """The accepted ratio of each figure by name ({} when none were accepted yet)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.get("ratios", {}).items()}


def save_accepted(results: list[Any], path: Path = ACCEPTED) -> None:
    """Keep these ratios (merged over the accepted ones, so --only accepts just its module)."""
    ratios = load_accepted(path)
    ratios.update({r.name: round(r.ratio, 3) for r in results})
    data = {"machine": describe_machine(), "ratios": dict(sorted(ratios.items()))}
    path.write_text(json.dumps(data, indent=2) + "\n")


def change(ratio: float, accepted: float | None) -> str:
    """How ``ratio`` moved since it was accepted: ``+12%``, ``-3%``, or ``new``."""
    if accepted is None or accepted == 0:
        return "new"
    return f"{(ratio / accepted - 1) * 100:+.0f}%"


def table(results: list[Any], accepted: dict[str, float] | None = None) -> str:
    accepted = accepted or {}
    header = ("benchmark", "engine", "baseline", "ratio", "since accepted", "notes")
    rows = [header]
    for r in results:
        engine = fmt(r.engine, r.unit)
        baseline = fmt(r.baseline, r.unit)
        if r.unit.endswith(("/s", "/min")):
            kind = "throughput"
        elif r.unit in ("B", "KiB", "MiB"):
            kind = "size"
        elif r.unit == "%":
            kind = "share"
        else:
            engine = f"p50 {engine}, p99 {fmt(r.engine_p99, r.unit)}"
            baseline = f"p50 {baseline}, p99 {fmt(r.baseline_p99, r.unit)}"
            kind = "latency p50"
        since = change(r.ratio, accepted.get(r.name))
        rows.append((r.name, engine, baseline, f"{r.ratio:.2f}x {kind}", since, r.note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="livebase benchmarks")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument(
        "--tmpdir", default=None, help="where to create the temporary databases (default: $TMPDIR)"
    )
    parser.add_argument("--only", default=None, help="run only modules whose name contains this")
    parser.add_argument(
        "--accept", action="store_true", help=f"keep this run's ratios in {ACCEPTED.name}"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    print(f"livebase benchmarks ({'quick' if args.quick else 'full'} run): {describe_machine()}")
    print("Ratios are engine / baseline measured in this run; absolute figures are indicative.")
    results: list[Any] = []
    started = time.perf_counter()
    for name in modules():
        if args.only and args.only not in name:
            continue
        print(f"\n== {name}")
        module = importlib.import_module(name)
        t0 = time.perf_counter()
        results += module.run(quick=args.quick, tmp_root=args.tmpdir)
        print(f"   ({time.perf_counter() - t0:.1f}s)")
    print("\nSummary (throughput ratio: higher is better; latency ratio: how many times slower)\n")
    print(table(results, load_accepted()))
    print(f"\nTotal {time.perf_counter() - started:.1f}s")
    if args.accept and not args.quick:
        save_accepted(results)
        print(f"Accepted: these ratios are now the reference ({ACCEPTED.relative_to(HERE.parent)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
