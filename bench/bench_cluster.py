"""Many processes serving one deployment: mutation throughput with one and two processes over
SQLite and PostgreSQL, and what following another process's commits adds to a live update.

Figures (ratios in one run):

- ``HTTP mutations, N clients: <setup>``: non-conflicting ``notes:insert`` mutations/s from N
  (8, then 32) keep-alive clients (the bench process, on the same cores) against one
  ``livebase serve`` process over SQLite, the baseline. With ``--workers`` the kernel spreads
  connections over the workers by a hash of their addresses: 8 often split 6/2 or 5/3, so
  the 8-client figure says as much about that split as about the processes; 32 split near
  evenly. Every setup runs at once and they take turns, round by
  round. Setups: ``--workers 2`` over SQLite, one process over
  PostgreSQL, ``--workers 2`` over PostgreSQL. Goal for two processes: >= 1.6x one.
- ``live update from another process``: a subscriber to ``boards:get`` on process A; the
  ``boards:stamp`` mutation goes through process A (baseline) or process B (both over one
  PostgreSQL schema, alternating); latency from sending the mutation to the subscriber's
  Transition. Ratio = p50 via B / p50 via A; the note gives the p50 added (goal < 5 ms).

PostgreSQL comes from ``LIVEBASE_BENCH_POSTGRES_URL`` (default: the local server, database
``test``); each run uses a schema of its own, dropped afterwards. Without a server those
figures are left out, with the reason printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench_engine import Result, fresh_dir, say
from bench_server import (
    APP_DIR,
    BOARD_TEXT,
    AsyncRawClient,
    Server,
    concurrent,
    connect_message,
    modify_message,
    run_async,
    running,
    transition,
    ws_connect,
)

POSTGRES_URL = os.environ.get(
    "LIVEBASE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SCALE_GOAL = 1.6
_dirs = 0


def new_dir(root: Path, name: str) -> Path:
    global _dirs
    _dirs += 1
    path = root / f"{name}-{_dirs}"
    path.mkdir()
    return path


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of sorted samples."""
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


FOLLOW_GOAL_MS = 5.0


def serve_argv(data_dir: Path, *flags: str) -> Callable[[int], list[str]]:
    return lambda port: [
        "-m", "livebase", "serve", str(APP_DIR), "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(data_dir), "--log-level", "warning", *flags,
    ]  # fmt: skip


def postgres_schema() -> str | None:
    """A fresh schema's URL on the benchmark's PostgreSQL server, or None (reason printed)."""
    try:
        import psycopg
    except ImportError:
        say("PostgreSQL figures left out: psycopg is not installed")
        return None
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=5).close()
    except psycopg.Error as exc:
        say(f"PostgreSQL figures left out: no server at {POSTGRES_URL}: {exc}")
        return None
    return f"lb_bench_{uuid.uuid4().hex[:12]}"


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"


class ReconnectingClient(AsyncRawClient):
    """``AsyncRawClient`` that opens its connection again when the server closed it: while
    the other setups take their turns, a connection sits idle past uvicorn's keep-alive."""

    async def post(self, body: bytes) -> None:
        try:
            await super().post(body)
        except (asyncio.IncompleteReadError, ConnectionError):
            if self.writer is not None:
                self.writer.close()
            self.reader = self.writer = None
            await super().post(body)


def throughput(root: Path, ops: int, rounds: int, schemas: list[str], clients: int) -> list[Result]:
    """All setups run at once (idle ones cost little) and take turns round by round, so
    drift in the machine's load reaches every one of them alike."""
    setups: list[tuple[str, tuple[str, ...]]] = [
        ("1 process, SQLite", ()),
        ("2 workers, SQLite", ("--workers", "2")),
    ]
    if schemas:
        setups += [
            ("1 process, PostgreSQL", ("--db", schema_url(schemas[0]))),
            ("2 workers, PostgreSQL", ("--db", schema_url(schemas[1]), "--workers", "2")),
        ]
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(
                running(
                    f"livebase-{label.replace(' ', '').replace(',', '-')}",
                    serve_argv(new_dir(root, "cluster"), *flags),
                    root,
                )
            )
            for label, flags in setups
        ]
        time.sleep(1.5)  # every worker up
        spent = run_async(concurrent(ReconnectingClient, servers, ops, rounds, clients))
    rates = {label: ops / seconds for (label, _), seconds in zip(setups, spent, strict=True)}
    base = rates["1 process, SQLite"]
    results = []
    for label, rate in rates.items():
        if label == "1 process, SQLite":
            continue
        ratio = rate / base
        goal = ""
        if "2 workers" in label:
            one = rates[label.replace("2 workers", "1 process")]
            met = "met" if rate / one >= SCALE_GOAL else "NOT met"
            goal = (
                f"; vs 1 process on the same store {rate / one:.2f}x (goal >= {SCALE_GOAL}x: {met})"
            )
        name = f"HTTP mutations, {clients} clients: {label}"
        say(f"{name}: {rate:,.0f} ops/s, 1 process, SQLite {base:,.0f} ops/s, {ratio:.2f}x{goal}")
        results.append(Result(name, "ops/s", rate, base, ratio, "vs 1 process, SQLite" + goal))
    return results


async def follow_latency(a: Server, b: Server, samples: int) -> tuple[list[float], list[float]]:
    import httpx

    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        names = ["main"]
        reply = await http.post(
            f"{a.http}/api/mutation",
            json={"path": "boards:createMany", "args": [{"names": names, "text": BOARD_TEXT}]},
        )
        assert reply.json()["status"] == "success", reply.text
        ws = await ws_connect(f"{a.ws}/api/sync")
        await ws.send(connect_message())
        await ws.send(modify_message(0, [(0, "boards:get", {"name": "main"})]))
        await transition(ws, 1)
        same: list[float] = []
        other: list[float] = []
        try:
            for seq in range(1, samples + 1):
                via = (a, b)[seq % 2]
                started = time.perf_counter()
                reply = await http.post(
                    f"{via.http}/api/mutation",
                    json={
                        "path": "boards:stamp",
                        "args": [{"name": "main", "seq": seq, "text": BOARD_TEXT}],
                    },
                )
                assert reply.json()["status"] == "success", reply.text
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 15))
                    if message.get("type") != "Transition":
                        continue
                    values = [m.get("value") for m in message["modifications"]]
                    if any(isinstance(v, dict) and v.get("seq") == seq for v in values):
                        break
                (same if via is a else other).append((time.perf_counter() - started) * 1000)
        finally:
            await ws.close()
    return same, other


def following(root: Path, samples: int, schema: str) -> list[Result]:
    url = schema_url(schema)
    with (
        running("livebase-pg-a", serve_argv(new_dir(root, "a"), "--db", url), root) as a,
        running("livebase-pg-b", serve_argv(new_dir(root, "b"), "--db", url), root) as b,
    ):
        same, other = run_async(follow_latency(a, b, samples))
    same.sort()
    other.sort()
    p50s, p50o = percentile(same, 50), percentile(other, 50)
    added = p50o - p50s
    met = "met" if added < FOLLOW_GOAL_MS else "NOT met"
    name = "live update from another process"
    say(
        f"{name}: via B p50 {p50o:.2f} ms p99 {percentile(other, 99):.2f} ms, via A p50 "
        f"{p50s:.2f} ms p99 {percentile(same, 99):.2f} ms, ratio {p50o / p50s:.2f}x; "
        f"added p50 {added:.2f} ms (goal < {FOLLOW_GOAL_MS:g} ms: {met})"
    )
    return [
        Result(
            name,
            "us",
            p50o * 1000,
            p50s * 1000,
            p50o / p50s,
            f"added p50 {added:.2f} ms (goal < {FOLLOW_GOAL_MS:g} ms: {met}); both over PostgreSQL",
            percentile(other, 99) * 1000,
            percentile(same, 99) * 1000,
        )
    ]


def run(quick: bool, tmp_root: str | None) -> list[Result]:
    ops, rounds, samples = (400, 2, 40) if quick else (4_000, 5, 300)
    first = postgres_schema()
    schemas = [] if first is None else [first, f"{first}_b"]
    try:
        with fresh_dir(tmp_root) as root:
            results = throughput(root, ops, rounds, schemas, 8)
            # why: the kernel spreads connections over the workers' sockets by a hash, and
            # 8 connections often split 6/2 or 5/3; with 32 the split is near even
            results += throughput(root, ops, rounds, schemas, 32)
            if schemas:
                results += following(root, samples, schemas[0])
    finally:
        for schema in schemas:
            drop_schema(schema)
    return results
