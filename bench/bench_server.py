"""Server benchmarks: a real ``livebase serve`` process against plain servers doing the same
network work, in one run.

1. write-to-subscriber latency: 1,000 WebSocket clients subscribed (Connect + ModifyQuerySet
   Add) to one query reading a ``boards`` document by index; mutations through
   ``/api/mutation`` rewrite that document, stamped with the time the mutation ran (its frozen
   clock; the commit follows within a millisecond); each (mutation, client) pair's latency runs
   from that stamp to the client receiving the Transition carrying the new value. Baseline: a
   plain ``websockets`` server calling ``websockets.broadcast`` with a payload of the same size
   to 1,000 clients, timed from the broadcast call to receipt. The two alternate mutation by
   mutation;
2. HTTP mutation throughput: ``POST /api/mutation`` inserting one small document each,
   sequential and from 8 concurrent connections, against a plain FastAPI endpoint doing one
   sqlite3 ``INSERT`` transaction each (WAL, ``synchronous=NORMAL``), in alternating rounds.
   The requests come from a minimal HTTP/1.1 keep-alive client; the same through ``httpx``
   is reported too, but ``httpx`` itself caps both servers at about the same rate;
3. memory per idle live subscription: server RSS (``VmRSS``) before and after 100 connections
   x 100 distinct subscriptions, against the RSS per idle connection of a plain ``websockets``
   server holding 10,000 connections;
4. invalidation with idle live queries: the latency from a mutation's stamp to the one
   subscriber it affects, on a server where another connection holds 10,000 idle live queries
   on the same index, and on one where 1,000 other connections hold one each, against a server
   with no other live query. The three alternate mutation by mutation.

The servers run as ``livebase serve`` runs: uvicorn (log level warning) or ``websockets`` on
the stdlib asyncio loop. All clients run in this process on one event loop (uvloop when
installed): on 2 cores the server under test gets the other core, and the baselines are
measured through the same client code, so client-side cost is in both sides of every ratio.
Every server is a subprocess on a free 127.0.0.1 port, stopped on exit. This module is also the
baselines' server: ``python bench/bench_server.py --serve broadcast PORT`` or
``--serve fastapi PORT DB``.

``LIVEBASE_BENCH_PROFILE=DIR`` runs each livebase server under cProfile and leaves
``DIR/livebase-<benchmark>.prof`` (read with ``python -m pstats``).

Run it through ``bench/run.py`` (``make bench``), or alone: ``python bench/bench_server.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from starlette.requests import Request

from bench_engine import Result, fresh_dir, percentile, say

HERE = Path(__file__).resolve().parent
APP_DIR = HERE / "apps" / "serverapp"
HOST = "127.0.0.1"
HTTP_MUTATION_GOAL = 1.0  # livebase / FastAPI + sqlite3 mutation throughput
LATENCY_GOAL_MS = 100.0  # p99 from commit to receipt...
GOAL_SUBSCRIBERS = 1_000  # ...by this many subscribers
MEMORY_GOAL = 1 << 30  # server RSS holding GOAL_SUBSCRIPTIONS idle subscriptions
GOAL_SUBSCRIPTIONS = 10_000
INVALIDATION_GOAL = 1.5  # commit-to-subscriber p50 with idle live queries / with none...
GOAL_IDLE_QUERIES = 10_000  # ...with this many idle queries on the same index
GOAL_IDLE_CONNECTIONS = 1_000  # ...or this many idle connections, one query each
CONCURRENT_CLIENTS = 8
PROFILE_ENV = "LIVEBASE_BENCH_PROFILE"
BOARD_TEXT = "a board of about one hundred and twenty bytes " * 2  # the document's padding
NOTE_BODY = "a small note of about fifty characters, give or take"

T = TypeVar("T")


@dataclass
class Sizes:
    """How much work each benchmark does."""

    subscribers: int  # clients subscribed to the one query (fan-out)
    mutations: int  # timed fan-out rounds per side
    http_ops: int  # timed HTTP inserts per side, sequential (and again with 8 clients)
    http_rounds: int  # livebase and the baseline alternate this many times
    connections: int  # memory: livebase connections...
    queries: int  # ...each holding this many distinct subscriptions
    plain_connections: int  # memory baseline: idle plain WebSocket connections
    idle_queries: int  # invalidation: idle live queries on one connection...
    idle_connections: int  # ...or this many connections holding one each
    invalidation_rounds: int  # timed mutations per server
    seconds: float  # a bound on the time each benchmark's timed loop may take

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(100, 5, 300, 2, 10, 20, 200, 1_000, 100, 30, 20.0)
        return cls(1_000, 30, 3_000, 6, 100, 100, 10_000, 10_000, 1_000, 200, 60.0)


# --- servers -----------------------------------------------------------------------------


@dataclass
class Server:
    """A server subprocess listening on ``port``."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def rss(self) -> int:
        """Resident set size in bytes (``VmRSS``)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for {self.name}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def livebase_argv(data_dir: Path) -> Callable[[int], list[str]]:
    return lambda port: [
        "-m", "livebase", "serve", str(APP_DIR), "--host", HOST, "--port", str(port),
        "--data-dir", str(data_dir), "--log-level", "warning",
    ]  # fmt: skip


def baseline_argv(kind: str, *extra: str) -> Callable[[int], list[str]]:
    return lambda port: [str(Path(__file__).resolve()), "--serve", kind, str(port), *extra]


@contextmanager
def running(name: str, argv: Callable[[int], list[str]], root: Path) -> Iterator[Server]:
    """Start a server subprocess, wait until it accepts connections, stop it on exit."""
    port = free_port()
    log = root / f"{name}.log"
    command = [sys.executable, *argv(port)]
    profile_dir = os.environ.get(PROFILE_ENV)
    if profile_dir and name.startswith("livebase"):
        out = Path(profile_dir).resolve() / f"{name}.prof"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "cProfile", "-o", str(out), *argv(port)]
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=root)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start listening on {port}") from None
                time.sleep(0.05)
        yield Server(name, proc, port, log)
    finally:
        if proc.poll() is None:
            # why: uvicorn shuts down gracefully on SIGINT and then re-raises it, which
            # unwinds the process (cProfile writes its file); SIGTERM would end it unwritten.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def raise_fd_limit(need: int) -> int:
    """Raise the soft limit on open files (children inherit it); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return need
    want = need if hard == resource.RLIM_INFINITY else min(hard, need)
    if want <= soft:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def run_async(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


# --- WebSocket clients -------------------------------------------------------------------


def connect_message() -> str:
    return json.dumps(
        {
            "type": "Connect",
            "sessionId": str(uuid.uuid4()),
            "connectionCount": 0,
            "lastCloseReason": "InitialConnect",
            "clientTs": 0,
        }
    )


def modify_message(base: int, queries: list[tuple[int, str, dict[str, Any]]]) -> str:
    adds = [
        {"type": "Add", "queryId": qid, "udfPath": path, "args": [args]}
        for qid, path, args in queries
    ]
    return json.dumps(
        {
            "type": "ModifyQuerySet",
            "baseVersion": base,
            "newVersion": base + 1,
            "modifications": adds,
        }
    )


async def ws_connect(url: str) -> Any:
    from websockets.asyncio.client import connect

    # why: library defaults otherwise (permessage-deflate offered, as browsers do); no client
    # pings, and no proxy from the environment for loopback.
    return await connect(url, ping_interval=None, proxy=None, open_timeout=60, max_queue=None)


async def open_many(n: int, open_one: Callable[[int], Awaitable[T]], parallel: int = 64) -> list[T]:
    """``open_one(i)`` for ``i < n``, ``parallel`` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(i: int) -> T:
        async with gate:
            return await open_one(i)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def close_all(sockets: list[Any]) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(
            asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True), 30
        )
    for ws in sockets:
        ws.transport.abort()


async def transition(ws: Any, query_set: int, timeout: float = 60) -> dict[str, Any]:
    """The next Transition reaching ``query_set`` (Pings and others skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if (
                message.get("type") == "Transition"
                and message["endVersion"]["querySet"] >= query_set
            ):
                return message


# --- 1. write-to-subscriber latency ------------------------------------------------------


class Inbox:
    """Receipt times of one side's messages during one round."""

    def __init__(self) -> None:
        self.expected = 0
        self.got: list[tuple[float, str]] = []
        self.done = asyncio.Event()

    def reset(self, expected: int) -> None:
        self.expected = expected
        self.got = []
        self.done.clear()

    def add(self, at: float, text: str) -> None:
        self.got.append((at, text))
        if len(self.got) >= self.expected:
            self.done.set()


async def pump(ws: Any, inbox: Inbox, marker: str) -> None:
    """Record the receipt time of every message holding ``marker``; decode later."""
    from websockets.exceptions import ConnectionClosed

    clock = time.time
    with contextlib.suppress(ConnectionClosed):
        async for text in ws:
            now = clock()
            if marker in text:
                inbox.add(now, text)


@dataclass
class Side:
    """One side of the fan-out benchmark: its clients' receipt delays, in ns."""

    name: str
    from_stamp: list[int] = field(default_factory=list)  # from the payload's stamp
    from_send: list[int] = field(default_factory=list)  # from just before the request was sent
    first: list[int] = field(default_factory=list)  # per round: the first client's delay
    last: list[int] = field(default_factory=list)  # per round: the last client's delay
    missing: int = 0

    def record(self, sent: float, stamps: list[tuple[float, float]], expected: int) -> None:
        delays = [round((received - stamp) * 1e9) for received, stamp in stamps]
        self.from_stamp += delays
        self.from_send += [round((received - sent) * 1e9) for received, _ in stamps]
        if delays:
            self.first.append(min(delays))
            self.last.append(max(delays))
        self.missing += expected - len(stamps)

    def ms(self, q: float, samples: list[int] | None = None) -> float:
        ordered = sorted(self.from_stamp if samples is None else samples)
        return percentile(ordered, q) / 1000 if ordered else float("nan")

    def describe(self, stamp: str) -> str:
        return (
            f"   {self.name}: from {stamp} p50 {self.ms(0.5):.1f} ms p99 {self.ms(0.99):.1f} ms; "
            f"from request sent p50 {self.ms(0.5, self.from_send):.1f} ms p99 "
            f"{self.ms(0.99, self.from_send):.1f} ms; per round, first client "
            f"{self.ms(0.5, self.first):.1f} ms and last client {self.ms(0.5, self.last):.1f} ms "
            f"(median round), last client {self.ms(1.0, self.last):.1f} ms (worst round)"
            + (f"; {self.missing} deliveries MISSING" if self.missing else "")
        )


def livebase_stamps(seq: int, got: list[tuple[float, str]]) -> list[tuple[float, float]]:
    """(receipt time, mutation time) of each Transition carrying board ``seq``."""
    out = []
    for received, text in got:
        for mod in json.loads(text)["modifications"]:
            value = mod.get("value")
            if mod["type"] == "QueryUpdated" and value and float(value["seq"]) == seq:
                out.append((received, float(value["at"])))
    return out


def broadcast_stamps(seq: int, got: list[tuple[float, str]]) -> list[tuple[float, float]]:
    out = []
    for received, text in got:
        message = json.loads(text)
        if message["seq"] == seq:
            out.append((received, float(message["at"])))
    return out


async def fanout(sizes: Sizes, livebase: Server, plain: Server) -> list[Result]:
    import httpx

    n = sizes.subscribers
    lb_inbox, plain_inbox = Inbox(), Inbox()
    http = httpx.AsyncClient(base_url=livebase.http, trust_env=False, timeout=60)

    async def stamp(seq: int) -> None:
        args = {"name": "main", "seq": seq, "text": BOARD_TEXT}
        reply = await http.post("/api/mutation", json={"path": "boards:stamp", "args": [args]})
        assert reply.json()["status"] == "success", reply.text

    await stamp(0)

    async def subscriber(i: int) -> Any:
        ws = await ws_connect(f"{livebase.ws}/api/sync")
        await ws.send(connect_message())
        await ws.send(modify_message(0, [(0, "boards:get", {"name": "main"})]))
        first = await transition(ws, 1)
        assert first["modifications"][0]["type"] == "QueryUpdated", first
        return ws

    async def listener(i: int) -> Any:
        ws = await ws_connect(f"{plain.ws}/")
        await ws.send("hello")
        await ws.recv()
        return ws

    started = time.perf_counter()
    lb_clients = await open_many(n, subscriber)
    plain_clients = await open_many(n, listener)
    control = await ws_connect(f"{plain.ws}/control")
    say(f"   {2 * n:,} WebSocket clients connected and subscribed in "
        f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    pumps = [asyncio.create_task(pump(ws, lb_inbox, '"QueryUpdated"')) for ws in lb_clients]
    pumps += [asyncio.create_task(pump(ws, plain_inbox, '"seq"')) for ws in plain_clients]
    lb = Side("livebase")
    base = Side("broadcast")
    size = 0
    timeout = max(5.0, sizes.seconds / 4)

    async def livebase_round(seq: int, side: Side | None) -> None:
        nonlocal size
        lb_inbox.reset(n)
        sent = time.time()
        await stamp(seq)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(lb_inbox.done.wait(), timeout)
        got = lb_inbox.got
        if got and not size:
            size = len(got[0][1])
        if side is not None:
            side.record(sent, livebase_stamps(seq, got), n)

    async def plain_round(seq: int, side: Side | None) -> None:
        plain_inbox.reset(n)
        sent = time.time()
        await control.send(f"{seq} {size}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(plain_inbox.done.wait(), timeout)
        assert await control.recv() == "ok"
        if side is not None:
            side.record(sent, broadcast_stamps(seq, plain_inbox.got), n)

    rounds = 0
    # why: a collection in this process would delay receipts on either side at random; the
    # servers' own collections are part of what is measured.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        for seq in (1, 2):  # warm-up; the first also fixes the payload size
            await livebase_round(seq, None)
            await plain_round(seq, None)
        deadline = time.monotonic() + sizes.seconds
        for seq in range(3, 3 + sizes.mutations):
            if time.monotonic() > deadline:
                break
            # why: alternate which side goes first so drift in load hits both.
            order = [(livebase_round, lb), (plain_round, base)]
            for do_round, side in order if seq % 2 else order[::-1]:
                await do_round(seq, side)
                await asyncio.sleep(0.02)
            rounds += 1
    finally:
        gc.enable()
        gc.unfreeze()
        for task in pumps:
            task.cancel()
        await close_all([*lb_clients, *plain_clients, control])
        await http.aclose()
    say(lb.describe("commit"))
    say(base.describe("broadcast call"))
    e50, e99, b50, b99 = lb.ms(0.5), lb.ms(0.99), base.ms(0.5), base.ms(0.99)
    met = "met" if e99 < LATENCY_GOAL_MS else "NOT met"
    if n < GOAL_SUBSCRIBERS:
        met = f"not judged below {GOAL_SUBSCRIBERS:,} subscribers"
    name = f"write to {n:,} subscribers"
    say(
        f"{name}: livebase p50 {e50:.1f} ms p99 {e99:.1f} ms, websockets.broadcast p50 "
        f"{b50:.1f} ms p99 {b99:.1f} ms ({size} B payload, {rounds} mutations x {n:,} "
        f"clients), ratio p50 {e50 / b50:.1f}x p99 {e99 / b99:.1f}x "
        f"(goal p99 < {LATENCY_GOAL_MS:.0f} ms: {met})"
    )
    sent99 = lb.ms(0.99, lb.from_send)
    note = f"p99 {e99 / b99:.1f}x; from send p99 {sent99:.0f} ms; goal p99 < 100 ms: {met}"
    if lb.missing or base.missing:
        note += f"; missing {lb.missing}/{base.missing}"
    return [Result(name, "ms", e50, b50, e50 / b50, note, e99, b99)]


def bench_fanout(sizes: Sizes, root: Path) -> list[Result]:
    raise_fd_limit(2 * sizes.subscribers + 256)
    with (
        running("livebase-fanout", livebase_argv(root / "fanout"), root) as livebase,
        running("broadcast", baseline_argv("broadcast"), root) as plain,
    ):
        return run_async(fanout(sizes, livebase, plain))


# --- 2. HTTP mutation throughput ---------------------------------------------------------


def insert_body(i: int) -> bytes:
    args = {"author": "bench", "body": NOTE_BODY, "n": i}
    return json.dumps({"path": "notes:insert", "args": [args], "format": "json"}).encode()


def request_bytes(body: bytes) -> bytes:
    return (
        b"POST /api/mutation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


def check(status: int, body: bytes) -> None:
    if status != 200 or b'"success"' not in body:
        raise RuntimeError(f"insert failed: {status} {body[:300]!r}")


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RuntimeError(f"response without Content-Length: {head[:300]!r}")


class RawClient:
    """A minimal blocking HTTP/1.1 keep-alive client (both servers send Content-Length)."""

    def __init__(self, server: Server) -> None:
        self.sock = socket.create_connection((HOST, server.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def post(self, body: bytes) -> None:
        self.sock.sendall(request_bytes(body))
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.recv()
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        length = content_length(head)
        while len(rest) < length:
            rest += self.recv()
        check(int(head[9:12]), rest[:length])
        self.buf = rest[length:]

    def recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("server closed the connection")
        return data

    def close(self) -> None:
        self.sock.close()


class AsyncRawClient:
    """The same over asyncio streams."""

    def __init__(self, server: Server) -> None:
        self.port = server.port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> None:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(request_bytes(body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        check(int(head[9:12]), await self.reader.readexactly(content_length(head[:-4])))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class HttpxClient:
    """``httpx.Client``, the same requests."""

    def __init__(self, server: Server) -> None:
        import httpx

        self.client = httpx.Client(base_url=server.http, trust_env=False, timeout=60)

    def post(self, body: bytes) -> None:
        reply = self.client.post("/api/mutation", content=body, headers=JSON_HEADERS)
        check(reply.status_code, reply.content)

    def close(self) -> None:
        self.client.close()


class AsyncHttpxClient:
    """``httpx.AsyncClient``, the same requests."""

    def __init__(self, server: Server) -> None:
        import httpx

        self.client = httpx.AsyncClient(base_url=server.http, trust_env=False, timeout=60)

    async def post(self, body: bytes) -> None:
        reply = await self.client.post("/api/mutation", content=body, headers=JSON_HEADERS)
        check(reply.status_code, reply.content)

    async def close(self) -> None:
        await self.client.aclose()


JSON_HEADERS = {"content-type": "application/json"}


def sequential(
    make: Callable[[Server], Any], servers: list[Server], ops: int, rounds: int
) -> list[float]:
    """Seconds each server took for ``ops`` sequential inserts, in alternating rounds."""
    clients = [make(s) for s in servers]
    spent = [0.0] * len(servers)
    chunk = ops // rounds
    try:
        for client in clients:
            for i in range(max(1, chunk // 5)):
                client.post(insert_body(i))
        for r in range(rounds):
            # why: rotate which side goes first so drift in load hits both.
            for k in range(len(clients)):
                which = (r + k) % len(clients)
                post = clients[which].post
                start = time.perf_counter()
                for i in range(r * chunk, (r + 1) * chunk):
                    post(insert_body(i))
                spent[which] += time.perf_counter() - start
    finally:
        for client in clients:
            client.close()
    return spent


async def concurrent(
    make: Callable[[Server], Any],
    servers: list[Server],
    ops: int,
    rounds: int,
    clients: int = CONCURRENT_CLIENTS,
) -> list[float]:
    """Seconds each server took for ``ops`` inserts from ``clients`` concurrent clients."""
    pools = [[make(s) for _ in range(clients)] for s in servers]
    spent = [0.0] * len(servers)
    per_client = ops // rounds // clients

    async def worker(client: Any, lo: int, count: int) -> None:
        for i in range(lo, lo + count):
            await client.post(insert_body(i))

    async def burst(pool: list[Any], lo: int, count: int) -> None:
        await asyncio.gather(*(worker(c, lo + j * count, count) for j, c in enumerate(pool)))

    try:
        for pool in pools:
            await burst(pool, 0, max(1, per_client // 5))
        for r in range(rounds):
            for k in range(len(pools)):
                which = (r + k) % len(pools)
                start = time.perf_counter()
                await burst(pools[which], r * per_client * clients, per_client)
                spent[which] += time.perf_counter() - start
    finally:
        for pool in pools:
            for client in pool:
                await client.close()
    return spent


def bench_http(sizes: Sizes, root: Path) -> list[Result]:
    db = root / "fastapi.sqlite3"
    results = []
    rounds = sizes.http_rounds
    raw_ops = sizes.http_ops // rounds * rounds
    httpx_ops = raw_ops // 3 // rounds * rounds
    together = raw_ops // CONCURRENT_CLIENTS // rounds * CONCURRENT_CLIENTS * rounds
    httpx_together = httpx_ops // CONCURRENT_CLIENTS // rounds * CONCURRENT_CLIENTS * rounds
    with (
        running("livebase-http", livebase_argv(root / "http"), root) as livebase,
        running("fastapi", baseline_argv("fastapi", str(db)), root) as plain,
    ):
        servers = [livebase, plain]
        runs: list[tuple[str, int, Callable[[], list[float]]]] = [
            ("sequential", raw_ops, lambda: sequential(RawClient, servers, raw_ops, rounds)),
            (
                f"{CONCURRENT_CLIENTS} clients",
                together,
                lambda: run_async(concurrent(AsyncRawClient, servers, together, rounds)),
            ),
            (
                "sequential, httpx",
                httpx_ops,
                lambda: sequential(HttpxClient, servers, httpx_ops, rounds),
            ),
            (
                f"{CONCURRENT_CLIENTS} httpx clients",
                httpx_together,
                lambda: run_async(concurrent(AsyncHttpxClient, servers, httpx_together, rounds)),
            ),
        ]
        for label, ops, measure in runs:
            lb_ops, base_ops = (ops / s for s in measure())
            ratio = lb_ops / base_ops
            name = f"HTTP mutation, {label}"
            say(
                f"{name}: livebase {lb_ops:,.0f} ops/s, FastAPI + sqlite3 {base_ops:,.0f} "
                f"ops/s, ratio {ratio:.2f}x ({ops:,} inserts each)"
            )
            note = "vs FastAPI+sqlite3" + ("; client-bound" if "httpx" in label else "")
            if "httpx" not in label:
                met = "met" if ratio >= HTTP_MUTATION_GOAL else "NOT met"
                say(f"  (goal >= {HTTP_MUTATION_GOAL:.1f}x: {met})")
                note += f"; goal >= {HTTP_MUTATION_GOAL:.1f}x {met}"
            results.append(Result(name, "ops/s", lb_ops, base_ops, ratio, note))
    return results


# --- 3. memory per idle subscription -----------------------------------------------------


async def settle_rss(server: Server) -> int:
    await asyncio.sleep(0.5)
    return server.rss()


async def livebase_memory(sizes: Sizes, server: Server) -> tuple[int, int, int]:
    """Server RSS: warmed up, with ``connections`` idle sessions, and with their subscriptions."""
    import httpx

    total = sizes.connections * sizes.queries
    async with httpx.AsyncClient(base_url=server.http, trust_env=False, timeout=60) as http:
        for lo in range(0, total, 1000):
            names = [f"board-{i}" for i in range(lo, min(total, lo + 1000))]
            body = {"path": "boards:createMany", "args": [{"names": names, "text": BOARD_TEXT}]}
            reply = await http.post("/api/mutation", json=body)
            assert reply.json()["status"] == "success", reply.text

    async def session(i: int) -> Any:
        ws = await ws_connect(f"{server.ws}/api/sync")
        await ws.send(connect_message())
        await ws.send(modify_message(0, []))
        await transition(ws, 1)
        return ws

    async def subscribe(c: int) -> None:
        ws = sockets[c]
        names = range(c * sizes.queries, (c + 1) * sizes.queries)
        queries = [(q, "boards:get", {"name": f"board-{i}"}) for q, i in enumerate(names)]
        await ws.send(modify_message(1, queries))
        message = await transition(ws, 2)
        updated = [m for m in message["modifications"] if m["type"] == "QueryUpdated"]
        assert len(updated) == sizes.queries and updated[0]["value"], message

    warm = await session(0)  # one subscription first, so lazy imports and caches are in
    await warm.send(modify_message(1, [(0, "boards:get", {"name": "board-0"})]))
    await transition(warm, 2)
    await close_all([warm])
    sockets: list[Any] = []
    try:
        before = await settle_rss(server)
        sockets += await open_many(sizes.connections, session)
        connected = await settle_rss(server)
        await open_many(sizes.connections, subscribe, parallel=8)
        subscribed = await settle_rss(server)
    finally:
        await close_all(sockets)
    return before, connected, subscribed


async def plain_memory(count: int, server: Server) -> tuple[int, int]:
    """Server RSS of the plain WebSocket server: warmed up, and holding ``count`` idle clients."""

    async def client(i: int) -> Any:
        ws = await ws_connect(f"{server.ws}/")
        await ws.send("hello")
        await ws.recv()
        return ws

    await close_all([await client(0)])
    sockets: list[Any] = []
    try:
        before = await settle_rss(server)
        sockets += await open_many(count, client, parallel=128)
        after = await settle_rss(server)
    finally:
        await close_all(sockets)
    return before, after


def bench_memory(sizes: Sizes, root: Path) -> list[Result]:
    limit = raise_fd_limit(sizes.plain_connections + 512)
    plain_count = min(sizes.plain_connections, limit - 512)
    with running("livebase-memory", livebase_argv(root / "memory"), root) as livebase:
        before, connected, subscribed = run_async(livebase_memory(sizes, livebase))
    with running("broadcast-memory", baseline_argv("broadcast"), root) as plain:
        plain_before, plain_after = run_async(plain_memory(plain_count, plain))
    subs = sizes.connections * sizes.queries
    per_sub = (subscribed - connected) / subs
    per_session = (connected - before) / sizes.connections
    per_plain = (plain_after - plain_before) / plain_count
    # why: the projection holds the sessions measured plus subscriptions up to the goal's count.
    projected = subscribed + (GOAL_SUBSCRIPTIONS - subs) * per_sub
    met = "met" if projected < MEMORY_GOAL else "NOT met"
    mib = 1 << 20
    say(
        f"   livebase RSS {before / mib:.1f} MiB warmed up, {connected / mib:.1f} MiB with "
        f"{sizes.connections:,} sessions ({per_session / 1024:.1f} KiB each), "
        f"{subscribed / mib:.1f} MiB with {subs:,} subscriptions; plain websockets RSS "
        f"{plain_before / mib:.1f} MiB, {plain_after / mib:.1f} MiB with {plain_count:,} "
        f"connections"
    )
    ratio = per_sub / per_plain
    say(
        f"memory per subscription: livebase {per_sub / 1024:.2f} KiB per idle subscription "
        f"({sizes.connections} connections x {sizes.queries} distinct queries), plain websockets "
        f"{per_plain / 1024:.2f} KiB per idle connection, ratio {ratio:.2f}x; "
        f"{GOAL_SUBSCRIPTIONS:,} subscriptions: {projected / mib:,.0f} MiB server RSS "
        f"({'measured' if subs == GOAL_SUBSCRIPTIONS else 'projected'}; goal < 1 GiB: {met})"
    )
    return [
        Result(
            "memory per subscription",
            "KiB",
            per_sub / 1024,
            per_plain / 1024,
            ratio,
            f"vs plain ws connection; 10k subs {projected / mib:,.0f} MiB, goal < 1 GiB: {met}",
        )
    ]


# --- 4. invalidation with many idle live queries ------------------------------------------


@dataclass
class Watched:
    """One server of the invalidation benchmark, its one live subscriber and its delays."""

    label: str
    server: Server
    http: Any  # httpx.AsyncClient
    inbox: Inbox = field(default_factory=Inbox)
    delays: list[int] = field(default_factory=list)  # ns, from the mutation's stamp to receipt
    missing: int = 0

    def ms(self, q: float) -> float:
        ordered = sorted(self.delays)
        return percentile(ordered, q) / 1000 if ordered else float("nan")


async def post_mutation(http: Any, path: str, args: dict[str, Any]) -> None:
    reply = await http.post("/api/mutation", json={"path": path, "args": [args]})
    assert reply.json()["status"] == "success", reply.text


async def subscribed_session(server: Server, names: list[str]) -> Any:
    """A connection holding one ``boards:get`` subscription per name (1,000 per message)."""
    ws = await ws_connect(f"{server.ws}/api/sync")
    await ws.send(connect_message())
    for version, lo in enumerate(range(0, len(names), 1000)):
        chunk = names[lo : lo + 1000]
        batch = [(lo + q, "boards:get", {"name": name}) for q, name in enumerate(chunk)]
        await ws.send(modify_message(version, batch))
        await transition(ws, version + 1, timeout=120)
    return ws


async def invalidation(sizes: Sizes, plain: Server, queries: Server, conns: Server) -> list[Result]:
    import httpx

    n_queries, n_conns = sizes.idle_queries, sizes.idle_connections
    sides = [
        Watched(label, server, httpx.AsyncClient(base_url=server.http, trust_env=False, timeout=60))
        for label, server in (
            ("no idle live queries", plain),
            (f"{n_queries:,} idle queries", queries),
            (f"{n_conns:,} idle connections", conns),
        )
    ]
    idle = [f"board-{i}" for i in range(max(n_queries, n_conns))]
    held: list[Any] = []
    pumps: list[asyncio.Task[None]] = []
    try:
        started = time.perf_counter()
        for side in sides:  # why: the same documents on every server; only the live queries differ
            for lo in range(0, len(idle), 1000):
                args = {"names": idle[lo : lo + 1000], "text": BOARD_TEXT}
                await post_mutation(side.http, "boards:createMany", args)
            await post_mutation(side.http, "boards:stamp", {"name": "main", "seq": 0, "text": ""})
            watcher = await subscribed_session(side.server, ["main"])
            held.append(watcher)
            pumps.append(asyncio.create_task(pump(watcher, side.inbox, '"QueryUpdated"')))
        held.append(await subscribed_session(queries, idle[:n_queries]))
        held += await open_many(n_conns, lambda i: subscribed_session(conns, [idle[i]]))
        say(f"   {n_queries:,} idle queries and {n_conns:,} idle connections subscribed in "
            f"{time.perf_counter() - started:.1f}s")  # fmt: skip

        async def round_(side: Watched, seq: int, record: bool) -> None:
            side.inbox.reset(1)
            args = {"name": "main", "seq": seq, "text": BOARD_TEXT}
            await post_mutation(side.http, "boards:stamp", args)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(side.inbox.done.wait(), 15)
            stamps = livebase_stamps(seq, side.inbox.got)
            if record:
                side.delays += [round((received - at) * 1e9) for received, at in stamps]
                side.missing += 1 - len(stamps)

        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            for seq in range(1, 6):  # warm-up
                for side in sides:
                    await round_(side, seq, False)
            deadline = time.monotonic() + sizes.seconds
            for r in range(sizes.invalidation_rounds):
                if time.monotonic() > deadline:
                    break
                # why: rotate which server goes first so drift in load hits all three.
                for side in sides[r % 3 :] + sides[: r % 3]:
                    await round_(side, 6 + r, True)
                    await asyncio.sleep(0.005)
        finally:
            gc.enable()
            gc.unfreeze()
    finally:
        for task in pumps:
            task.cancel()
        await close_all(held)
        for side in sides:
            await side.http.aclose()
    base, *others = sides
    say(
        "   commit to its one subscriber: "
        + "; ".join(
            f"{s.label} p50 {s.ms(0.5):.2f} ms p99 {s.ms(0.99):.2f} ms ({len(s.delays)} samples"
            + (f", {s.missing} MISSING)" if s.missing else ")")
            for s in sides
        )
    )
    results = []
    for side, count, goal_count in zip(
        others, (n_queries, n_conns), (GOAL_IDLE_QUERIES, GOAL_IDLE_CONNECTIONS), strict=True
    ):
        ratio = side.ms(0.5) / base.ms(0.5)
        met = "met" if ratio <= INVALIDATION_GOAL else "NOT met"
        if count < goal_count:
            met = f"not judged below {goal_count:,}"
        name = f"commit to subscriber, {side.label}"
        say(
            f"{name}: p50 {side.ms(0.5):.2f} ms p99 {side.ms(0.99):.2f} ms, with none p50 "
            f"{base.ms(0.5):.2f} ms p99 {base.ms(0.99):.2f} ms, ratio p50 {ratio:.2f}x "
            f"(goal <= {INVALIDATION_GOAL}x: {met})"
        )
        note = f"vs no idle live queries; p99 {side.ms(0.99) / base.ms(0.99):.2f}x; goal: {met}"
        results.append(
            Result(
                name, "ms", side.ms(0.5), base.ms(0.5), ratio, note, side.ms(0.99), base.ms(0.99)
            )
        )
    return results


def bench_invalidation(sizes: Sizes, root: Path) -> list[Result]:
    raise_fd_limit(sizes.idle_connections + 256)
    with (
        running("livebase-idle-none", livebase_argv(root / "none"), root) as plain,
        running("livebase-idle-queries", livebase_argv(root / "queries"), root) as queries,
        running("livebase-idle-connections", livebase_argv(root / "conns"), root) as conns,
    ):
        return run_async(invalidation(sizes, plain, queries, conns))


# --- entry points ------------------------------------------------------------------------


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    """Every server benchmark; prints one line per figure and returns the results."""
    sizes = Sizes.of(quick)
    results: list[Result] = []
    for bench in (bench_fanout, bench_http, bench_memory, bench_invalidation):
        with fresh_dir(tmp_root) as root:
            results += bench(sizes, root)
    return results


# --- the baselines' servers (subprocesses) -------------------------------------------------


async def serve_broadcast(port: int) -> None:
    """Plain websockets: clients send one message and hold; ``/control`` sends ``"SEQ SIZE"``
    to have a SIZE-byte payload stamped with the time and broadcast to every client."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            async for message in ws:
                seq, size = (int(x) for x in str(message).split())
                at = time.time()
                head = f'{{"seq":{seq},"at":{at!r},"text":"'
                broadcast(clients, head + "x" * max(0, size - len(head) - 2) + '"}')
                await ws.send("ok")
            return
        await ws.recv()
        clients.add(ws)
        try:
            await ws.send('{"ready":true}')
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, HOST, port, backlog=2048):
        await asyncio.get_running_loop().create_future()


def serve_fastapi(port: int, db: str) -> None:
    """A FastAPI endpoint inserting ``args`` as one JSON document per sqlite3 transaction."""
    import uvicorn
    from fastapi import FastAPI

    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    app = FastAPI()

    # why: async, as a hand-written endpoint usually is (the write runs on the event loop;
    # livebase's runs on its writer thread), and no response model, so neither side
    # validates its output. ``Request`` is imported at the top: FastAPI
    # resolves this module's string annotations in its globals.
    @app.post("/api/mutation", response_model=None)
    async def mutation(request: Request) -> dict[str, Any]:
        body = await request.json()
        args = body["args"][0] if isinstance(body["args"], list) else body["args"]
        doc_id = uuid.uuid4().hex
        doc = {"_id": doc_id, "_creationTime": time.time() * 1000, **args}
        conn.execute("BEGIN")
        conn.execute("INSERT INTO notes VALUES (?, ?)", (doc_id, json.dumps(doc)))
        conn.execute("COMMIT")
        return {"status": "success", "value": doc_id, "logLines": []}

    # why: started as ``livebase serve`` starts its server (uvicorn.Config + Server.serve under
    # asyncio.run, so the stdlib event loop), so that only the application differs.
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(uvicorn.Server(config).serve())


def main(argv: list[str]) -> None:
    if argv[:1] == ["--serve"]:
        kind, port, *extra = argv[1:]
        if kind == "broadcast":
            # why: the stdlib event loop, as ``livebase serve`` runs on.
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve_broadcast(int(port)))
        elif kind == "fastapi":
            serve_fastapi(int(port), *extra)
        else:
            raise SystemExit(f"unknown server {kind!r}")
        return
    run(quick="--quick" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
