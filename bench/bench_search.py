"""Full-text search benchmarks: livebase's search indexes against the raw engine doing the same.

1. search latency on N documents: ``run_query("messages:search")`` (the ten best of a
   two-word query, the last word matched as a prefix) against SQLite's FTS5 on the same texts
   (``WHERE fts MATCH '"w1" OR "w2"*' ORDER BY rank LIMIT 10``, the documents' JSON decoded), at
   10,000 and 100,000 documents (``--sizes`` for others, e.g. ``10000,100000,1000000``);
   and on PostgreSQL (``--postgres``), livebase there against a ``tsvector`` column with a GIN
   index (``ORDER BY ts_rank ... LIMIT 10``);
2. vector search latency: ``ctx.vector_search`` (the 16 nearest, through an action) among
   10,000 and 100,000 vectors of 1,536 dimensions against numpy brute force over the same
   matrix in the same process (``--vector-sizes``);
3. the cost of a search index on inserts: single-document insert mutations into a table with
   one search index against the same table without it, in alternating rounds.

The texts are reproducible: words drawn from a Zipf distribution over a made-up vocabulary of
30,000 words, 8 to 24 words per message; queries pair two words of middling frequency.

Run it through ``bench/run.py`` (``make bench``: 10,000 documents, or 2,000 with ``--quick``), or
alone: ``python bench/bench_search.py --sizes 10000,100000,1000000 [--postgres]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench_engine import Result, fresh_dir, interleaved, latency_result, say
from livebase import Runtime
from livebase.persistence import open_persistence

HERE = Path(__file__).resolve().parent
SEARCH_APP = HERE / "apps" / "searchapp"
PLAIN_APP = HERE / "apps" / "searchplain"
VECTOR_APP = HERE / "apps" / "vectorapp"
VOCABULARY = 30_000
LOAD_BATCH = 5_000
LIMIT = 10
P99_GOAL_MS = 50.0
RATIO_GOAL = 2.0
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"]


def vocabulary(rng: random.Random) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        words["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


class Corpus:
    """Reproducible messages and queries."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        weights = [1.0 / (rank + 1) ** 1.1 for rank in range(VOCABULARY)]
        total = sum(weights)
        self.cumulative: list[float] = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)

    def messages(self, n: int) -> Iterator[str]:
        rng = random.Random(11)
        for _ in range(n):
            picks = rng.choices(self.words, cum_weights=self.cumulative, k=rng.randint(8, 24))
            yield " ".join(picks)

    def queries(self, n: int) -> list[str]:
        rng = random.Random(13)
        return [
            f"{rng.choice(self.words[30:3000])} {rng.choice(self.words[30:3000])}" for _ in range(n)
        ]


def channel(i: int) -> str:
    return f"#c{i % 8}"


def load(runtime: Runtime, corpus: Corpus, n: int) -> float:
    """Store ``n`` messages in batches of one transaction each; returns seconds taken."""
    db = runtime.db
    start = time.perf_counter()
    txn = db.begin(True)
    for i, body in enumerate(corpus.messages(n)):
        txn.insert("messages", {"body": body, "channel": channel(i)})
        if (i + 1) % LOAD_BATCH == 0:
            db.commit(txn)
            txn.close()
            txn = db.begin(True)
    db.commit(txn)
    txn.close()
    return time.perf_counter() - start


def fts5(path: Path, corpus: Corpus, n: int) -> sqlite3.Connection:
    """The raw baseline: the same messages as JSON documents with an FTS5 index on the text."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
    conn.execute("CREATE VIRTUAL TABLE fts USING fts5(body, content='', tokenize='unicode61')")
    conn.execute("BEGIN")
    for i, body in enumerate(corpus.messages(n)):
        conn.execute(
            "INSERT INTO docs VALUES (?, ?)",
            (i + 1, json.dumps({"body": body, "channel": channel(i)})),
        )
        conn.execute("INSERT INTO fts (rowid, body) VALUES (?, ?)", (i + 1, body))
    conn.execute("COMMIT")
    return conn


FTS5_QUERY = (
    "SELECT d.doc FROM (SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?) f"
    " JOIN docs d ON d.id = f.rowid"
)


def fts5_match(text: str) -> str:
    *words, last = text.split()
    return " OR ".join([*(f'"{w}"' for w in words), f'"{last}"*'])


def bench_latency(n: int, samples: int, tmp_root: str | None) -> list[Result]:
    corpus = Corpus()
    queries = corpus.queries(samples + 50)
    with fresh_dir(tmp_root) as root:
        runtime = Runtime(SEARCH_APP, root / "data")
        conn = None
        try:
            seconds = load(runtime, corpus, n)
            say(f"search: stored {n:,} messages in {seconds:.1f} s ({n / seconds:,.0f} docs/s)")
            conn = fts5(root / "fts5.sqlite3", corpus, n)
            run = runtime.run_query
            execute = conn.execute

            def engine(i: int) -> Any:
                return run("messages:search", {"text": queries[i], "limit": LIMIT}).value

            def baseline(i: int) -> Any:
                rows = execute(FTS5_QUERY, (fts5_match(queries[i]), LIMIT)).fetchall()
                return [json.loads(doc) for (doc,) in rows]

            for i in range(20):  # both find the same number of the ten best
                assert len(engine(i)) == len(baseline(i)), queries[i]
            engine_ns, baseline_ns = interleaved(samples, 50, engine, baseline)
            result = latency_result(f"search {n:,} docs", engine_ns, baseline_ns, "raw FTS5")
            p99_ms = (result.engine_p99 or 0.0) / 1000
            result.note += (
                f"; p99 {p99_ms:.1f} ms; goal <= {RATIO_GOAL:.0f}x and p99 < {P99_GOAL_MS:.0f} ms:"
                f" {'met' if result.ratio <= RATIO_GOAL and p99_ms < P99_GOAL_MS else 'NOT met'}"
            )
            say(f"  {result.note}")
            return [result]
        finally:
            if conn is not None:
                conn.close()
            runtime.close()


def bench_postgres(n: int, samples: int, tmp_root: str | None) -> list[Result]:
    """livebase on PostgreSQL against a tsvector column with a GIN index, same texts."""
    import psycopg

    sys.path.insert(0, str(HERE.parent))
    from tests import pgsupport

    corpus = Corpus()
    queries = corpus.queries(samples + 50)
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    conn = psycopg.connect(pgsupport.POSTGRES_URL, autocommit=True)
    with fresh_dir(tmp_root) as root:
        runtime = Runtime(SEARCH_APP, root, persistence=open_persistence(url))
        try:
            return _postgres_figures(runtime, conn, schema, corpus, queries, n, samples)
        finally:
            runtime.close()
            conn.close()
            pgsupport.drop_schema(schema)


def _postgres_figures(
    runtime: Runtime,
    conn: Any,
    schema: str,
    corpus: Corpus,
    queries: list[str],
    n: int,
    samples: int,
) -> list[Result]:
    seconds = load(runtime, corpus, n)
    say(f"search on PostgreSQL: stored {n:,} messages in {seconds:.1f} s")
    table = f'"{schema}".raw_docs'
    conn.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, doc text, body tsvector)")
    with conn.cursor() as cur, cur.copy(f"COPY {table} (id, doc) FROM STDIN") as copy:
        for i, body in enumerate(corpus.messages(n)):
            copy.write_row((i + 1, json.dumps({"body": body, "channel": channel(i)})))
    conn.execute(f"UPDATE {table} SET body = to_tsvector('simple', doc::json->>'body')")
    conn.execute(f"CREATE INDEX ON {table} USING gin (body)")
    # why: both sides as autovacuum leaves them after a load (visibility map set, statistics
    # fresh), so that index-only scans are possible on either
    for name in ("documents", "search_terms", "search_vocab", "search_stats", "raw_docs"):
        conn.execute(f'VACUUM ANALYZE "{schema}".{name}')
    sql = (
        f"SELECT doc FROM {table} WHERE body @@ to_tsquery('simple', %s)"
        " ORDER BY ts_rank(body, to_tsquery('simple', %s)) DESC LIMIT %s"
    )

    def tsquery(text: str) -> str:
        *words, last = text.split()
        return " | ".join([*words, f"{last}:*"])

    def engine(i: int) -> Any:
        return runtime.run_query("messages:search", {"text": queries[i], "limit": LIMIT}).value

    def baseline(i: int) -> Any:
        q = tsquery(queries[i])
        return [json.loads(doc) for (doc,) in conn.execute(sql, (q, q, LIMIT)).fetchall()]

    engine_ns, baseline_ns = interleaved(samples, 20, engine, baseline)
    result = latency_result(
        f"search {n:,} docs on PostgreSQL", engine_ns, baseline_ns, "raw tsvector + GIN"
    )
    return [result]


def raw_fts5_insert_ratio(bodies: list[str], root: Path) -> float:
    """Raw sqlite3 inserting rows one transaction each, with an FTS5 index over the text
    against without it (alternating row by row): what full-text indexing costs SQLite itself."""
    conns = {}
    for name in ("fts", "plain"):
        conn = sqlite3.connect(root / f"raw-{name}.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        if name == "fts":
            conn.execute("CREATE VIRTUAL TABLE fts USING fts5(body, content='')")
        conns[name] = conn
    timed = {"fts": 0.0, "plain": 0.0}
    try:
        for i, body in enumerate(bodies):
            for name, conn in conns.items():
                start = time.perf_counter()
                conn.execute("BEGIN")
                conn.execute("INSERT INTO docs VALUES (?, ?)", (i, json.dumps({"body": body})))
                if name == "fts":
                    conn.execute("INSERT INTO fts (rowid, body) VALUES (?, ?)", (i, body))
                conn.execute("COMMIT")
                timed[name] += time.perf_counter() - start
    finally:
        for conn in conns.values():
            conn.close()
    return timed["plain"] / timed["fts"]


def bench_vectors(n: int, samples: int, tmp_root: str | None) -> list[Result]:
    """``ctx.vector_search`` (the 16 nearest of ``n`` 1,536-dimension vectors, through an
    action) against numpy brute force over the same normalized matrix, call by call."""
    import asyncio

    import numpy as np

    rng = np.random.default_rng(5)
    dims = 1536
    with fresh_dir(tmp_root) as root:
        runtime = Runtime(VECTOR_APP, root / "data")
        try:
            start = time.perf_counter()
            matrix = np.empty((n, dims), dtype=np.float32)
            db = runtime.db
            for first in range(0, n, 500):
                block = rng.standard_normal((min(500, n - first), dims)).astype(np.float32)
                matrix[first : first + len(block)] = block
                txn = db.begin(True)
                for i, row in enumerate(block):
                    txn.insert("items", {"embedding": row.tolist(), "kind": f"k{(first + i) % 4}"})
                db.commit(txn)
                txn.close()
            say(f"vectors: stored {n:,} in {time.perf_counter() - start:.1f} s")
            normalized = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
            queries = rng.standard_normal((samples + 20, dims)).astype(np.float32)
            as_lists = [q.tolist() for q in queries]
            loop = asyncio.new_event_loop()
            first_call = time.perf_counter()
            loop.run_until_complete(runtime.run_action("items:nearest", {"vector": as_lists[0]}))
            say(f"vectors: first search (loads the index) {time.perf_counter() - first_call:.2f} s")

            def engine(i: int) -> Any:
                found = loop.run_until_complete(
                    runtime.run_action("items:nearest", {"vector": as_lists[i]})
                )
                assert len(found) == 16
                return found

            def baseline(i: int) -> Any:
                q = np.asarray(as_lists[i], dtype=np.float32)
                scores = normalized @ (q / np.linalg.norm(q))
                top = np.argpartition(-scores, 15)[:16]
                return top[np.argsort(-scores[top])]

            for i in range(5):  # the same nearest neighbours, exactly
                ids = [doc["_id"] for doc in engine(i)]
                assert len(set(ids)) == 16 and len(baseline(i)) == 16
            engine_ns, baseline_ns = interleaved(samples, 5, engine, baseline)
            loop.close()
            return [
                latency_result(
                    f"vector search {n:,} x {dims}", engine_ns, baseline_ns, "numpy brute force"
                )
            ]
        finally:
            runtime.close()


def bench_insert_cost(inserts: int, rounds: int, tmp_root: str | None) -> list[Result]:
    """Insert mutations with one search index against the same table without one."""
    corpus = Corpus()
    bodies = list(corpus.messages(inserts * 2 + 200))
    with fresh_dir(tmp_root) as root:
        indexed = Runtime(SEARCH_APP, root / "indexed")
        plain = Runtime(PLAIN_APP, root / "plain")
        try:
            for i in range(100):  # warm up both
                indexed.run_mutation("messages:insert", {"body": bodies[i], "channel": "#w"})
                plain.run_mutation("messages:insert", {"body": bodies[i], "channel": "#w"})
            per_round = max(1, inserts // rounds)
            timed = {"indexed": 0.0, "plain": 0.0}
            done = 0
            for r in range(rounds):
                order = [("indexed", indexed), ("plain", plain)]
                for name, runtime in order if r % 2 else order[::-1]:
                    start = time.perf_counter()
                    for i in range(per_round):
                        body = bodies[200 + done + i]
                        runtime.run_mutation("messages:insert", {"body": body, "channel": "#b"})
                    timed[name] += time.perf_counter() - start
                done += per_round
            rate = {name: done / seconds for name, seconds in timed.items()}
            ratio = rate["indexed"] / rate["plain"]
            raw = raw_fts5_insert_ratio(bodies[200 : 200 + done], root)
            say(
                f"insert with a search index: {rate['indexed']:,.0f} ops/s, without "
                f"{rate['plain']:,.0f} ops/s, ratio {ratio:.2f}x (raw sqlite3 with and without"
                f" FTS5, a transaction per row: {raw:.2f}x)"
            )
            return [
                Result(
                    "insert with a search index",
                    "ops/s",
                    rate["indexed"],
                    rate["plain"],
                    ratio,
                    f"baseline: the same table without the index; raw FTS5's own {raw:.2f}x",
                )
            ]
        finally:
            indexed.close()
            plain.close()


def run(
    quick: bool = False,
    tmp_root: str | None = None,
    sizes: list[int] | None = None,
    postgres: bool = False,
    vector_sizes: list[int] | None = None,
) -> list[Result]:
    """Every search benchmark; prints one line per figure and returns the results."""
    sizes = sizes or ([2_000] if quick else [10_000])
    samples = 200 if quick else 1_000
    results: list[Result] = []
    for n in sizes:
        results += bench_latency(n, samples, tmp_root)
        if postgres:
            results += bench_postgres(n, samples, tmp_root)
    for n in vector_sizes if vector_sizes is not None else ([1_000] if quick else [10_000]):
        results += bench_vectors(n, 50 if quick else 200, tmp_root)
    results += bench_insert_cost(300 if quick else 3_000, 4 if quick else 10, tmp_root)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--postgres", action="store_true", help="also livebase on PostgreSQL")
    parser.add_argument("--vector-sizes", default="10000,100000")
    parser.add_argument("--tmpdir")
    args = parser.parse_args()
    run(
        args.quick,
        args.tmpdir,
        [int(s) for s in args.sizes.split(",")],
        args.postgres,
        [int(s) for s in args.vector_sizes.split(",")],
    )
