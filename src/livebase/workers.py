"""``livebase serve --workers N``: N server processes sharing one listening port.

The parent binds the port (and the HTTP-actions port), then starts N ``livebase serve``
processes that inherit the listening sockets (``--listen-fd``); the kernel hands each new
connection to one of them. Every worker opens the same deployment as one of many writers
(SQLite: the same file, commits serialized by a file lock; PostgreSQL: the database's lock),
follows the others' commits for its live queries, and runs the scheduler, whose jobs and
crons are claimed in transactions. A client may reconnect to any worker.

The parent restarts a worker that dies (at most ``MAX_RESTARTS`` a minute), and on SIGTERM or
Ctrl+C stops them all, each with its own graceful shutdown.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time
from typing import Any

MAX_RESTARTS = 10  # per minute, across workers: beyond that the parent gives up
STOP_WAIT = 15.0  # seconds the workers get to stop before they are killed


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _without_workers(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            out.append(arg)
    return out


def supervise(opts: argparse.Namespace) -> int:
    """Run ``opts.workers`` worker processes until a stop signal; the exit status."""
    try:
        sockets = [_bind(opts.host, opts.port)]
        if opts.http_port:
            sockets.append(_bind(opts.host, opts.http_port))
    except OSError as exc:
        print(f"Error: cannot listen on {opts.host}: {exc}", file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "livebase", *_without_workers(opts.argv)]
    command += ["--listen-fd", str(sockets[0].fileno())]
    if len(sockets) > 1:
        command += ["--http-listen-fd", str(sockets[1].fileno())]
    fds = [sock.fileno() for sock in sockets]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, pass_fds=fds)

    stopping = False

    def stop(sig: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [start() for _ in range(opts.workers)]
    print(
        f"livebase: {opts.workers} worker processes on http://{opts.host}:{opts.port} "
        f"(pids {', '.join(str(w.pid) for w in workers)})",
        flush=True,
    )
    restarts: list[float] = []
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, worker in enumerate(workers):
                code = worker.poll()
                if code is None or stopping:
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < 60] + [now]
                if len(restarts) > MAX_RESTARTS:
                    print("livebase: workers keep dying; stopping", file=sys.stderr, flush=True)
                    stopping, status = True, 1
                    break
                print(f"livebase: worker {worker.pid} exited ({code}); restarting", flush=True)
                workers[i] = start()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        for worker in workers:
            try:
                worker.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for sock in sockets:
            sock.close()
    return status
