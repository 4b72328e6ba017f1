"""Work in progress: counters that long operations advance, for people to watch.

A backfill of a new index, an import or an export opens a ``Task`` (what it does, how many
items if known) and advances it as it goes; the command line draws the open tasks as progress
bars (rich) and the dashboard reads them through ``_system/health:get``. Nothing here waits or
prints: a task is a few numbers behind a lock.

    with progress.task("backfilling messages.by_channel", total=None) as work:
        for batch in batches:
            ...
            work.advance(len(batch))
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

_lock = threading.Lock()
_open: dict[int, Task] = {}
_finished: deque[Task] = deque(maxlen=100)
_ids = itertools.count(1)
T = TypeVar("T")


@dataclass
class Task:
    """One piece of long work: ``done`` of ``total`` items (None: not known ahead)."""

    description: str
    total: int | None = None
    done: int = 0
    id: int = field(default_factory=lambda: next(_ids))
    started: float = field(default_factory=time.time)
    ended: float | None = None

    def advance(self, count: int = 1) -> None:
        with _lock:
            self.done += count

    def __enter__(self) -> Task:
        with _lock:
            _open[self.id] = self
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _lock:
            _open.pop(self.id, None)
            self.ended = time.time()
            _finished.append(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "done": self.done,
            "total": self.total,
            "started": self.started * 1000,
        }


def task(description: str, total: int | None = None) -> Task:
    """A task to open with ``with``: it shows while the block runs."""
    return Task(description, total)


def counted(items: Iterable[T], work: Task) -> Iterator[T]:
    """The items, advancing ``work`` by one for each handed out."""
    for item in items:
        yield item
        work.advance()


def finished() -> list[Task]:
    """The last tasks that ended, oldest first."""
    with _lock:
        return list(_finished)


def running() -> list[Task]:
    """The tasks open now, oldest first (copies: they do not change under the reader)."""
    with _lock:
        return [
            Task(t.description, t.total, t.done, t.id, t.started)
            for t in sorted(_open.values(), key=lambda t: t.id)
        ]
