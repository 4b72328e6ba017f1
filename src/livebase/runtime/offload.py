"""Long queries in a process of their own, so that they cannot slow anyone else down.

Worker threads keep the event loop free, but they share one interpreter lock: a query that
works through rows in Python for seconds takes the lock from the loop, the writer and the live
lane many times a millisecond, and every other client's live updates slow down two- to
fourfold while it runs. A query process has an interpreter of its own.

How a query gets there: every query first runs on this process's reader thread for at most
``SLICE`` seconds. One still running then (and busy: at least half of that on the CPU) is
stopped, like a query over its time limit, and run again from the start in the query
process; its function is remembered, and its later runs go there at once. Queries have no
effects, so the first, stopped run leaves nothing behind (its log lines are dropped too).

The query process (``QueryProcess``) runs at the lowest CPU priority (``NICE``): on a machine
with a core to spare it has that core, on a busy one the server's short work goes first and a
long query takes longer (still within its time limit, counted in wall-clock time). It is
started on first need: a spawned interpreter that
opens the same deployment as this one does (the same app, data directory or database URL),
as one more process on the same storage (like ``livebase serve --workers``), and runs each
request on its own reader threads with the same time limits, abandoning a run stuck in C as
this process does. It answers with the whole ``QueryResult`` (value, timestamp, read set,
journal, log lines) or the error, so the caller sees exactly what an in-process run gives;
a result may be at a newer timestamp than this process has seen committed, which live
queries already allow for (a result computed ahead). If it cannot start, or dies, the query
runs here after all, and another start is tried ``RETRY_AFTER`` seconds later. It ends with
this process (the pipe closes; on Linux the kernel also sends it SIGTERM).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from livebase.engine.errors import TimeLimitError
from livebase.runtime.execution import GRACE

if TYPE_CHECKING:
    from livebase.runtime.core import BaseRuntime, QueryResult

log = logging.getLogger("livebase.offload")

SLICE = 0.02  # seconds a query runs here before it moves to the query process
START_TIMEOUT = 60.0  # seconds the query process may take to start
RETRY_AFTER = 10.0  # seconds after a failed start (or a death) before another start
ANSWER_GRACE = 2.0  # seconds past a run's limit (and GRACE) before the process counts as hung
PR_SET_PDEATHSIG = 1  # linux/prctl.h
NICE = 19  # the query process's scheduling priority: the lowest, below the server's


class Unavailable(Exception):
    """The query process could not take the query (it failed to start, or died): run it here."""


class QueryProcess:
    """One query process, started on first use; ``run`` is called from any thread."""

    def __init__(self, factory: Callable[..., BaseRuntime], options: dict[str, Any]) -> None:
        """``factory(**options)`` opens the deployment in the query process (``factory``
        must be importable there: a class or a module-level function)."""
        self._factory = factory
        self._options = options
        self.slice = SLICE
        self.slow: set[str] = set()  # functions whose runs go to the query process at once
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: Any = None
        self._ready: concurrent.futures.Future[None] | None = None
        self._pending: dict[int, concurrent.futures.Future[tuple[bool, Any]]] = {}
        self._ids = itertools.count(1)
        self._failed_at = -RETRY_AFTER
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The query process's id while it runs (None before it started or after it died)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def run(
        self,
        path: str,
        args: dict[str, Any],
        identity: dict[str, Any] | None,
        journal: str | None,
        limit: float,
    ) -> QueryResult:
        """Run the query at ``path`` in the query process and return its result (or raise its
        error); Unavailable if the process cannot take it."""
        ready = self._start()
        try:
            ready.result(timeout=START_TIMEOUT)
        except Exception as exc:
            raise Unavailable(str(exc)) from None
        request = next(self._ids)
        payload = pickle.dumps((request, path, args, identity, journal))
        answer: concurrent.futures.Future[tuple[bool, Any]] = concurrent.futures.Future()
        self._pending[request] = answer
        try:
            with self._send_lock:
                if self._conn is None:
                    raise OSError("it ended")
                self._conn.send_bytes(payload)
        except (OSError, ValueError) as exc:
            self._pending.pop(request, None)
            raise Unavailable(f"the query process did not take the query: {exc}") from None
        try:
            ok, outcome = answer.result(timeout=limit + GRACE + ANSWER_GRACE)
        except concurrent.futures.TimeoutError:
            self._pending.pop(request, None)
            log.warning("the query process did not answer %s in time; it is restarted", path)
            self._stop_process()
            raise TimeLimitError(path, "query", limit) from None
        if ok:
            return outcome
        raise outcome

    def _start(self) -> concurrent.futures.Future[None]:
        with self._lock:
            if self._closed:
                raise Unavailable("the runtime is closed")
            if self._ready is not None:
                return self._ready
            if time.monotonic() - self._failed_at < RETRY_AFTER:
                raise Unavailable("the query process failed a moment ago")
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            process = context.Process(
                target=serve,
                args=(theirs, self._factory, self._options),
                name="livebase-queries",
                daemon=True,
            )
            self._conn, self._process = ours, process
            ready: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._ready = ready
            threading.Thread(
                target=self._serve, args=(ours, theirs, process, ready), name="livebase-offload",
                daemon=True,
            ).start()  # fmt: skip
            return ready

    def _serve(
        self,
        conn: Connection,
        theirs: Connection,
        process: Any,
        ready: concurrent.futures.Future[None],
    ) -> None:
        """Start the query process, then take its answers until it ends."""
        try:
            # why: a process inherits its starter thread's priority (Linux: per thread), so
            # even its start-up gives way to the server's short work on a busy machine
            os.nice(NICE)
            process.start()
        except Exception as exc:
            log.exception("the query process could not start")
            self._ended(conn, process, ready, f"the query process could not start: {exc}")
            return
        finally:
            theirs.close()
        log.info("query process %d started", process.pid)
        self._receive(conn, process, ready)

    def _receive(
        self, conn: Connection, process: Any, ready: concurrent.futures.Future[None]
    ) -> None:
        """Hand each answer to its caller; when the pipe closes, fail what is still waiting."""
        reason = "the query process ended"
        try:
            while True:
                request, ok, outcome = pickle.loads(conn.recv_bytes())
                if request == 0:  # started, or failed to
                    if ok:
                        ready.set_result(None)
                        continue
                    reason = f"the query process could not start: {outcome}"
                    break
                answer = self._pending.pop(request, None)
                if answer is not None:
                    answer.set_result((ok, outcome))
        except (EOFError, OSError):
            pass
        except Exception:
            log.exception("reading the query process's answers failed")
        if not self._closed:
            log.warning("%s; its queries run in this process meanwhile", reason)
        self._ended(conn, process, ready, reason)
        process.join(5)

    def _ended(
        self,
        conn: Connection,
        process: Any,
        ready: concurrent.futures.Future[None],
        reason: str,
    ) -> None:
        """Forget the process and fail every query still waiting for it."""
        with self._lock:
            if self._conn is conn:
                self._conn = self._process = self._ready = None
                self._failed_at = time.monotonic()
        if not ready.done():
            ready.set_exception(Unavailable(reason))
        for request in list(self._pending):
            answer = self._pending.pop(request, None)
            if answer is not None and not answer.done():
                answer.set_exception(Unavailable(reason))
        conn.close()

    def _stop_process(self) -> None:
        with self._lock:
            process = self._process
        if process is not None and process.is_alive():
            process.kill()  # the receiver sees the pipe close and cleans up

    def close(self) -> None:
        """Stop the query process (it also ends on its own when this process does)."""
        with self._lock:
            self._closed = True
            process, conn = self._process, self._conn
        if conn is not None:
            # why: closing this end does not end a read another thread has under way on it,
            # so the process would not see the pipe close: it is told to stop instead
            with self._send_lock, contextlib.suppress(OSError):
                conn.send_bytes(pickle.dumps(None))
        if process is not None and process.pid is not None:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)


# --- in the query process ---------------------------------------------------------------
def serve(conn: Connection, factory: Callable[..., BaseRuntime], options: dict[str, Any]) -> None:
    """The query process: open the deployment, then answer requests until the pipe closes."""
    if sys.platform.startswith("linux"):
        # why: if the server is killed outright, this process must not run on unsupervised
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    send_lock = threading.Lock()

    def send(request: int, ok: bool, outcome: Any) -> None:
        payload = _pickled(request, ok, outcome)
        # why: if the server is gone, the loop below ends at the pipe's end
        with send_lock, contextlib.suppress(OSError):
            conn.send_bytes(payload)

    try:
        runtime = factory(**options)
    except BaseException as exc:
        send(0, False, f"{type(exc).__name__}: {exc}")
        return
    send(0, True, None)

    def answer(request: int, future: concurrent.futures.Future[Any]) -> None:
        exc = future.exception()
        if exc is None:
            send(request, True, future.result())
        else:
            send(request, False, exc)

    try:
        while True:
            try:
                message = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            if message is None:  # the server closes
                break
            request, path, args, identity, journal = message
            call = partial(
                runtime.run_query, path, args, identity=identity, internal_ok=True,
                journal=journal,
            )  # fmt: skip
            runtime.readers.submit(call).add_done_callback(partial(answer, request))
    finally:
        runtime.close()
        os._exit(0)  # why: a reader stuck in C code must not keep the process alive


def _pickled(request: int, ok: bool, outcome: Any) -> bytes:
    """The answer as bytes; an error that does not survive pickling goes as its text."""
    try:
        payload = pickle.dumps((request, ok, outcome))
        if not ok:
            pickle.loads(payload)  # why: an exception class may not rebuild from its args
        return payload
    except Exception:
        if ok:
            outcome = TypeError(f"the query's result could not be sent: {outcome!r:.200}")
        error = Exception(f"{type(outcome).__name__}: {outcome}")
        lines = getattr(outcome, "log_lines", None)
        if lines is not None:
            error.log_lines = lines  # type: ignore[attr-defined]
        return pickle.dumps((request, False, error))
