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

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from croniter import croniter

from livebase import clock
from livebase.errors import LivebaseError, SchemaError
from livebase.transaction import Transaction

if TYPE_CHECKING:
    from livebase.runtime import Runtime

log = logging.getLogger("livebase.crons")

TABLE = "_cron_jobs"
INDEXES = {"by_name": ("name",)}
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


def _now_ms() -> float:
    return clock.real_time_ns() / 1e6


class CronRunner:
    """Runs an app's cron jobs when due, keeping their next run in ``_cron_jobs``."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.jobs = runtime.app.crons.jobs if runtime.app.crons is not None else {}
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        runtime.db.ensure_system_table(TABLE, INDEXES)
        for job in self.jobs.values():  # fail at start on a function that does not exist
            try:
                fn = runtime.function(job.function, None, internal_ok=True)
            except LivebaseError as exc:
                raise SchemaError(f"Cron job {job.name!r}: {exc.message}") from None
            if fn.kind == "query":
                raise SchemaError(f"Cron job {job.name!r}: {fn.path} is a query")

    def _state(self, txn: Transaction, name: str) -> dict[str, Any] | None:
        return txn.first_by_index(TABLE, "by_name", name)

    def _advance(self, txn: Transaction, job: CronJob, now: float, skip: bool = False) -> bool:
        """Claim a due run: move the job's next run past now. False if it is not due.

        With ``skip`` the due run is dropped (the previous one is still going): only the next
        run moves, so the job keeps its schedule instead of running late.
        """
        state = self._state(txn, job.name)
        if state is None or state.get("schedule") != job.describe():
            fields = {"name": job.name, "schedule": job.describe(), "nextRun": job.first_run(now)}
            if state is None:
                state = {**fields, "_id": txn.insert(TABLE, fields)}
            else:
                txn.patch(state["_id"], fields, TABLE)
                state = {**state, **fields}
        if state["nextRun"] > now:
            return False
        update: dict[str, Any] = {"nextRun": job.following(state["nextRun"], now)}
        if not skip:
            update["lastRun"] = now
        txn.patch(state["_id"], update, TABLE)
        return True

    async def run_due(self) -> float:
        """Run the jobs that are due; returns seconds until the next one (at most 60)."""
        now = _now_ms()
        for job in self.jobs.values():
            try:
                if job.name in self._running:
                    # why: never two runs of one job at a time; a run due meanwhile is skipped
                    # (and its time passed, or the worker would wake for it again at once).
                    self._skip(job, now)
                    continue
                await self._maybe_run(job, now)
            except Exception:
                log.exception("cron job %r failed", job.name)
        return self._seconds_to_next(now)

    def _skip(self, job: CronJob, now: float) -> None:
        skipped, _ = self.runtime.transact(lambda txn: self._advance(txn, job, now, skip=True))
        if skipped:
            log.info("cron job %r is still running: its run due now is skipped", job.name)

    async def _maybe_run(self, job: CronJob, now: float) -> None:
        fn = self.runtime.function(job.function, None, internal_ok=True)
        if fn.kind == "mutation":
            # why: claiming the run and running the mutation in one transaction makes a
            # cron mutation run exactly once per due time, also across restarts.
            def run(txn: Transaction) -> None:
                if self._advance(txn, job, now):
                    self.runtime.call_in_transaction(txn, fn, job.args)

            try:
                self.runtime.transact(run)
            except LivebaseError as exc:
                log.warning("cron job %r failed: %s", job.name, exc.message)
                self.runtime.transact(lambda txn: self._advance(txn, job, now))
            except Exception:
                # why: a crash must use up its run too, or the job is re-run without a pause.
                log.exception("cron job %r failed", job.name)
                self.runtime.transact(lambda txn: self._advance(txn, job, now))
            return
        due, _ = self.runtime.transact(lambda txn: self._advance(txn, job, now))
        if due:
            self._running.add(job.name)
            task = asyncio.get_running_loop().create_task(self._run_action(job, fn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_action(self, job: CronJob, fn: Any) -> None:
        try:
            await self.runtime.run_action(fn, job.args, internal_ok=True)
        except Exception:
            log.exception("cron job %r failed", job.name)
        finally:
            self._running.discard(job.name)

    def stop(self) -> None:
        """Cancel the cron actions still running (the server is stopping)."""
        for task in list(self._tasks):
            task.cancel()

    def _seconds_to_next(self, now: float) -> float:
        if not self.jobs:
            return 60.0

        def earliest(txn: Transaction) -> float | None:
            runs = [s["nextRun"] for j in self.jobs if (s := self._state(txn, j)) is not None]
            return min(runs) if runs else None

        nxt, _ = self.runtime.transact(earliest, readonly=True)
        if nxt is None:
            return 0.0
        return max(0.0, min(60.0, (nxt - now) / 1000))
