"""Cron jobs: an app's ``crons.py`` declares recurring functions.

    from livebase import cron_jobs

    crons = cron_jobs()
    crons.interval("clear stale sessions", {"minutes": 5}, "sessions:clear_stale")
    crons.cron("nightly report", "0 2 * * *", "reports:nightly", {"full": True})
    crons.daily("digest", {"hourUTC": 8, "minuteUTC": 30}, "mail:digest")

Times are UTC. As in Convex, an interval job first runs when it is first seen (or when its
schedule changes), then keeps to its grid: each run is due one interval after the previous
due time, not after the moment it happened to run. A job's next run is kept in the
``_cron_jobs`` system table, so a restart neither skips nor repeats a run; runs missed while
the server was down are not made up (the job runs once, then keeps its schedule). A job never
runs twice at the same time: a run that is due while the previous one is still going is
skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from croniter import croniter

from livebase.engine.errors import SchemaError

_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]


@dataclass
class CronJob:
    """One declared job: an interval in ms or a cron expression."""

    name: str
    function: Any
    args: dict[str, Any]
    interval_ms: float | None = None
    expression: str | None = None

    def next_after(self, after_ms: float) -> float:
        """The first run time strictly after ``after_ms``."""
        if self.interval_ms is not None:
            return after_ms + self.interval_ms
        assert self.expression is not None
        base = datetime.fromtimestamp(after_ms / 1000, tz=UTC)
        return float(croniter(self.expression, base).get_next(float)) * 1000

    def first_run(self, now_ms: float) -> float:
        """When a newly seen job first runs: an interval job at once, as Convex does."""
        return now_ms if self.interval_ms is not None else self.next_after(now_ms)

    def following(self, due_ms: float, now_ms: float) -> float:
        """The run after the one due at ``due_ms``: the first on the schedule after ``now_ms``.

        Runs whose time has already passed (the server was down, or the job was still
        running) are skipped, and an interval job stays on its grid of due times.
        """
        if self.interval_ms is None:
            return self.next_after(max(due_ms, now_ms))
        missed = max(0, math.floor((now_ms - due_ms) / self.interval_ms))
        nxt = due_ms + (missed + 1) * self.interval_ms
        while nxt <= now_ms:  # floating-point rounding
            nxt += self.interval_ms
        return nxt

    def describe(self) -> str:
        return self.expression or f"every {self.interval_ms} ms"


class Crons:
    """The registry ``cron_jobs()`` returns."""

    def __init__(self) -> None:
        self.jobs: dict[str, CronJob] = {}

    def _add(self, job: CronJob) -> None:
        if not isinstance(job.name, str) or not job.name:
            raise SchemaError("A cron job needs a name")
        if job.name in self.jobs:
            raise SchemaError(f"Two cron jobs are named {job.name!r}")
        if job.args is not None and not isinstance(job.args, dict):
            raise SchemaError(f"Cron job {job.name!r}: args must be an object")
        self.jobs[job.name] = job

    def interval(
        self, name: str, every: dict[str, float], function: Any, args: dict[str, Any] | None = None
    ) -> None:
        """Run every ``{"seconds": n}`` / ``{"minutes": n}`` / ``{"hours": n}``."""
        units = {"seconds": 1000, "minutes": 60_000, "hours": 3_600_000}
        if not isinstance(every, dict) or len(every) != 1 or next(iter(every)) not in units:
            raise SchemaError(f"Cron job {name!r}: interval takes one of seconds, minutes, hours")
        ((unit, amount),) = every.items()
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            raise SchemaError(f"Cron job {name!r}: the interval must be positive")
        self._add(CronJob(name, function, args or {}, interval_ms=amount * units[unit]))

    def cron(
        self, name: str, expression: str, function: Any, args: dict[str, Any] | None = None
    ) -> None:
        """Run on a cron expression (five fields, UTC)."""
        if not isinstance(expression, str) or not croniter.is_valid(expression):
            raise SchemaError(f"Cron job {name!r}: {expression!r} is not a valid cron expression")
        self._add(CronJob(name, function, args or {}, expression=expression))

    def hourly(
        self, name: str, at: dict[str, int], function: Any, args: dict[str, Any] | None = None
    ) -> None:
        self.cron(name, f"{_at(name, at, 'minuteUTC', 0)} * * * *", function, args)

    def daily(
        self, name: str, at: dict[str, int], function: Any, args: dict[str, Any] | None = None
    ) -> None:
        minute, hour = _at(name, at, "minuteUTC", 0), _at(name, at, "hourUTC")
        self.cron(name, f"{minute} {hour} * * *", function, args)

    def weekly(
        self, name: str, at: dict[str, Any], function: Any, args: dict[str, Any] | None = None
    ) -> None:
        day = str(_at(name, at, "dayOfWeek")).lower()
        if day not in _DAYS:
            raise SchemaError(f"Cron job {name!r}: unknown dayOfWeek {at['dayOfWeek']!r}")
        minute, hour = _at(name, at, "minuteUTC", 0), _at(name, at, "hourUTC")
        self.cron(name, f"{minute} {hour} * * {_DAYS.index(day)}", function, args)

    def monthly(
        self, name: str, at: dict[str, int], function: Any, args: dict[str, Any] | None = None
    ) -> None:
        minute, hour = _at(name, at, "minuteUTC", 0), _at(name, at, "hourUTC")
        self.cron(name, f"{minute} {hour} {_at(name, at, 'day')} * *", function, args)


def _at(name: str, at: Any, key: str, default: int | None = None) -> Any:
    """One field of an hourly/daily/weekly/monthly schedule (a clear error when missing)."""
    if not isinstance(at, dict):
        raise SchemaError(f"Cron job {name!r}: the schedule must be an object")
    if key in at:
        return at[key]
    if default is None:
        raise SchemaError(f"Cron job {name!r}: the schedule needs {key}")
    return default


def cron_jobs() -> Crons:
    """A new cron registry for an app's ``crons.py``."""
    return Crons()
