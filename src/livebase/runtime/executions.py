"""The execution log: every function run of this process, for ``livebase logs`` and the
dashboard's Logs page (Convex's function logs).

Each run leaves one ``Execution``: when it started, its path and kind, how long it took,
whether it succeeded, the error's message if not, and the lines it printed. The log keeps the
last ``CAPACITY`` runs in memory; readers ask for the runs after a sequence number they saw
(``after``) and may wait for new ones. With several server processes (``--workers``) each
keeps its own runs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

CAPACITY = 2000


@dataclass(frozen=True)
class Execution:
    """One function run."""

    seq: int
    started_ms: float
    path: str
    kind: str
    duration_ms: float
    error: str | None = None
    log_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "timestamp": self.started_ms,
            "path": self.path,
            "kind": self.kind,
            "durationMs": round(self.duration_ms, 3),
            "status": "success" if self.ok else "failure",
            "error": self.error,
            "logLines": list(self.log_lines),
        }


class ExecutionLog:
    """The last ``capacity`` runs, in order, with a condition to wait for more."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._runs: deque[Execution] = deque(maxlen=capacity)
        self._seq = 0
        self._changed = threading.Condition()

    def record(
        self,
        path: str,
        kind: str,
        started: float,
        error: BaseException | None = None,
        log_lines: list[str] | None = None,
    ) -> None:
        """Note a run that began at ``started`` (``time.perf_counter()``) and just ended."""
        ended = time.perf_counter()
        message = None
        if error is not None:
            message = str(getattr(error, "message", "") or error) or type(error).__name__
        with self._changed:
            self._seq += 1
            self._runs.append(
                Execution(
                    self._seq,
                    time.time() * 1000 - (ended - started) * 1000,
                    path,
                    kind,
                    (ended - started) * 1000,
                    message,
                    list(log_lines or ()),
                )
            )
            self._changed.notify_all()

    @property
    def last_seq(self) -> int:
        return self._seq

    def after(self, seq: int, wait: float = 0.0, limit: int = 500) -> list[Execution]:
        """The runs after ``seq`` (oldest first, at most ``limit``), waiting up to ``wait``
        seconds for one when there are none yet."""
        with self._changed:
            if self._seq <= seq and wait > 0:
                self._changed.wait_for(lambda: self._seq > seq, timeout=wait)
            newer = [run for run in self._runs if run.seq > seq]
        return newer[:limit]
