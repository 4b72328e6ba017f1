"""Query latency while wrong sign-ins flood the password provider, against the same queries
with no flood, in one run.

A real ``livebase serve`` process serves a small app written into a temporary directory (one
table, the query ``items:get``, ``PasswordProvider(signup="open")``). One client (this
process) sends ``POST /api/query`` one at a time, pausing 5 ms between calls, as a user of an
app does. Rounds alternate: a quiet phase, then a flood phase in which another process keeps
200 wrong sign-ins in flight (``POST /api/auth/signin``, each from its own loopback address
127.0.x.y and for its own email, so neither the per-address nor the per-account throttle stops
them). Two floods, each against its own quiet phases:

- ``crowd``: each of the 200 clients sends its next attempt when the last is answered, and
  waits ``Retry-After`` when told 503: the hashing pool is kept full, so this measures how well
  password hashing is kept away from everyone else's requests;
- ``hammer``: each client sends its next attempt at once, 503 or not: an HTTP flood of cheap
  refusals, which measures what refusing costs the event loop.

Each figure is the ratio of the queries' p99 latency under that flood to their p99 without
it; the notes give the p50 ratio and what the flood got back (401 from a password check, 503
``busy`` from the full hashing pool).

    python bench/bench_auth_flood.py            # about 80 s
    python bench/bench_auth_flood.py --quick    # about 30 s

``bench/run.py`` runs it with the others (``--only auth_flood`` alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench_engine import Result, fresh_dir, percentile, say

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
FLOOD_CLIENTS = 200
THINK = 0.005  # seconds between one query's answer and the next

APP = {
    "__init__.py": '"""A table to query and a password provider to flood."""\n',
    "schema.py": (
        "from livebase import define_schema, define_table, v\n\n"
        'schema = define_schema({"items": define_table({"name": v.string()})})\n'
    ),
    "items.py": (
        "from livebase import mutation, query, v\n\n\n"
        '@mutation(args={"name": v.string()})\n'
        "async def add(ctx, name):\n"
        '    return await ctx.db.insert("items", {"name": name})\n\n\n'
        '@query(args={"id": v.id("items")})\n'
        "async def get(ctx, id):\n"
        "    return await ctx.db.get(id)\n"
    ),
    "auth.py": (
        'from livebase import PasswordProvider\n\nproviders = [PasswordProvider(signup="open")]\n'
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(root: Path) -> Iterator[str]:
    """``livebase serve`` of the flood app on a free port; its URL; stopped on exit."""
    app = root / "floodapp"
    app.mkdir()
    for name, text in APP.items():
        (app / name).write_text(text)
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "livebase", "serve", str(app), "--host", HOST]
    command += ["--port", str(port), "--data-dir", str(root / "data"), "--log-level", "warning"]
    with (root / "server.log").open("wb") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=root)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError((root / "server.log").read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the flood app's server did not start")
            time.sleep(0.05)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def query_phase(client: httpx.Client, url: str, item: str, seconds: float) -> list[int]:
    """Sequential queries for ``seconds``: their latencies in nanoseconds."""
    samples: list[int] = []
    body = {"path": "items:get", "args": {"id": item}}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter_ns()
        reply = client.post(f"{url}/api/query", json=body)
        samples.append(time.perf_counter_ns() - started)
        if reply.json().get("status") != "success":
            raise RuntimeError(f"query failed: {reply.text}")
        time.sleep(THINK)
    return samples


@contextlib.contextmanager
def flooding(url: str, seconds: float, kind: str) -> Iterator[dict[str, int]]:
    """Another process keeps FLOOD_CLIENTS wrong sign-ins in flight for ``seconds``; the
    statuses it got back are filled in on exit."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--flood", url, str(seconds), kind],
        stdout=subprocess.PIPE,
        text=True,
    )
    outcome: dict[str, int] = {}
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "flooding":
            raise RuntimeError("the flood did not start")
        yield outcome
        out, _ = proc.communicate(timeout=seconds + 120)
        outcome.update(json.loads(out))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def flood(url: str, seconds: float, kind: str) -> Counter[str]:
    """FLOOD_CLIENTS concurrent wrong sign-ins for ``seconds``, each from its own loopback
    address; a client sends its next one as soon as the last is answered, but a ``crowd``
    client first waits the ``Retry-After`` of a 503."""
    host, port = url.removeprefix("http://").split(":")
    statuses: Counter[str] = Counter()
    end = time.monotonic() + seconds

    async def client(n: int) -> None:
        local = (f"127.0.{1 + n // 250}.{1 + n % 250}", 0)
        attempt = 0
        while time.monotonic() < end:
            body = json.dumps({"email": f"flood{n}-{attempt}@x.test", "password": "wrong-guess"})
            request = (
                f"POST /api/auth/signin HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n{body}"
            ).encode()
            try:
                reader, writer = await asyncio.open_connection(host, int(port), local_addr=local)
                writer.write(request)
                answer = await reader.read()
                writer.close()
                status = answer.split(b" ", 2)[1].decode()
            except (OSError, IndexError):
                status = "error"
            statuses[status] += 1
            attempt += 1
            if kind == "crowd" and status == "503":
                await asyncio.sleep(retry_after(answer))

    print("flooding", flush=True)
    await asyncio.gather(*(client(n) for n in range(FLOOD_CLIENTS)))
    return statuses


def retry_after(answer: bytes) -> float:
    for line in answer.split(b"\r\n"):
        if line.lower().startswith(b"retry-after:"):
            return float(line.split(b":", 1)[1])
    return 1.0


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    """Both floods; one figure each: query p99 under flood / p99 without."""
    return [measure(kind, quick, tmp_root) for kind in ("crowd", "hammer")]


def measure(kind: str, quick: bool, tmp_root: str | None) -> Result:
    """Alternate quiet and ``kind``-flooded rounds on a fresh server."""
    rounds, seconds = (2, 3.0) if quick else (4, 5.0)
    quiet: list[int] = []
    flooded: list[int] = []
    got: Counter[str] = Counter()
    with fresh_dir(tmp_root) as root, serving(root) as url, httpx.Client(timeout=60) as client:
        item = client.post(
            f"{url}/api/mutation", json={"path": "items:add", "args": {"name": "one"}}
        ).json()["value"]
        query_phase(client, url, item, 1.0)  # warm-up
        for n in range(rounds):
            quiet += query_phase(client, url, item, seconds)
            with flooding(url, seconds + 1, kind) as outcome:
                time.sleep(0.5)  # let the first wave arrive
                flooded += query_phase(client, url, item, seconds)
            got.update(outcome)
            say(f"   {kind} round {n + 1}: {len(quiet)} quiet, {len(flooded)} flooded queries")
    quiet.sort()
    flooded.sort()
    ms = {k: percentile(v, q) / 1000 for k, v, q in [("q50", quiet, 0.5), ("q99", quiet, 0.99),
          ("f50", flooded, 0.5), ("f99", flooded, 0.99)]}  # fmt: skip
    answers = ", ".join(f"{count} x {status}" for status, count in sorted(got.items()))
    note = (
        f"p50 ratio {ms['f50'] / ms['q50']:.2f}x; {FLOOD_CLIENTS} wrong sign-ins in flight got "
        f"{answers}; {len(flooded)} queries under flood, {len(quiet)} without"
    )
    result = Result(
        f"query p99 under a sign-in flood ({kind})",
        "ms",
        ms["f50"],
        ms["q50"],
        ms["f99"] / ms["q99"],
        note,
        engine_p99=ms["f99"],
        baseline_p99=ms["q99"],
    )
    say(
        f"   {kind}: query latency under flood p50 {ms['f50']:.1f} ms, p99 {ms['f99']:.1f} ms; "
        f"without p50 {ms['q50']:.1f} ms, p99 {ms['q99']:.1f} ms: "
        f"p99 ratio {result.ratio:.2f}x ({note})"
    )
    return result


def main(argv: list[str]) -> None:
    if argv[:1] == ["--flood"]:
        url, seconds, kind = argv[1], float(argv[2]), argv[3]
        print(json.dumps(asyncio.run(flood(url, seconds, kind))), flush=True)
        return
    from run import table

    print(table(run(quick="--quick" in argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
