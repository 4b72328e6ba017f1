"""The scheduler: ``ctx.scheduler.run_after / run_at / cancel`` and the worker that runs jobs.

Jobs live in the ``_scheduled_functions`` system table with Convex's fields: ``name``,
``args``, ``scheduledTime``, ``completedTime`` and ``state.kind`` (pending, inProgress,
success, failed, canceled). Scheduling from a mutation is part of its transaction: a
mutation that rolls back schedules nothing. A scheduled mutation runs exactly once: the job is
marked done in the mutation's own transaction. A scheduled action runs at most once: it is
marked in progress (and committed) before it starts, and a job found in progress after a
restart is marked failed rather than run again. Finished jobs (success, failed, canceled) are
deleted once they completed more than ``RETENTION_MS`` ago (Convex keeps them 7 days).

When several processes serve one deployment (PostgreSQL), every process's worker looks for
due jobs. Claims are transactions, so each mutation still runs once (the loser of the race
finds the job done) and each action is claimed by one process. A claimed action holds a lease
in ``_scheduler_leases`` that its process renews while it runs, every third of ``lease_ms``
from a task of its own (a backlog of due jobs never delays it); an action in progress whose
lease has expired (its process died) is marked failed by whichever worker notices, never run
again. A lease counts as expired only once its time has passed on the noticing machine's clock
and that process has seen it unchanged for a whole lease period, so a machine whose clock runs
ahead never takes a live action for dead. An expired lease is deleted whatever its job's
state (an action canceled while it ran, whose process then died). With one process, a restart
marks every action in progress failed at once, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livebase.engine import values
from livebase.engine.errors import LimitError, LivebaseError, ValidationError
from livebase.engine.query import IndexRange
from livebase.engine.transaction import Transaction
from livebase.runtime import clock
from livebase.runtime.functions import FunctionDefinition
from livebase.services.crons import CronRunner

if TYPE_CHECKING:
    from livebase.runtime.transactor import Transactor

log = logging.getLogger("livebase.scheduler")

TABLE = "_scheduled_functions"
INDEXES = {"by_state_time": ("state.kind", "scheduledTime")}
MAX_PER_TRANSACTION = 1000
BATCH = 50
INTERRUPTED = "The server stopped while this action ran; actions run at most once"
RETENTION_MS = 7 * 24 * 3600 * 1000
PRUNE_EVERY_S = 600.0
PRUNE_BATCHES = 5
FINISHED = ("success", "failed", "canceled")
LEASES = "_scheduler_leases"
LEASE_INDEXES = {"by_job": ("jobId",)}
LEASE_MS = 30_000.0  # an action's process renews its lease every third of this


def expired_jobs(txn: Transaction, before_ms: float, limit: int) -> list[str]:
    """IDs of finished jobs that completed before ``before_ms`` (at most ``limit``)."""
    table = txn.table(TABLE)
    index = table.indexes["by_state_time"]
    out: list[str] = []
    for kind in FINISHED:
        interval = IndexRange(index).eq("state.kind", kind)
        if kind != "canceled":
            # why: a job that ran completed after its scheduled time, so scanning
            # scheduledTime up to the cutoff finds every candidate; a canceled one may have
            # been due long after it was canceled, so all canceled jobs are candidates
            interval = interval.lte("scheduledTime", before_ms)
        bounds = interval.interval()
        if bounds is None:
            continue
        rows = txn.scan(table, index, *bounds)
        try:
            for _, doc in rows:
                if doc.get("completedTime", doc["scheduledTime"]) < before_ms:
                    out.append(doc["_id"])
                    if len(out) >= limit:
                        return out
        finally:
            rows.close()
    return out


def now_ms() -> float:
    return clock.real_time_ns() / 1e6


def _when(timestamp: Any) -> float:
    if isinstance(timestamp, datetime):
        return timestamp.timestamp() * 1000
    if (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, int | float)
        or not math.isfinite(timestamp)
    ):
        # why: a NaN or infinite time would sit in the pending index forever, never due.
        raise ValidationError("run_at() takes a finite timestamp in milliseconds or a datetime")
    return float(timestamp)


class Scheduler:
    """``ctx.scheduler``: in mutations the jobs commit with the mutation."""

    def __init__(self, transactor: Transactor, txn: Transaction | None) -> None:
        self._transactor = transactor
        self._txn = txn
        self._count = 0

    def _resolve(self, function: Any) -> str:
        fn = self._transactor.function(function, None, internal_ok=True)
        if fn.kind == "query":
            raise ValidationError(
                f"{fn.path} is a query; only mutations and actions can be scheduled"
            )
        return fn.path

    def _schedule(self, txn: Transaction, at_ms: float, function: Any, args: Any) -> str:
        self._count += 1
        if self._count > MAX_PER_TRANSACTION:
            raise LimitError(f"A function can schedule at most {MAX_PER_TRANSACTION} functions")
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ValidationError("Scheduled function arguments must be an object")
        doc = {
            "name": self._resolve(function),
            "args": values.normalize(args),
            "scheduledTime": at_ms,
            "state": {"kind": "pending"},
        }
        job_id = txn.insert(TABLE, doc)
        txn.after_commit.append(self._transactor.scheduler_wakeup)
        return job_id

    async def _in_txn(self, work: Callable[[Transaction], Any]) -> Any:
        if self._txn is not None:
            return work(self._txn)  # never suspends: mutations run it without a loop
        # why: from an action there is no transaction to join; the job commits on its own,
        # on the writer thread, not on the event loop the action runs on
        result, _ = await self._transactor.transact_async(work)
        return result

    async def run_after(
        self, delay_ms: float, function: Any, args: dict[str, Any] | None = None
    ) -> str:
        """Run ``function`` after ``delay_ms`` milliseconds; returns the job's ID."""
        if (
            isinstance(delay_ms, bool)
            or not isinstance(delay_ms, int | float)
            or not math.isfinite(delay_ms)
            or delay_ms < 0
        ):
            raise ValidationError("run_after() takes a finite, non-negative delay in milliseconds")
        at = (clock.real_time_ns() if self._txn is None else clock._time_ns()) / 1e6 + delay_ms
        return str(await self._in_txn(lambda txn: self._schedule(txn, at, function, args)))

    async def run_at(
        self, timestamp: Any, function: Any, args: dict[str, Any] | None = None
    ) -> str:
        """Run ``function`` at ``timestamp`` (ms since the epoch, or a datetime)."""
        at = _when(timestamp)
        return str(await self._in_txn(lambda txn: self._schedule(txn, at, function, args)))

    async def cancel(self, job_id: str) -> None:
        """Cancel a job that has not run yet (a running action finishes, but is marked canceled)."""

        if self._txn is not None and self._txn.scheduled_job == job_id:
            # why: its own record is being marked done in this very transaction (Convex
            # refuses it the same way since its 1.50 functions)
            raise ValidationError("A mutation cannot cancel itself")

        def cancel(txn: Transaction) -> None:
            job = txn.get(job_id, TABLE)
            if job is None:
                raise ValidationError(f"No scheduled function {job_id!r}")
            if job["state"]["kind"] in ("pending", "inProgress"):
                txn.patch(job_id, {"state": {"kind": "canceled"}, "completedTime": now_ms()}, TABLE)

        await self._in_txn(cancel)


def due_jobs(txn: Transaction, until_ms: float, limit: int) -> list[dict[str, Any]]:
    """Pending jobs scheduled at or before ``until_ms``, earliest first."""
    table = txn.table(TABLE)
    index = table.indexes["by_state_time"]
    interval = (
        IndexRange(index).eq("state.kind", "pending").lte("scheduledTime", until_ms).interval()
    )
    if interval is None:
        return []
    out = []
    rows = txn.scan(table, index, *interval)
    try:
        for _, doc in rows:
            out.append(doc)
            if len(out) >= limit:
                break
    finally:
        rows.close()
    return out


def next_due(txn: Transaction) -> float | None:
    """When the earliest pending job is due, or None."""
    table = txn.table(TABLE)
    index = table.indexes["by_state_time"]
    interval = IndexRange(index).eq("state.kind", "pending").interval()
    assert interval is not None
    rows = txn.scan(table, index, *interval)
    try:
        for _, doc in rows:
            return float(doc["scheduledTime"])
    finally:
        rows.close()
    return None


class PendingJob:
    """The job a scheduled mutation runs for (a JobGuard): it runs only while the job is
    pending, and marks it done in its own transaction, so it runs exactly once."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def pending(self, txn: Transaction) -> bool:
        txn.scheduled_job = self.job_id  # why: read by cancel()
        state = txn.get(self.job_id, TABLE)
        return state is not None and state["state"]["kind"] == "pending"

    def finish(self, txn: Transaction) -> None:
        done = {"state": {"kind": "success"}, "completedTime": now_ms()}
        txn.patch(self.job_id, done, TABLE)


def _started(pid: int) -> str:
    """A process's start time in clock ticks since boot (Linux), or "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # why: the command name (field 2) may hold spaces; the fields after it are fixed
    return stat.rsplit(")", 1)[-1].split()[19]


def _owner_is_dead(owner: str) -> bool:
    """Whether a lease's owner is a process on this machine that no longer runs (its pid
    gone, or reused by a process started at another time)."""
    parts = owner.split("/")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid, started = int(parts[1]), parts[2]
    if not started:
        return False
    return _started(pid) != started


class SchedulerWorker:
    """Runs due jobs and crons for a runtime (started by the server, or driven by tests)."""

    def __init__(self, transactor: Transactor) -> None:
        self.transactor = transactor
        self._wake = asyncio.Event()
        self._running_actions: set[asyncio.Task[None]] = set()
        self._stopped = False
        self.crons = CronRunner(transactor)
        self.retention_ms = RETENTION_MS
        self._pruned_at = -math.inf
        # why: with other processes on the same storage, an action in progress may be
        # theirs and alive; only an expired lease says its process is gone
        self.shared = transactor.db.persistence.multi_writer
        # why: host, process id and its start time let a process on the same machine tell
        # at once that a lease's process is gone (a restart after a crash), not a lease later
        self.owner = (
            f"{socket.gethostname()}/{os.getpid()}/{_started(os.getpid())}/{uuid.uuid4().hex}"
        )
        self.lease_ms = LEASE_MS
        self._running_jobs: set[str] = set()  # changed on the event loop only
        self._leases_seen: dict[str, tuple[float, float]] = {}  # id: (expires, monotonic)
        self._lease_keeper: asyncio.Task[None] | None = None
        if self.shared:
            transactor.db.ensure_system_table(LEASES, LEASE_INDEXES)

    def prune(self, max_batches: int = PRUNE_BATCHES) -> int:
        """Delete finished jobs older than ``retention_ms``, at most ``max_batches`` transactions
        of MAX_PER_TRANSACTION; returns how many."""
        before = now_ms() - self.retention_ms
        deleted = 0
        for _ in range(max_batches):

            def delete_batch(txn: Transaction) -> int:
                ids = expired_jobs(txn, before, MAX_PER_TRANSACTION)
                for job_id in ids:
                    txn.delete(job_id, TABLE)
                return len(ids)

            count, _ = self.transactor.transact(delete_batch)
            deleted += int(count)
            if count < MAX_PER_TRANSACTION:
                break
        return deleted

    def recover(self) -> int:
        """Mark actions left in progress by a stopped server as failed (at most once).

        With other processes on the same storage, only those whose lease has expired (or that
        have none: claimed before leases existed); every expired lease is deleted, whatever
        its job's state."""

        def mark(txn: Transaction) -> int:
            table = txn.table(TABLE)
            index = table.indexes["by_state_time"]
            interval = IndexRange(index).eq("state.kind", "inProgress").interval()
            assert interval is not None
            stuck = [doc for _, doc in txn.scan(table, index, *interval)]
            now = now_ms()
            if self.shared:
                alive = self._drop_expired_leases(txn, now)
                stuck = [job for job in stuck if job["_id"] not in alive]
            for job in stuck:
                txn.patch(
                    job["_id"],
                    {"state": {"kind": "failed", "error": INTERRUPTED}, "completedTime": now},
                    TABLE,
                )
            return len(stuck)

        count, _ = self.transactor.transact(mark)
        if count:
            log.warning("%d scheduled actions were interrupted by a restart: marked failed", count)
        return int(count)

    def _drop_expired_leases(self, txn: Transaction, now: float) -> set[str]:
        """Delete the expired leases; the jobs of those left."""
        table = txn.table(LEASES)
        index = table.indexes["by_job"]
        interval = IndexRange(index).interval()
        assert interval is not None
        leases = [doc for _, doc in txn.scan(table, index, *interval)]
        self._leases_seen = {
            lease["_id"]: seen
            for lease in leases
            if (seen := self._leases_seen.get(lease["_id"])) is not None
        }
        alive = set()
        for lease in leases:
            if self._lease_expired(lease, now):
                txn.delete(lease["_id"], LEASES)
            else:
                alive.add(lease["jobId"])
        return alive

    def _lease_expired(self, lease: dict[str, Any], now: float) -> bool:
        if _owner_is_dead(str(lease.get("owner", ""))):
            return True
        # why: ``expires`` comes from the renewing machine's clock, which may lag this one's;
        # seeing the value unchanged for a whole lease period on this process's monotonic
        # clock says its renewals stopped, whatever the clocks say
        seen = self._leases_seen.get(lease["_id"])
        if seen is None or seen[0] != lease["expires"]:
            self._leases_seen[lease["_id"]] = (lease["expires"], time.monotonic())
            return False
        watched = time.monotonic() - seen[1]
        return bool(lease["expires"] <= now and watched >= self.lease_ms / 1000)

    def wake(self) -> None:
        self._wake.set()

    async def run_due(self) -> int:
        """Run every job due now; returns how many were started.

        Only jobs due when the call starts are run: a job that schedules another with
        ``run_after(0)`` (a chain of batches) leaves the next one to the next cycle, and the
        loop gets a turn between jobs, so such a chain neither starves crons nor blocks the
        server (scheduled mutations run on the writer thread, never on the event loop).
        """
        until = now_ms()
        started = 0
        while True:
            jobs, _ = await self.transactor.transact_async(
                lambda txn: due_jobs(txn, until, BATCH), readonly=True
            )
            if not jobs:
                return started
            for job in jobs:
                await self._run_job(job)
                started += 1
                await asyncio.sleep(0)

    async def _run_job(self, job: dict[str, Any]) -> None:
        try:
            fn = self.transactor.function(job["name"], None, internal_ok=True)
        except LivebaseError as exc:
            await self._finish(job["_id"], "failed", exc.message, only_if="pending")
            return
        if fn.kind == "mutation":
            await self._run_mutation_job(fn, job)
            return
        started, _ = await self.transactor.transact_async(lambda txn: self._claim(txn, job["_id"]))
        if started:
            self._running_jobs.add(job["_id"])
            task = asyncio.get_running_loop().create_task(self._run_action_job(fn, job))
            self._running_actions.add(task)
            task.add_done_callback(self._running_actions.discard)

    def _claim(self, txn: Transaction, job_id: str) -> bool:
        job = txn.get(job_id, TABLE)
        if job is None or job["state"]["kind"] != "pending":
            return False
        txn.patch(job_id, {"state": {"kind": "inProgress"}}, TABLE)
        if self.shared:
            lease = {"jobId": job_id, "owner": self.owner, "expires": now_ms() + self.lease_ms}
            txn.insert(LEASES, lease)
        return True

    def renew_leases(self, jobs: Collection[str] | None = None) -> int:
        """Move the leases of this process's running actions forward; returns how many.

        ``jobs``: their IDs (by default all of them), a copy taken on the event loop when this
        runs on another thread. A lease found gone (another process took the action for dead)
        is logged."""
        wanted = sorted(self._running_jobs if jobs is None else jobs)

        def renew(txn: Transaction) -> tuple[int, list[str]]:
            expires = now_ms() + self.lease_ms
            lost = []
            for job_id in wanted:
                lease = txn.first_by_index(LEASES, "by_job", job_id)
                if lease is not None and lease["owner"] == self.owner:
                    txn.patch(lease["_id"], {"expires": expires}, LEASES)
                else:
                    lost.append(job_id)
            return len(wanted) - len(lost), lost

        if not wanted:
            return 0
        (count, lost), _ = self.transactor.transact(renew)
        # why: an action that finished meanwhile left the running set before its lease was
        # deleted, so it is not taken for lost (a set lookup is safe from any thread)
        for job_id in lost:
            if job_id in self._running_jobs:
                log.warning(
                    "scheduled action %s lost its lease: another process may have marked it "
                    "failed while it still runs here",
                    job_id,
                )
        return int(count)

    async def _keep_leases(self) -> None:
        """Renew this process's leases every third of ``lease_ms`` and fail the actions whose
        lease expired elsewhere, beside the cycle: a backlog of due jobs never delays it."""
        while not self._stopped:
            await asyncio.sleep(self.lease_ms / 3000)
            running = frozenset(self._running_jobs)  # why: the loop alone changes the set
            try:
                if running:
                    await self.transactor.in_writer(partial(self.renew_leases, running))
                await self.transactor.in_writer(self.recover)
            except Exception:
                log.exception("renewing the scheduler's leases failed")

    async def _run_mutation_job(self, fn: FunctionDefinition, job: dict[str, Any]) -> None:
        try:
            await self.transactor.run_mutation_async(
                fn, job["args"], internal_ok=True, job=PendingJob(job["_id"])
            )
        except LivebaseError as exc:
            # why: only_if keeps a job canceled while the mutation ran canceled.
            await self._finish(job["_id"], "failed", exc.message, only_if="pending")
        except Exception as exc:
            log.exception("scheduled mutation %s failed", fn.path)
            await self._finish(
                job["_id"], "failed", f"{type(exc).__name__}: {exc}", only_if="pending"
            )

    async def _run_action_job(self, fn: FunctionDefinition, job: dict[str, Any]) -> None:
        try:
            kind, error = await self._run_action(fn, job)
        finally:
            # why: before the job is finished (and its lease deleted), so a renewal meanwhile
            # does not take the lease for lost
            self._running_jobs.discard(job["_id"])
        # why: an action canceled while it ran stays canceled, however it ends.
        await self._finish(job["_id"], kind, error, only_if="inProgress")

    async def _run_action(
        self, fn: FunctionDefinition, job: dict[str, Any]
    ) -> tuple[str, str | None]:
        """Run the action; how the job ends (its state and error)."""
        try:
            await self.transactor.run_action(fn, job["args"], internal_ok=True)
        except LivebaseError as exc:
            return "failed", exc.message
        except Exception as exc:
            log.exception("scheduled action %s failed", fn.path)
            return "failed", f"{type(exc).__name__}: {exc}"
        return "success", None

    async def _finish(
        self, job_id: str, kind: str, error: str | None, only_if: str | None = None
    ) -> None:
        def finish(txn: Transaction) -> None:
            if self.shared and (lease := txn.first_by_index(LEASES, "by_job", job_id)):
                txn.delete(lease["_id"], LEASES)  # why: also when the job was canceled
            job = txn.get(job_id, TABLE)
            if job is None or (only_if is not None and job["state"]["kind"] != only_if):
                return
            state: dict[str, Any] = {"kind": kind}
            if error is not None:
                state["error"] = error
            txn.patch(job_id, {"state": state, "completedTime": now_ms()}, TABLE)

        await self.transactor.transact_async(finish)

    async def run_forever(self, max_sleep: float = 5.0) -> None:
        """Run jobs and crons as they come due, until ``stop``."""
        await self.transactor.in_writer(self.recover)
        if self.shared:
            self._lease_keeper = asyncio.get_running_loop().create_task(self._keep_leases())
        try:
            await self._cycle_forever(max_sleep)
        finally:
            if self._lease_keeper is not None:
                self._lease_keeper.cancel()

    async def _cycle_forever(self, max_sleep: float) -> None:
        while not self._stopped:
            # why: cleared before the cycle looks for due jobs, never after: the cycle awaits
            # worker threads, and a job scheduled meanwhile wakes the next cycle at once
            # instead of waiting out the sleep computed without it
            self._wake.clear()
            try:
                if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
                    self._pruned_at = time.monotonic()
                    if (
                        await self.transactor.in_writer(self.prune)
                        >= PRUNE_BATCHES * MAX_PER_TRANSACTION
                    ):
                        # why: a backlog is deleted a slice per cycle, so the loop (and the
                        # server's event loop it runs on) gets a turn between slices
                        self._pruned_at -= PRUNE_EVERY_S - 1
                await self.run_due()
                cron_wait = await self.crons.run_due()
                upcoming, _ = await self.transactor.transact_async(next_due, readonly=True)
                wait = max_sleep if upcoming is None else max(0.0, (upcoming - now_ms()) / 1000)
                wait = min(wait, cron_wait, max_sleep)
            except Exception:
                # why: a failing cycle (say, a full disk) leaves due jobs behind; retrying at
                # once would spin and flood the log.
                log.exception("scheduler cycle failed")
                wait = max_sleep
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._lease_keeper is not None:
            self._lease_keeper.cancel()
        for task in list(self._running_actions):
            task.cancel()
        self.crons.stop()
