"""Off-loop benchmark: other clients' live updates while one long query runs.

A real ``livebase serve`` process (``--query-timeout 10``) serves the limits test app
(``tests/apps/limits``). 20 WebSocket clients subscribe to one counter (``counters:get``); a
writer connection bumps it (``counters:bump``) every 40 ms; each (bump, watcher) pair's
latency runs from the writer sending the Mutation to the watcher receiving the Transition that
carries the new value. Rounds alternate between:

- **baseline**: nothing else runs;
- **with a scan**: one more client runs ``spin:scan`` for 2 s (over the sync protocol, as the
  official clients query: subscribe, take the first result, unsubscribe). The query reads a
  2,000-document table again and again (within the 32,000 documents a query may read) and
  works through the rows in Python: the database and the CPU busy the whole time.

The figure is the p99 with the scan over the p99 without (the goal is <= 1.5x): a query that
runs long must not hold up anyone else. All clients run in this process on one event loop;
the server under test is a subprocess. Run it through ``bench/run.py``, or alone:
``python bench/bench_offloop.py [--quick] [--no-query-process]`` (the second runs the scan on
the server's own threads instead of its query process, as before there was one).
"""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench_engine import Result, fresh_dir, percentile, say

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "tests" / "apps" / "limits"
HOST = "127.0.0.1"
GOAL = 1.5  # p99 with the scan / p99 without
WATCHERS = 20
BUMP_EVERY = 0.04  # seconds between the writer's mutations
SCAN_SECONDS = 2.0
ROWS = 2_000


@dataclass
class Sizes:
    rounds: int  # of each kind, alternating


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def livebase_server(root: Path, *options: str) -> Iterator[str]:
    """``livebase serve`` on a free port; yields its HTTP URL; stopped on exit."""
    port = free_port()
    command = [
        sys.executable, "-m", "livebase", "serve", str(APP_DIR), "--host", HOST,
        "--port", str(port), "--data-dir", str(root / "data"), "--log-level", "warning",
        "--query-timeout", "10", *options,
    ]  # fmt: skip
    log = root / "livebase.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"livebase exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("livebase did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class SyncClient:
    """A minimal sync-protocol client on the asyncio ``websockets`` client."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.query_set = 0

    @classmethod
    async def open(cls, url: str) -> SyncClient:
        from websockets.asyncio.client import connect

        ws = await connect(url.replace("http", "ws", 1) + "/api/sync", max_size=None)
        client = cls(ws)
        await client.send(
            {
                "type": "Connect",
                "sessionId": str(uuid.uuid4()),
                "connectionCount": 0,
                "lastCloseReason": "InitialConnect",
                "clientTs": 0,
            }
        )
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def modify(self, mod: dict[str, Any]) -> None:
        base, self.query_set = self.query_set, self.query_set + 1
        await self.send(
            {
                "type": "ModifyQuerySet",
                "baseVersion": base,
                "newVersion": self.query_set,
                "modifications": [mod],
            }
        )

    async def subscribe(self, query_id: int, path: str, args: dict[str, Any]) -> None:
        await self.modify({"type": "Add", "queryId": query_id, "udfPath": path, "args": [args]})

    async def messages(self) -> Any:
        async for text in self.ws:
            yield json.loads(text)

    async def close(self) -> None:
        await self.ws.close()


def updated(message: dict[str, Any], query_id: int) -> Any:
    """The new value of ``query_id`` in a Transition, or ``...`` if it has none."""
    if message.get("type") != "Transition":
        return ...
    for mod in message["modifications"]:
        if mod["queryId"] == query_id and mod["type"] == "QueryUpdated":
            return mod["value"]
    return ...


async def watch(client: SyncClient, sent: dict[int, float], samples: list[float]) -> None:
    """Record, for every bump, the time from its sending to this watcher seeing its value."""
    seen = 0
    async for message in client.messages():
        value = updated(message, 0)
        if isinstance(value, int | float):
            now = time.perf_counter()
            for n in range(seen + 1, int(value) + 1):
                if n in sent:
                    samples.append(now - sent[n])
            seen = max(seen, int(value))


async def scan_once(url: str) -> float:
    """One 2-second scanning query, as a client's one-shot query; returns its duration."""
    client = await SyncClient.open(url)
    started = time.perf_counter()
    await client.subscribe(0, "spin:scan", {"seconds": SCAN_SECONDS})
    async for message in client.messages():
        if updated(message, 0) is not ...:
            break
        if message.get("type") == "Transition" and message["modifications"]:
            raise RuntimeError(f"the scan failed: {message['modifications']}")
    elapsed = time.perf_counter() - started
    await client.modify({"type": "Remove", "queryId": 0})
    await client.close()
    return elapsed


async def measure(url: str, sizes: Sizes) -> tuple[list[float], list[float], list[float]]:
    # why: this process's own garbage collections (its sample lists grow) would show up as
    # latency spikes that are not the server's
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return await _measure(url, sizes)
    finally:
        gc.enable()
        gc.unfreeze()


async def _measure(url: str, sizes: Sizes) -> tuple[list[float], list[float], list[float]]:
    watchers = [await SyncClient.open(url) for _ in range(WATCHERS)]
    for watcher in watchers:
        await watcher.subscribe(0, "counters:get", {"name": "tick"})
    writer = await SyncClient.open(url)
    sent: dict[int, float] = {}
    current: list[float] = []
    tasks = [asyncio.create_task(watch(w, sent, current)) for w in watchers]
    bumps = 0

    async def bump_for(seconds: float) -> None:
        nonlocal bumps
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            bumps += 1
            sent[bumps] = time.perf_counter()
            await writer.send(
                {
                    "type": "Mutation",
                    "requestId": bumps,
                    "udfPath": "counters:bump",
                    "args": [{"name": "tick"}],
                }
            )
            await asyncio.sleep(BUMP_EVERY)
        await asyncio.sleep(0.3)  # the last bumps arrive

    async def drain_writer() -> None:
        async for _ in writer.messages():
            pass

    drain = asyncio.create_task(drain_writer())
    await bump_for(0.5)  # warm up
    quiet: list[float] = []
    busy: list[float] = []
    durations: list[float] = []
    for _ in range(sizes.rounds):
        current.clear()
        await bump_for(SCAN_SECONDS)
        quiet += current
        current.clear()
        scan = asyncio.create_task(scan_once(url))
        await asyncio.sleep(0.05)
        await bump_for(SCAN_SECONDS - 0.3)
        durations.append(await scan)
        busy += current
    for task in [*tasks, drain]:
        task.cancel()
    for client in [*watchers, writer]:
        await client.close()
    return quiet, busy, durations


def run(quick: bool = False, tmp_root: str | None = None, *options: str) -> list[Result]:
    """``options``: more ``livebase serve`` options (``--no-query-process``: the scan runs on
    the server's own threads, as before query processes)."""
    sizes = Sizes(rounds=2 if quick else 6)
    with fresh_dir(tmp_root) as root, livebase_server(root, *options) as url:
        reply = httpx.post(
            f"{url}/api/mutation", json={"path": "spin:fill", "args": {"n": ROWS}}, timeout=60
        )
        reply.raise_for_status()
        quiet, busy, durations = asyncio.run(measure(url, sizes))
    quiet_ns = sorted(int(s * 1e9) for s in quiet)
    busy_ns = sorted(int(s * 1e9) for s in busy)
    q50, q99 = percentile(quiet_ns, 0.50) / 1000, percentile(quiet_ns, 0.99) / 1000
    b50, b99 = percentile(busy_ns, 0.50) / 1000, percentile(busy_ns, 0.99) / 1000
    ratio = b99 / q99
    verdict = "meets" if ratio <= GOAL else "misses"
    say(
        f"live updates to {WATCHERS} watchers: without a scan p50 {q50:.1f} ms p99 {q99:.1f} ms "
        f"({len(quiet)} samples); during a {SCAN_SECONDS:g} s scan p50 {b50:.1f} ms "
        f"p99 {b99:.1f} ms ({len(busy)} samples; the scans took "
        f"{min(durations):.2f}-{max(durations):.2f} s)"
    )
    say(f"p99 ratio {ratio:.2f}x ({verdict} the goal of <= {GOAL}x); p50 ratio {b50 / q50:.2f}x")
    note = f"ratio of p99s, goal <= {GOAL}x ({verdict}); p50 ratio {b50 / q50:.2f}x"
    return [
        Result(
            "live updates during a 2 s scan",
            "ms",
            b50,
            q50,
            ratio,
            note,
            engine_p99=b99,
            baseline_p99=q99,
        )
    ]


if __name__ == "__main__":
    run("--quick" in sys.argv, None, *(a for a in sys.argv[1:] if a != "--quick"))
