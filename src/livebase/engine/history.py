"""Earlier versions of documents, for reads as of a timestamp before the latest.

Storage keeps only the latest version of each document. A read as of an earlier commit
timestamp ``ts`` (Convex's ``/api/query_at_ts``, the HTTP client's ``consistentQuery``) runs at
the latest snapshot ``S`` and overlays, for each document a commit in ``(ts, S]`` changed, its
version at ``ts``: the version the first of those commits replaced.

The history keeps the versions each commit of this process replaced, for ``RETENTION``
seconds (Convex: history "beyond 30 seconds in the past may not be available") and at most
``MAX_VERSIONS`` of them. A commit known only by its write set (another process's, or one
built outside a transaction: an import, an index backfill) cannot be undone: the history
starts again after it, so no read reaches back across it.

Invariant: every commit after ``floor`` up to ``ts`` is in ``_entries`` with the versions it
replaced; ``versions_at(t, until)`` answers exactly when ``floor <= t`` and ``until <= ts``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

RETENTION = 30.0  # seconds
MAX_VERSIONS = 50_000

# (table number, ID key, the document before the commit; None: the commit created it)
Version = tuple[int, bytes, dict[str, Any] | None]


class HistoryUnavailable(LookupError):
    """A read as of a timestamp the history no longer (or not yet) reaches."""


class History:
    """The versions recent commits replaced, to read as of a timestamp before the latest."""

    def __init__(
        self,
        start_ts: int,
        retention: float = RETENTION,
        max_versions: int = MAX_VERSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.floor = start_ts
        self.ts = start_ts
        self._retention = retention
        self._max_versions = max_versions
        self._clock = clock
        self._entries: deque[tuple[int, float, list[Version]]] = deque()
        self._count = 0
        self._lock = threading.Lock()

    def record(self, ts: int, versions: list[Version] | None) -> None:
        """Note commit ``ts`` (above every one noted) and the versions it replaced; None
        when they are not known, which starts the history again at ``ts``."""
        now = self._clock()
        with self._lock:
            self.ts = ts
            if versions is None:
                self._entries.clear()
                self._count = 0
                self.floor = ts
                return
            self._entries.append((ts, now, versions))
            self._count += len(versions)
            entries = self._entries
            while entries and (
                self._count > self._max_versions or now - entries[0][1] > self._retention
            ):
                gone, _, replaced = entries.popleft()
                self._count -= len(replaced)
                self.floor = gone  # why: a read at ``gone`` or later never needed it

    def restart(self, ts: int) -> None:
        """Forget everything before ``ts`` (commits up to it were skipped unseen)."""
        self.record(ts, None)

    def versions_at(
        self, ts: int, until: int
    ) -> dict[tuple[int, bytes], dict[str, Any] | None] | None:
        """Per document a commit in ``(ts, until]`` changed, its version at ``ts``; None when
        the history does not reach back to ``ts`` or forward to ``until``."""
        result: dict[tuple[int, bytes], dict[str, Any] | None] = {}
        with self._lock:
            if ts < self.floor or until > self.ts:
                return None
            for commit_ts, _, versions in self._entries:
                if commit_ts <= ts:
                    continue
                if commit_ts > until:
                    break
                for table, key, doc in versions:
                    result.setdefault((table, key), doc)
        return result
