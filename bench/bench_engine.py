"""Engine benchmarks: livebase against raw sqlite3 doing the same storage work, in one run.

Absolute times on a small, shared machine drift from run to run, so every figure is paired with
a baseline measured in the same process, interleaved with it in rounds, and the ratio between
the two is what to read:

1. insert throughput: single-document insert mutations through ``Runtime.run_mutation`` vs raw
   sqlite3 inserting the same rows one ``BEGIN``/``INSERT``/``COMMIT`` each (same WAL mode, same
   ``synchronous``), at ``synchronous=NORMAL`` and ``FULL``;
2. indexed point query latency: ``run_query("items:get_item")`` vs ``SELECT ... WHERE key = ?``;
3. indexed range query latency: ``run_query("items:range_by_value")`` returning 50 rows vs an
   index range with ``LIMIT`` in raw SQL.

Run it through ``bench/run.py`` (``make bench``), or alone: ``python bench/bench_engine.py``.
"""

from __future__ import annotations

import gc
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livebase import Runtime
from livebase.engine.keys import encode_key

APP_DIR = Path(__file__).resolve().parent / "apps" / "benchapp"
INSERT_GOAL = 0.50  # engine/raw insert throughput the project aims for at synchronous=NORMAL
POINT_GOAL = 2.0  # point query p50 at most this many times raw sqlite3 + json.loads
GROUPS = 1000
RANGE_ROWS = 50


@dataclass
class Sizes:
    """How much work each benchmark does."""

    inserts: int  # timed single inserts per side and per synchronous mode
    rounds: int  # engine and baseline alternate this many times
    warmup: int  # untimed operations per side before timing
    table_rows: int  # rows in the table the query benchmarks read
    samples: int  # timed queries per side

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(inserts=300, rounds=3, warmup=50, table_rows=2_000, samples=300)
        return cls(inserts=5_000, rounds=10, warmup=300, table_rows=10_000, samples=4_000)


@dataclass
class Result:
    """One figure: the engine's, the baseline's and their ratio (engine / baseline)."""

    name: str
    unit: str  # "ops/s" (higher is better) or "us" (lower is better)
    engine: float
    baseline: float
    ratio: float
    note: str = ""
    engine_p99: float | None = None
    baseline_p99: float | None = None


# --- shared helpers --------------------------------------------------------------------------


@contextmanager
def fresh_dir(tmp_root: str | None) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="livebase-bench-", dir=tmp_root) as name:
        yield Path(name)


def make_items(n: int, rng: random.Random, start: int = 0) -> list[dict[str, Any]]:
    """Documents like ``{"name": "item-17", "value": 17.0, "group": 17.0}``."""
    return [
        {"name": f"item-{i}", "value": float(i), "group": float(rng.randrange(GROUPS))}
        for i in range(start, start + n)
    ]


def raw_connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """The baseline's connection: autocommit mode, WAL, the same ``synchronous`` as the engine."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    # why: a BLOB primary key shaped like the engine's ID keys (0x10, 32 chars, 0x00) and one
    # secondary index; the engine writes the document, three index entries and a timestamp.
    conn.executescript(
        """
        CREATE TABLE items (key BLOB NOT NULL PRIMARY KEY, value REAL NOT NULL, doc TEXT NOT NULL)
            WITHOUT ROWID;
        CREATE INDEX items_by_value ON items (value);
        """
    )
    return conn


_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def raw_key(rng: random.Random) -> tuple[str, bytes]:
    """A random ID-like string and its key bytes, laid out like the engine's ``by_id`` keys."""
    text = "j57" + "".join(rng.choice(_ALPHABET) for _ in range(29))
    return text, b"\x10" + text.encode() + b"\x00"


def raw_rows(items: list[dict[str, Any]], rng: random.Random) -> list[tuple[bytes, float, str]]:
    """The baseline's rows: key, indexed value and the document's JSON text (with system fields
    shaped like the engine's), computed before timing."""
    rows = []
    now_ms = time.time() * 1000
    for i, item in enumerate(items):
        text, key = raw_key(rng)
        doc = {"_id": text, "_creationTime": now_ms + i / 1000, **item}
        rows.append((key, item["value"], json.dumps(doc, separators=(",", ":"))))
    return rows


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanosecond samples, in microseconds."""
    index = min(len(sorted_ns) - 1, max(0, round(q * len(sorted_ns)) - 1))
    return sorted_ns[index] / 1000


def say(line: str) -> None:
    print(line, flush=True)


# --- 1. insert throughput --------------------------------------------------------------------

# why: the storage layout the engine writes (persistence/sqlite.py as of this writing), kept
# here verbatim so that the "storage floor" baseline does not move when the engine changes.
ENGINE_LAYOUT = """
CREATE TABLE documents (
    tbl INTEGER NOT NULL, key BLOB NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE indexes (
    idx INTEGER NOT NULL, key BLOB NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (idx, key)) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('ts', '0');
"""


def layout_connect(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.executescript(ENGINE_LAYOUT)
    return conn


LayoutRow = tuple[tuple[int, bytes, str], list[tuple[int, bytes, bytes]]]


def layout_rows(rows: list[tuple[bytes, float, str]]) -> list[LayoutRow]:
    """The engine's storage writes for each baseline row: the document and two index entries
    (by_creation_time, by_value), keys encoded as the engine encodes them."""
    out: list[LayoutRow] = []
    for key, _, text in rows:
        doc = json.loads(text)
        tail = [doc["_creationTime"], doc["_id"]]
        entries = [
            (2, encode_key(tail), key),
            (3, encode_key([doc["value"], *tail]), key),
        ]
        out.append(((10001, key, text), entries))
    return out


def bench_insert(sizes: Sizes, synchronous: str, tmp_root: str | None) -> list[Result]:
    """Sequential single-document insert mutations vs one-row raw sqlite3 transactions, and vs
    raw sqlite3 doing the engine's own storage writes (its floor with no Python overhead)."""
    rng = random.Random(1)
    total = sizes.warmup + sizes.inserts
    engine_args = make_items(total, rng)
    baseline_rows = raw_rows(make_items(total, rng), rng)
    floor_rows = layout_rows(raw_rows(make_items(total, rng), rng))
    with fresh_dir(tmp_root) as root:
        runtime = Runtime(APP_DIR, root / "engine", synchronous=synchronous)
        conn = raw_connect(root / "raw.sqlite3", synchronous)
        layout = layout_connect(root / "layout.sqlite3", synchronous)
        try:

            def engine(lo: int, hi: int) -> int:
                run = runtime.run_mutation
                start = time.perf_counter_ns()
                for args in engine_args[lo:hi]:
                    run("items:insert_item", args)
                return time.perf_counter_ns() - start

            def baseline(lo: int, hi: int) -> int:
                execute = conn.execute
                sql = "INSERT INTO items VALUES (?, ?, ?)"
                start = time.perf_counter_ns()
                for row in baseline_rows[lo:hi]:
                    execute("BEGIN")
                    execute(sql, row)
                    execute("COMMIT")
                return time.perf_counter_ns() - start

            def floor(lo: int, hi: int) -> int:
                execute = layout.execute
                start = time.perf_counter_ns()
                for i, (document, entries) in enumerate(floor_rows[lo:hi], lo + 1):
                    execute("BEGIN IMMEDIATE")
                    execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?)", document)
                    layout.executemany("INSERT OR REPLACE INTO indexes VALUES (?, ?, ?)", entries)
                    execute("UPDATE meta SET value = ? WHERE name = 'ts'", (str(i),))
                    execute("COMMIT")
                return time.perf_counter_ns() - start

            sides = [engine, baseline, floor]
            spent = [0, 0, 0]
            for side in sides:
                side(0, sizes.warmup)
            chunk = sizes.inserts // sizes.rounds
            for r in range(sizes.rounds):
                lo = sizes.warmup + r * chunk
                hi = total if r == sizes.rounds - 1 else lo + chunk
                gc.collect()
                # why: rotate which side goes first so drift in machine load hits all of them.
                for k in range(len(sides)):
                    which = (r + k) % len(sides)
                    spent[which] += sides[which](lo, hi)
            stored = conn.execute("SELECT count(*) FROM items").fetchone()[0]
            assert stored == total, stored
        finally:
            layout.close()
            conn.close()
            runtime.close()
    engine_ops, baseline_ops, floor_ops = (sizes.inserts / (ns / 1e9) for ns in spent)
    ratio = engine_ops / baseline_ops
    note = ""
    goal = ""
    if synchronous == "NORMAL":
        met = "met" if ratio >= INSERT_GOAL else "NOT met"
        note = f"goal >= {INSERT_GOAL:.2f}x {met}"
        goal = f" (goal >= {INSERT_GOAL:.2f}x: {met})"
    say(
        f"insert {synchronous}: engine {engine_ops:,.0f} ops/s, raw sqlite3 {baseline_ops:,.0f} "
        f"ops/s, ratio {ratio:.2f}x{goal}"
    )
    floor_ratio = engine_ops / floor_ops
    say(
        f"insert {synchronous} vs storage floor: engine {engine_ops:,.0f} ops/s, raw sqlite3 "
        f"writing the engine's layout {floor_ops:,.0f} ops/s, ratio {floor_ratio:.2f}x "
        f"(layout alone caps the engine at {floor_ops / baseline_ops:.2f}x of raw)"
    )
    return [
        Result(f"insert {synchronous}", "ops/s", engine_ops, baseline_ops, ratio, note),
        Result(
            f"insert {synchronous} vs floor",
            "ops/s",
            engine_ops,
            floor_ops,
            floor_ratio,
            f"floor/raw {floor_ops / baseline_ops:.2f}x",
        ),
    ]


# --- 2 and 3. query latency ------------------------------------------------------------------


@dataclass
class QueryFixture:
    """An engine database and a raw copy of it holding the same documents."""

    runtime: Runtime
    conn: sqlite3.Connection
    ids: list[str]  # engine document IDs
    keys: list[bytes]  # the same documents' keys in the raw table


def build_fixture(sizes: Sizes, root: Path) -> QueryFixture:
    rng = random.Random(2)
    runtime = Runtime(APP_DIR, root / "engine", synchronous="NORMAL")
    ids: list[str] = []
    items = make_items(sizes.table_rows, rng)
    for lo in range(0, len(items), 1000):
        ids += runtime.run_mutation("items:insert_batch", {"items": items[lo : lo + 1000]}).value
    # The raw table holds the engine's own keys and JSON texts, copied from its database.
    source = sqlite3.connect(str(root / "engine" / "db.sqlite3"))
    table = 10001  # the first user table's number
    stored = source.execute("SELECT key, value FROM documents WHERE tbl = ?", (table,)).fetchall()
    source.close()
    conn = raw_connect(root / "raw.sqlite3", "NORMAL")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO items VALUES (?, ?, ?)",
        [(key, json.loads(text)["value"], text) for key, text in stored],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    assert len(stored) == sizes.table_rows
    keys = [b"\x10" + doc_id.encode() + b"\x00" for doc_id in ids]
    return QueryFixture(runtime, conn, ids, keys)


def interleaved(
    samples: int,
    warmup: int,
    engine: Callable[[int], Any],
    baseline: Callable[[int], Any],
) -> tuple[list[int], list[int]]:
    """Per-call latencies in ns of ``engine(i)`` and ``baseline(i)``, alternating call by call."""
    clock = time.perf_counter_ns
    for i in range(warmup):
        engine(i)
        baseline(i)
    gc.collect()
    engine_ns: list[int] = []
    baseline_ns: list[int] = []
    for i in range(samples):
        first, second, first_ns, second_ns = (
            (engine, baseline, engine_ns, baseline_ns)
            if i % 2
            else (baseline, engine, baseline_ns, engine_ns)
        )
        start = clock()
        first(i)
        middle = clock()
        second(i)
        end = clock()
        first_ns.append(middle - start)
        second_ns.append(end - middle)
    engine_ns.sort()
    baseline_ns.sort()
    return engine_ns, baseline_ns


def latency_result(
    name: str, engine_ns: list[int], baseline_ns: list[int], what: str, goal: float | None = None
) -> Result:
    e50, e99 = percentile(engine_ns, 0.50), percentile(engine_ns, 0.99)
    b50, b99 = percentile(baseline_ns, 0.50), percentile(baseline_ns, 0.99)
    ratio = e50 / b50
    met = ""
    if goal is not None:
        met = f"goal p50 <= {goal:.1f}x: {'met' if ratio <= goal else 'NOT met'}"
    say(
        f"{name}: engine p50 {e50:,.1f} us p99 {e99:,.1f} us, {what} p50 {b50:,.1f} us "
        f"p99 {b99:,.1f} us, ratio p50 {ratio:.1f}x p99 {e99 / b99:.1f}x (engine slower by)"
        + (f" ({met})" if met else "")
    )
    note = f"p99 {e99 / b99:.1f}x" + (f"; {met}" if met else "")
    return Result(name, "us", e50, b50, ratio, note, e99, b99)


def bench_point(sizes: Sizes, fx: QueryFixture) -> list[Result]:
    """``get_item(id)`` vs ``SELECT doc FROM items WHERE key = ?``."""
    rng = random.Random(3)
    order = [rng.randrange(len(fx.ids)) for _ in range(sizes.samples + sizes.warmup)]
    run = fx.runtime.run_query
    execute = fx.conn.execute
    sql = "SELECT doc FROM items WHERE key = ?"

    def engine(i: int) -> Any:
        doc = run("items:get_item", {"id": fx.ids[order[i]]}).value
        assert doc is not None
        return doc

    def baseline(i: int) -> Any:
        return execute(sql, (fx.keys[order[i]],)).fetchone()

    def baseline_decoded(i: int) -> Any:
        return json.loads(execute(sql, (fx.keys[order[i]],)).fetchone()[0])

    results = [
        latency_result(
            "point query",
            *interleaved(sizes.samples, sizes.warmup, engine, baseline),
            "raw sqlite3",
        )
    ]
    results.append(
        latency_result(
            "point query vs raw+json",
            *interleaved(sizes.samples, sizes.warmup, engine, baseline_decoded),
            "raw sqlite3 + json.loads",
            POINT_GOAL,
        )
    )
    return results


def bench_range(sizes: Sizes, fx: QueryFixture) -> list[Result]:
    """``range_by_value(lo, lo + 50, 100)`` (50 rows by the ``by_value`` index) vs raw SQL."""
    rng = random.Random(4)
    top = sizes.table_rows - RANGE_ROWS
    order = [float(rng.randrange(top)) for _ in range(sizes.samples + sizes.warmup)]
    run = fx.runtime.run_query
    execute = fx.conn.execute
    sql = "SELECT key, doc FROM items WHERE value >= ? AND value < ? ORDER BY value LIMIT ?"

    def engine(i: int) -> Any:
        lo = order[i]
        docs = run("items:range_by_value", {"lo": lo, "hi": lo + RANGE_ROWS, "limit": 100}).value
        assert len(docs) == RANGE_ROWS, len(docs)
        return docs

    def baseline(i: int) -> Any:
        lo = order[i]
        rows = execute(sql, (lo, lo + RANGE_ROWS, 100)).fetchall()
        assert len(rows) == RANGE_ROWS, len(rows)
        return rows

    def baseline_decoded(i: int) -> Any:
        lo = order[i]
        return [json.loads(doc) for _, doc in execute(sql, (lo, lo + RANGE_ROWS, 100))]

    samples = max(100, sizes.samples // 2)
    return [
        latency_result(
            f"range query ({RANGE_ROWS} rows)",
            *interleaved(samples, sizes.warmup, engine, baseline),
            "raw sqlite3",
        ),
        latency_result(
            "range query vs raw+json",
            *interleaved(samples, sizes.warmup, engine, baseline_decoded),
            "raw sqlite3 + json.loads",
        ),
    ]


# --- entry points ----------------------------------------------------------------------------


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    """Every engine benchmark; prints one line per figure and returns the results."""
    sizes = Sizes.of(quick)
    results: list[Result] = []
    for sync in ("NORMAL", "FULL"):
        results += bench_insert(sizes, sync, tmp_root)
    with fresh_dir(tmp_root) as root:
        fx = build_fixture(sizes, root)
        try:
            results += bench_point(sizes, fx)
            results += bench_range(sizes, fx)
        finally:
            fx.conn.close()
            fx.runtime.close()
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
