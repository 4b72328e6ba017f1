"""Failed attempts, counted per key (an email, a client address), with exponential lockout.

The specification, which the tests check with an injected clock:

- Failures older than ``window`` seconds are forgotten (a sliding window).
- Once a key has ``limit`` failures in the window, it is locked: further attempts are refused
  without being checked (``retry_after`` > 0) for ``base_delay`` seconds after the last
  failure; every further failure doubles that, up to ``max_delay``.
- Attempts refused while locked are not failures: they neither extend the lockout nor cost
  the server a password hash.
- ``success`` forgets a key (a right password resets its account's counter).

Memory is bounded: at most ``max_keys`` keys are tracked; the least recently failed are
dropped first, so rotating through many keys cannot grow the table without end.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from livebase.engine.errors import AuthFailed

__all__ = ["Throttle", "TooManyAttempts", "retry_message"]

ACCOUNT_LIMIT = 5  # failures per account (email) before lockouts start
ADDRESS_LIMIT = 20  # failures per client address (more: one office, many users)
WINDOW = 3600.0  # seconds a failure is remembered
BASE_DELAY = 1.0  # the first lockout, in seconds
MAX_DELAY = 15 * 60.0  # lockouts never grow beyond this
MAX_KEYS = 100_000


class Throttle:
    """Failures per key in a sliding window; exponential lockout after ``limit`` of them.

    Thread-safe: sign-ins are checked on the event loop and recorded in worker threads."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW,
        base_delay: float = BASE_DELAY,
        max_delay: float = MAX_DELAY,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("a throttle needs a limit of at least one failure")
        self.limit = limit
        self.window = window
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            failures = self._recent(key, now)
            if failures is None or len(failures) < self.limit:
                return 0.0
            extra = len(failures) - self.limit
            delay = min(self.base_delay * 2.0 ** min(extra, 64), self.max_delay)
            return max(0.0, failures[-1] + delay - now)

    def failure(self, key: str) -> None:
        """Record a failed attempt of ``key``."""
        with self._lock:
            now = self.clock()
            failures = self._recent(key, now)
            if failures is None:
                failures = self._failures[key] = deque()
            failures.append(now)
            self._failures.move_to_end(key)
            # why: a key locked at the cap keeps failing; a window's worth is all we need.
            while len(failures) > self.limit + 64:
                failures.popleft()
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def success(self, key: str) -> None:
        """Forget ``key``'s failures."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures


class TooManyAttempts(AuthFailed):
    """A locked key's attempt, refused unchecked; the message names the wait."""

    code = "too_many_attempts"

    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(retry_message(what, retry_after))
        self.retry_after = retry_after


def retry_message(what: str, seconds: float) -> str:
    """'Too many ...: try again in N seconds', with N rounded up."""
    wait = max(1, math.ceil(seconds))
    unit = "second" if wait == 1 else "seconds"
    return f"Too many {what}: try again in {wait} {unit}"
