"""Runs an app's cron jobs (declared in its ``crons.py``; see livebase.runtime.crons)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from livebase.engine.errors import LivebaseError, SchemaError
from livebase.engine.transaction import Transaction
from livebase.runtime import clock
from livebase.runtime.crons import CronJob

if TYPE_CHECKING:
    from livebase.runtime.transactor import Transactor

log = logging.getLogger("livebase.crons")

TABLE = "_cron_jobs"
INDEXES = {"by_name": ("name",)}


def _now_ms() -> float:
    return clock.real_time_ns() / 1e6


class CronRunner:
    """Runs an app's cron jobs when due, keeping their next run in ``_cron_jobs``."""

    def __init__(self, transactor: Transactor) -> None:
        self.transactor = transactor
        self.jobs = transactor.app.crons.jobs if transactor.app.crons is not None else {}
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        transactor.db.ensure_system_table(TABLE, INDEXES)
        for job in self.jobs.values():  # fail at start on a function that does not exist
            try:
                fn = transactor.function(job.function, None, internal_ok=True)
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
                    await self._skip(job, now)
                    continue
                await self._maybe_run(job, now)
            except Exception:
                log.exception("cron job %r failed", job.name)
        return await self._seconds_to_next(now)

    async def _skip(self, job: CronJob, now: float) -> None:
        skipped, _ = await self.transactor.transact_async(
            lambda txn: self._advance(txn, job, now, skip=True)
        )
        if skipped:
            log.info("cron job %r is still running: its run due now is skipped", job.name)

    async def _maybe_run(self, job: CronJob, now: float) -> None:
        fn = self.transactor.function(job.function, None, internal_ok=True)
        if fn.kind == "mutation":
            # why: claiming the run and running the mutation in one transaction makes a
            # cron mutation run exactly once per due time, also across restarts.
            def run(txn: Transaction) -> None:
                if self._advance(txn, job, now):
                    self.transactor.call_in_transaction(txn, fn, job.args)

            try:
                await self.transactor.transact_async(run)
            except LivebaseError as exc:
                log.warning("cron job %r failed: %s", job.name, exc.message)
                await self.transactor.transact_async(lambda txn: self._advance(txn, job, now))
            except Exception:
                # why: a crash must use up its run too, or the job is re-run without a pause.
                log.exception("cron job %r failed", job.name)
                await self.transactor.transact_async(lambda txn: self._advance(txn, job, now))
            return
        due, _ = await self.transactor.transact_async(lambda txn: self._advance(txn, job, now))
        if due:
            self._running.add(job.name)
            task = asyncio.get_running_loop().create_task(self._run_action(job, fn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_action(self, job: CronJob, fn: Any) -> None:
        try:
            await self.transactor.run_action(fn, job.args, internal_ok=True)
        except Exception:
            log.exception("cron job %r failed", job.name)
        finally:
            self._running.discard(job.name)

    def stop(self) -> None:
        """Cancel the cron actions still running (the server is stopping)."""
        for task in list(self._tasks):
            task.cancel()

    async def _seconds_to_next(self, now: float) -> float:
        if not self.jobs:
            return 60.0

        def earliest(txn: Transaction) -> float | None:
            runs = [s["nextRun"] for j in self.jobs if (s := self._state(txn, j)) is not None]
            return min(runs) if runs else None

        nxt, _ = await self.transactor.transact_async(earliest, readonly=True)
        if nxt is None:
            return 0.0
        return max(0.0, min(60.0, (nxt - now) / 1000))
