"""Running queries and mutations off the event loop, within their time limits.

The event loop only moves bytes: queries run on a few reader threads and mutations on one
writer thread, several over PostgreSQL (``Workers``), and the loop awaits their results. Every
run of a query or a mutation has a time limit (``Limits``: Convex's 1 s for both, 10 min for
actions), counted in wall-clock time from the handler's first line to its return, and enforced
in three layers:

1. **Cooperative.** Every ``ctx`` call that enters the engine (``engine()``: the database,
   storage, the scheduler) checks the deadline on its way in and out, so a function that
   touches the database stops at its next call, never half way through the engine.
2. **Interruption.** A pure-Python loop never calls ``ctx``. At its deadline the watchdog
   raises ``Interrupted`` in the thread running it (``PyThreadState_SetAsyncExc``), but only
   while that thread runs the function's own code: ``Run.lock`` makes "is it in its own code?"
   and "raise there" one step, and every way back into the engine takes the same lock and
   cancels an exception not yet delivered.
3. **Abandonment.** A call that never returns to Python bytecode (``time.sleep``, a C
   extension) cannot be interrupted. ``GRACE`` seconds after the deadline the caller gets its
   error anyway and the worker thread is written off and replaced; what it finishes later is
   dropped, and a mutation cannot commit, because its commit re-checks the run under the lock.

Layers 1 and 2 hold on any thread a run happens to use (a test calling the runtime, a
scheduled mutation on the loop); only a pool's threads can be abandoned, and a pool that must
stay serial (the live lane) waits instead. Over its limit a function fails with
``TimeLimitError``, naming the function and the limit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from livebase.engine.errors import TimeLimitError

log = logging.getLogger("livebase.execution")

T = TypeVar("T")

GRACE = 0.5  # seconds past its deadline before a run that cannot be interrupted is abandoned
RERAISE = 0.1  # seconds before an Interrupted still in the function's code is raised again
_TICK = 0.02  # how often the watchdog looks again at a run past its deadline
_IDLE_TICK = 0.1  # how often it looks for new runs (it is never woken: see _Watchdog)
_ADAPTIVE_TICK = 0.003  # the same while it adapts the switch interval (a long run is seen soon)
LONG_RUN = 0.002  # seconds: a run this old gets the short switch interval (adapt_switch_interval)
FAST_SWITCH = 0.0002  # seconds: the switch interval while a run is long


@dataclass(frozen=True)
class Limits:
    """The time limits of one deployment, in seconds (Convex's by default)."""

    query: float = 1.0
    mutation: float = 1.0
    action: float = 600.0

    def __post_init__(self) -> None:
        for kind in ("query", "mutation", "action"):
            if not getattr(self, kind) > 0:
                raise ValueError(f"the {kind} time limit must be a positive number of seconds")


class Interrupted(BaseException):
    """Raised inside a function that is over its time limit.

    Not an ``Exception``, so that app code's ``except Exception`` cannot swallow it.
    """


# why: an asynchronous exception, not a trace function. On Python 3.11 a thread can only
# trace itself (sys.settrace), so tracing cannot be switched on from outside for a loop that
# is already running, and tracing every function from its start slows all of them several
# times over. An asynchronous exception costs nothing until it is raised, lands at the loop's
# next bytecode boundary, unwinds through the function's own ``finally`` blocks and releases
# what its ``with`` statements hold; Run's lock keeps it out of the engine.
def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in another thread at its next bytecode boundary (None: cancel that)."""
    target = None if exc is None else ctypes.py_object(exc)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), target)


class Run:
    """One execution of a query or mutation: its deadline, and where its thread is.

    Invariant: an ``Interrupted`` is raised asynchronously in the run's thread only while that
    thread runs the function's own code (inside ``handler()`` with no ``engine()`` call in
    progress), and none is left pending once the thread is back in the engine or the run ended.
    """

    __slots__ = (
        "abandoned", "committed", "deadline", "depth", "done", "in_handler", "kind", "limit",
        "lock", "over", "path", "pending", "raised_at", "started", "thread_id", "worker",
    )  # fmt: skip

    def __init__(self, path: str, kind: str, limit: float, worker: _Worker | None) -> None:
        self.path = path
        self.kind = kind
        self.limit = limit
        self.worker = worker
        self.thread_id = threading.get_ident()
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.deadline = self.started + limit
        self.over = False  # found past its deadline: every later check fails
        self.in_handler = False
        self.depth = 0  # engine calls in progress
        self.pending = False  # an Interrupted was raised in the thread and may not have landed
        self.raised_at = 0.0  # when it was (monotonic)
        self.committed = False  # its commit started: the result stands, however late
        self.abandoned = False
        self.done = False

    def error(self) -> TimeLimitError:
        return TimeLimitError(self.path, self.kind, self.limit)

    def _expired(self) -> bool:  # with the lock held
        if not self.over and time.monotonic() >= self.deadline:
            self.over = True
        return self.over

    def _settle(self) -> None:  # with the lock held
        if self.pending:
            _raise_in(self.thread_id, None)
            self.pending = False

    # --- on the run's own thread -------------------------------------------------------
    def handler(self) -> _Handler:
        """Around the function's own code, the only place it is ever interrupted; raises
        Interrupted at the end if the run went over its limit, whatever the code did."""
        return _Handler(self)

    def enter_engine(self) -> None:
        with self.lock:
            if self.pending:
                self._settle()
            if self.over or time.monotonic() >= self.deadline:
                self.over = True
                raise Interrupted
            self.depth += 1

    def leave_engine(self) -> None:
        with self.lock:
            self.depth -= 1
            if not self.over and time.monotonic() >= self.deadline:
                self.over = True
            over = self.over
        if over:
            raise Interrupted

    @contextmanager
    def committing(self) -> Iterator[None]:
        """Around a mutation's commit: refused once the run is over its limit or abandoned;
        once begun, the run is no longer abandoned (its caller gets the real result)."""
        with self.lock:
            if self.abandoned or self._expired():
                raise Interrupted
            self.committed = True
        try:
            yield
        except BaseException:
            with self.lock:
                self.committed = False
            raise

    def finish(self) -> None:
        with self.lock:
            self.done = True
            self._settle()

    # --- from the watchdog -------------------------------------------------------------
    def interrupt(self) -> None:
        """Past the deadline: raise Interrupted in the thread if it runs the function's code;
        again every ``RERAISE`` seconds while it still does."""
        with self.lock:
            if self.done:
                return
            self.over = True
            now = time.monotonic()
            # why: an exception raised into a thread lands in whatever Python code it runs
            # next, which can be a garbage-collector callback or a __del__ that swallows it;
            # raising it again replaces one not yet delivered, so raising twice does no harm
            stale = self.pending and now - self.raised_at >= RERAISE
            if self.in_handler and self.depth == 0 and (not self.pending or stale):
                _raise_in(self.thread_id, Interrupted)
                self.pending = True
                self.raised_at = now

    def abandon(self) -> bool:
        """Give up on a run that cannot be interrupted; False if it finished or is committing."""
        with self.lock:
            if self.done or self.committed or self.abandoned:
                return False
            self.abandoned = self.over = True
            return True


class _Handler:
    __slots__ = ("_run",)

    def __init__(self, run: Run) -> None:
        self._run = run

    def __enter__(self) -> None:
        run = self._run
        with run.lock:
            run.in_handler = True

    def __exit__(self, *exc: object) -> None:
        run = self._run
        with run.lock:
            run.in_handler = False
            run._settle()
            expired = run._expired()
        if expired:
            raise Interrupted


class _Local(threading.local):
    run: Run | None = None
    worker: _Worker | None = None


_local = _Local()


def current() -> Run | None:
    """The run in progress on this thread, if any."""
    return _local.run


def given_up() -> bool:
    """Whether this thread is a worker written off (its caller already has an answer)."""
    worker = _local.worker
    return worker is not None and worker.abandoned


class engine:  # used like a function: ``with engine():``
    """Mark a ``ctx`` call into the engine: never interrupted inside, and a run over its limit
    stops at the way in or out (cooperative enforcement)."""

    __slots__ = ("_run",)

    def __enter__(self) -> None:
        run = self._run = _local.run
        if run is not None:
            run.enter_engine()

    def __exit__(self, *exc: object) -> None:
        if self._run is not None:
            self._run.leave_engine()


class limited:  # used like a function: ``with limited(path, kind, limit) as run:``
    """Run the block as one execution of the function at ``path``, limited to ``limit``
    seconds of its handler's time (see ``Run.handler``); over it, TimeLimitError."""

    __slots__ = ("_outer", "_run")

    def __init__(self, path: str, kind: str, limit: float) -> None:
        self._outer = _local.run
        self._run = Run(path, kind, limit, _local.worker)

    def __enter__(self) -> Run:
        if self._outer is not None:
            self._outer.enter_engine()  # why: a run inside another is engine work for it
        _local.run = self._run
        _watchdog.watch(self._run)
        return self._run

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        run, outer = self._run, self._outer
        run.finish()
        _watchdog.forget(run)
        _local.run = outer
        if outer is not None:
            outer.leave_engine()
        if isinstance(exc, Interrupted):
            error = run.error()
            lines = getattr(exc, "log_lines", None)  # what the function printed (logs.attach)
            if lines is not None:
                error.log_lines = lines  # type: ignore[attr-defined]
            raise error from None


async def time_limited(awaitable: Any, path: str, kind: str, limit: float) -> Any:
    """Await ``awaitable`` (an action on the event loop) for at most ``limit`` seconds."""
    scope = asyncio.timeout(limit)
    try:
        async with scope:
            return await awaitable
    except TimeoutError:
        if scope.expired():
            raise TimeLimitError(path, kind, limit) from None
        raise


# --- worker threads ----------------------------------------------------------------------
@dataclass
class _Job:
    call: Callable[[], Any]
    future: concurrent.futures.Future[Any] = field(default_factory=concurrent.futures.Future)


def _settle_future(future: concurrent.futures.Future[Any], value: Any, failed: bool) -> None:
    try:
        if failed:
            future.set_exception(value)
        else:
            future.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass  # why: abandoned, the caller already has its error; this late result is dropped


class Workers:
    """Daemon threads running calls in arrival order, started on first use.

    ``abandon``: whether a run stuck past its deadline (see ``GRACE``) may be written off, its
    caller answered with the time-limit error and the thread replaced. Work that must stay
    serial even then (the live-query lane) passes False and waits for the run to return.
    Daemon threads, so that a function that never returns cannot keep the process alive.
    """

    def __init__(self, name: str, size: int, *, abandon: bool = True) -> None:
        self.name = name
        self.size = size
        self.abandon_stuck = abandon
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self._spawned = 0

    def submit(self, call: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Queue ``call``; its result (or exception) arrives in the returned future."""
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.name} workers are stopped")
            if not self._started:
                self._started = True
                for _ in range(self.size):
                    self._spawn()
        job = _Job(call)
        self._queue.put(job)
        return job.future

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` on a worker thread, awaited from the event loop."""
        return await asyncio.wrap_future(self.submit(call))

    def _spawn(self) -> None:
        self._spawned += 1
        worker = _Worker(self)
        threading.Thread(
            target=worker.serve, name=f"{self.name}-{self._spawned}", daemon=True
        ).start()

    def replace(self) -> None:
        """Start a thread instead of one written off."""
        with self._lock:
            if not self._stopped:
                self._spawn()

    def stop(self) -> None:
        """Let the threads end once idle (a stuck one is left behind: it is a daemon)."""
        with self._lock:
            self._stopped = True
            count = self._spawned if self._started else 0
        for _ in range(count):
            self._queue.put(None)


class _Worker:
    """One thread of a ``Workers`` pool."""

    def __init__(self, pool: Workers) -> None:
        self.pool = pool
        self.job: _Job | None = None
        self.abandoned = False

    def serve(self) -> None:
        _local.worker = self
        while not self.abandoned:
            job = self.pool._queue.get()
            if job is None:
                return
            if not job.future.set_running_or_notify_cancel():
                continue
            self.job = job
            try:
                _settle_future(job.future, job.call(), failed=False)
            except Interrupted:
                # why: cannot happen by Run's invariant; if it ever did, the thread lives on
                log.error("%s: an interruption escaped its run", self.pool.name)
                _settle_future(job.future, RuntimeError("interrupted"), failed=True)
            except BaseException as exc:
                _settle_future(job.future, exc, failed=True)
            finally:
                self.job = None

    def abandon(self, run: Run) -> None:
        """Answer the caller of a run stuck past its deadline and replace this thread."""
        if not run.abandon():
            return
        self.abandoned = True
        job = self.job
        if job is not None:
            _settle_future(job.future, run.error(), failed=True)
        log.warning(
            "%s %s is stuck past its %g s limit (not in Python code); its thread is replaced",
            run.kind,
            run.path,
            run.limit,
        )
        self.pool.replace()


# --- the watchdog --------------------------------------------------------------------------
class _Watchdog:
    """One thread that interrupts, then abandons, runs past their deadlines, and (once
    ``adapt_switch_interval`` was called) shortens the switch interval while a run is long.

    It sleeps until the nearest deadline or the moment the oldest run becomes long,
    ``_IDLE_TICK`` at most, and nobody wakes it: a run that starts meanwhile is seen that much
    late at worst, and starting a run costs no thread switch.
    """

    def __init__(self) -> None:
        self._runs: dict[Run, None] = {}  # why: adding and popping a key are atomic: no lock
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None
        self.adaptive = False
        self._normal_switch = self._fast_switch = 0.0  # while no run is long / one is
        self._fast = False

    def watch(self, run: Run) -> None:
        self._runs[run] = None
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._serve, name="livebase-watchdog", daemon=True
                    )
                    self._thread.start()

    def forget(self, run: Run) -> None:
        self._runs.pop(run, None)

    def adapt(self, normal: float, fast: float) -> None:
        with self._start:
            if not self.adaptive:  # why: a second server must not take "fast" for normal
                self._normal_switch = normal
                self.adaptive = True
            self._fast_switch = min(self._normal_switch, fast)

    # why: a run that holds the GIL (a long scan, a pure-Python loop) keeps it for up to the
    # switch interval (5 ms by default) whenever the event loop, the writer or the live lane
    # want it, and they want it a score of times per live update (every SQLite call hands it
    # back): with 5 ms, one long query slows everyone's updates tens of times; with 0.2 ms,
    # about twice. But 0.2 ms all the time makes every hand-off between short jobs costlier
    # (about twice a loop-to-thread round trip), so it is on only while a run is long.
    def _switch(self, fast: bool) -> None:
        if fast != self._fast:
            self._fast = fast
            sys.setswitchinterval(self._fast_switch if fast else self._normal_switch)

    def _serve(self) -> None:
        while True:
            runs = list(self._runs)
            now = time.monotonic()
            wait = _IDLE_TICK
            if self.adaptive:
                oldest = min((r.started for r in runs), default=now)
                self._switch(now - oldest >= LONG_RUN)
                # why: while the interval is short there is nothing to catch early (ending it
                # a little late costs little), and each wake-up takes the GIL from the others
                if not self._fast:
                    wait = oldest + LONG_RUN - now if runs else _ADAPTIVE_TICK
            nearest = min((r.deadline for r in runs), default=now + wait)
            if nearest > now:
                time.sleep(min(nearest - now, wait))
                continue
            for run in runs:
                if now >= run.deadline:
                    run.interrupt()
                worker = run.worker
                if now >= run.deadline + GRACE and worker is not None and worker.pool.abandon_stuck:
                    worker.abandon(run)
            time.sleep(_TICK)


_watchdog = _Watchdog()


def adapt_switch_interval(normal: float, fast: float = FAST_SWITCH) -> None:
    """Set the interpreter's switch interval to ``normal`` while no run is long, and to
    ``fast`` while one has run ``LONG_RUN`` or more (a server calls this when it starts)."""
    _watchdog.adapt(normal, fast)
