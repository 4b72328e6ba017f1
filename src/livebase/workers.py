"""``livebase serve --workers N``: N server processes sharing one listening port.

The parent opens one listening socket per worker on the port (and the HTTP-actions port),
all with ``SO_REUSEPORT``, and starts N ``livebase serve`` processes, each inheriting its own
(``--listen-fd``): the kernel spreads new connections evenly over the sockets. (One socket
shared by all would let whichever worker wakes first take most connections, and a client's
keep-alive connections would pile onto one process.) A worker restarted finds the
connections that arrived meanwhile waiting in its socket's backlog; a slot given up closes
its sockets, so no connection waits on it.

Every worker opens the same deployment as one of many writers (SQLite: the same file,
commits serialized by a file lock; PostgreSQL: the database's lock), follows the others'
commits for its live queries, and runs the scheduler, whose jobs and crons are claimed in
transactions. A client may reconnect to any worker.

The parent restarts a worker that dies. Each of the N slots has its own budget: a worker
that ran ``STABLE_AFTER`` seconds is restarted at once; one that dies sooner is restarted
after a pause that doubles with each such death, and after ``MAX_QUICK_DEATHS`` of them in a
row its slot is given up, while the others go on serving. The parent exits non-zero only when
every slot is given up. On SIGTERM or Ctrl+C it stops them all, each with its own graceful
shutdown; if the parent itself is killed (``kill -9``), the workers get SIGTERM from the
kernel (Linux: ``PR_SET_PDEATHSIG``) rather than serve on unsupervised.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STABLE_AFTER = 30.0  # seconds a worker runs before its death no longer counts as quick
MAX_QUICK_DEATHS = 5  # quick deaths in a row after which a slot is given up
BACKOFF = 0.5  # seconds before restarting after the first quick death, doubled for each next
STOP_WAIT = 15.0  # seconds the workers get to stop before they are killed
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
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


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send the child SIGTERM when this process dies
    (Linux), or None where there is no ``prctl``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # why: loaded here, in the parent; a child between fork and exec must not load libraries
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # why: the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


@dataclass
class Slot:
    """One of the N workers: its current process and how often it died soon after starting."""

    number: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None  # when the worker that died is started again
    given_up: bool = False
    sockets: list[socket.socket] = field(default_factory=list)  # its listening sockets

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []

    def died(self, code: int, now: float) -> None:
        """Note the death of its process (exit status ``code``): restart later, or give up."""
        assert self.process is not None
        pid, self.process = self.process.pid, None
        self.quick_deaths = self.quick_deaths + 1 if now - self.started < STABLE_AFTER else 0
        if self.quick_deaths >= MAX_QUICK_DEATHS:
            self.given_up = True
            self.close()
            print(
                f"livebase: worker {self.number} (pid {pid}) exited ({code}); it died "
                f"{self.quick_deaths} times within {STABLE_AFTER:g} s of starting: "
                "not restarting it",
                file=sys.stderr,
                flush=True,
            )
            return
        pause = BACKOFF * 2 ** (self.quick_deaths - 1) if self.quick_deaths else 0.0
        self.restart_at = now + pause
        print(
            f"livebase: worker {self.number} (pid {pid}) exited ({code}); "
            f"restarting in {pause:g} s",
            flush=True,
        )


def supervise(opts: argparse.Namespace) -> int:
    """Run ``opts.workers`` worker processes until a stop signal; the exit status."""
    slots = [Slot(number) for number in range(1, opts.workers + 1)]
    try:
        for slot in slots:
            slot.sockets = [_bind(opts.host, opts.port)]
            if opts.http_port:
                slot.sockets.append(_bind(opts.host, opts.http_port))
    except OSError as exc:
        for slot in slots:
            slot.close()
        print(f"Error: cannot listen on {opts.host}: {exc}", file=sys.stderr)
        return 1
    base = [sys.executable, "-m", "livebase", *_without_workers(opts.argv)]
    preexec = _die_with_parent()

    def start(slot: Slot) -> None:
        fds = [sock.fileno() for sock in slot.sockets]
        command = [*base, "--listen-fd", str(fds[0])]
        if len(fds) > 1:
            command += ["--http-listen-fd", str(fds[1])]
        slot.process = subprocess.Popen(command, pass_fds=fds, preexec_fn=preexec)
        slot.started, slot.restart_at = time.monotonic(), None

    stopping = False

    def stop(sig: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in slots:
        start(slot)
    pids = ", ".join(str(slot.process.pid) for slot in slots if slot.process is not None)
    print(
        f"livebase: {opts.workers} worker processes on http://{opts.host}:{opts.port} "
        f"(pids {pids})",
        flush=True,
    )
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            if not stopping:
                _tend(slots, start)
            if all(slot.given_up for slot in slots):
                print("livebase: every worker keeps dying; stopping", file=sys.stderr, flush=True)
                stopping, status = True, 1
    finally:
        _stop_all([slot.process for slot in slots if slot.process is not None])
        for slot in slots:
            slot.close()
    return status


def _tend(slots: list[Slot], start: Callable[[Slot], None]) -> None:
    """Note the workers that died, and start again those whose pause is over."""
    now = time.monotonic()
    for slot in slots:
        if slot.process is not None and (code := slot.process.poll()) is not None:
            slot.died(code, now)
        if not slot.given_up and slot.process is None and (slot.restart_at or 0) <= now:
            start(slot)
            assert slot.process is not None
            print(
                f"livebase: worker {slot.number} started again (pid {slot.process.pid})",
                flush=True,
            )


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
