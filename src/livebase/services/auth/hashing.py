"""Where password hashing runs: a small thread pool of its own, with a bounded queue.

An argon2 hash or verify costs tens of milliseconds of CPU and 64 MiB of memory. Run on the
event loop, it would stall every connection; run on Starlette's shared thread pool, a flood of
sign-ins would occupy all of its threads, and every other request that needs one (checking a
token, say) would queue behind the hashes. So password work runs here: at most one thread per
core but one (the event loop keeps a core), and at most ``queue`` calls waiting. A call that
finds the queue full is refused at once with ``Busy``, which the server answers with 503 and
``Retry-After``, instead of piling up work (and memory) it cannot finish in time.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["Busy", "HashingPool", "default_workers"]

T = TypeVar("T")
QUEUE = 32  # calls waiting for a thread; at ~50-100 ms each, about 2 s of work per thread
BUSY_RETRY_AFTER = 2  # seconds a refused caller is told to wait


def default_workers() -> int:
    """One thread per core, but one: the event loop keeps a core for everything else."""
    return max(1, (os.cpu_count() or 1) - 1)


class Busy(Exception):
    """The pool's queue is full: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int = BUSY_RETRY_AFTER) -> None:
        super().__init__("The server is busy checking passwords: try again shortly")
        self.retry_after = retry_after


class HashingPool:
    """A dedicated executor for password work, refusing calls beyond ``workers + queue``."""

    def __init__(self, workers: int | None = None, queue: int = QUEUE) -> None:
        self.workers = workers if workers is not None else default_workers()
        if self.workers < 1 or queue < 0:
            raise ValueError("a hashing pool needs at least one worker and a queue of >= 0")
        self.limit = self.workers + queue
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="livebase-hash")
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Calls running or waiting."""
        return self._pending

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a pool thread; ``Busy`` at once when the queue is full."""
        with self._lock:
            if self._pending >= self.limit:
                raise Busy()
            self._pending += 1
        try:
            future: Future[T] = self._executor.submit(fn, *args)
        except BaseException:
            self._release(None)
            raise
        # why: released when the call ends, even if the request that awaited it went away.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: Future[Any] | None) -> None:
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        """Stop taking calls; running ones finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)
