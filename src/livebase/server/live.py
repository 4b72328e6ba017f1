"""The live-query lane: the subscription manager's work, off the event loop, one at a time.

Every call into the ``SubscriptionManager`` (catching up after commits, subscribing,
unsubscribing) runs on one thread of its own, ``run``, while the caller holds ``lock``; the
sessions' Transitions are built under the same lock, so they always see the entries at one
timestamp. The event loop meanwhile goes on moving bytes: heartbeats, other requests, replies.

Two things keep a slow query from holding the lane, and with it everyone's live updates:

- **First runs happen elsewhere.** ``prepare`` runs a new subscription's query on the reader
  threads before the lane subscribes it; the manager's run then takes that result if it is
  still valid at the manager's timestamp (no commit since wrote what it read).
- **Timed out is failed for good.** A live query that went over its time limit fails for its
  subscribers until they subscribe again, instead of running again (and again timing out) on
  every commit (``Quarantine``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar, cast

from livebase.engine.errors import TimeLimitError
from livebase.runtime.core import QueryResult
from livebase.runtime.execution import Workers
from livebase.server.subscriptions import EntryKey, QueryEntry, SubscriptionManager, entry_key
from livebase.services.runtime import Runtime

log = logging.getLogger("livebase.live")

T = TypeVar("T")

QuerySpec = tuple[str, dict[str, Any], str | None]  # path, args, journal
Prepared = dict[EntryKey, tuple[int, QueryResult | Exception]]  # latest ts before the run


class Quarantine(Protocol):
    """A subscriber that can turn a timed-out live query into a lasting failure."""

    def quarantine(self, entry: QueryEntry) -> None: ...


class _LaneRuntime:
    """The runtime as the manager sees it: ``run_query`` may answer with a prepared result."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.manager: SubscriptionManager | None = None
        self.prepared: Prepared = {}
        self.timed_out: set[EntryKey] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)

    def run_query(self, path: Any, args: dict[str, Any] | None = None, **options: Any) -> Any:
        key = entry_key(path, args or {}, options.get("identity"), options.get("journal"))
        try:
            found = self.prepared.pop(key, None)
            prepared = None if found is None else self._still_valid(*found)
            if isinstance(prepared, Exception):
                raise prepared
            if prepared is not None:
                return prepared
            return self._runtime.run_query(path, args, **options)
        except TimeLimitError:
            self.timed_out.add(key)
            raise

    def _still_valid(
        self, latest_before: int, outcome: QueryResult | Exception
    ) -> QueryResult | Exception | None:
        db = self._runtime.db
        assert self.manager is not None
        if isinstance(outcome, TimeLimitError):
            return outcome  # why: never run again here what already ran out of time elsewhere
        if isinstance(outcome, Exception):
            return outcome if db.latest_ts == latest_before else None
        at = self.manager.ts
        if outcome.ts >= at:
            return outcome
        if db.feed.conflicts(outcome.read_set, outcome.ts, at):
            return None
        # why: nothing it read changed up to the manager's timestamp: the same result there
        return dataclasses.replace(outcome, ts=at)


class LiveLane:
    """The subscription manager of one server, and the thread that runs all its work."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._view = _LaneRuntime(runtime)
        # why: the manager only calls run_query and reads db; the view stands in for the runtime
        self.manager = SubscriptionManager(cast(Runtime, self._view))
        self._view.manager = self.manager
        self.lock = asyncio.Lock()
        self._thread = Workers("livebase-live", 1, abandon=False)

    async def run(self, work: Callable[[], T], prepared: Prepared | None = None) -> T:
        """``work()`` on the lane's thread (hold ``lock``), with ``prepared`` first runs."""
        return await self._thread.run(lambda: self._call(work, prepared or {}))

    def _call(self, work: Callable[[], T], prepared: Prepared) -> T:
        self._view.prepared = prepared
        try:
            return work()
        finally:
            self._view.prepared = {}
            self._quarantine()

    def _quarantine(self) -> None:
        timed_out, self._view.timed_out = self._view.timed_out, set()
        for key in timed_out:
            entry = self.manager.entries.get(key)
            if entry is None or entry.error is None:
                continue
            log.info("live query %s timed out: it fails until subscribed again", entry.path)
            for subscriber in list(entry.subscribers):
                if hasattr(subscriber, "quarantine"):
                    cast(Quarantine, subscriber).quarantine(entry)

    async def prepare(
        self, queries: Iterable[QuerySpec], identity: dict[str, Any] | None
    ) -> Prepared:
        """Run, on the reader threads, the queries that no live entry holds yet."""
        wanted: dict[EntryKey, QuerySpec] = {}
        for path, args, journal in queries:
            key = entry_key(path, args, identity, journal)
            if key not in self.manager.entries:
                wanted[key] = (path, args, journal)
        outcomes = await asyncio.gather(
            *(self._first_run(spec, identity) for spec in wanted.values())
        )
        return dict(zip(wanted, outcomes, strict=True))

    async def _first_run(
        self, spec: QuerySpec, identity: dict[str, Any] | None
    ) -> tuple[int, QueryResult | Exception]:
        path, args, journal = spec
        latest = self.runtime.db.latest_ts
        try:
            # why: the session checked the path's visibility when it subscribed (an admin may
            # subscribe to internal and _system/ queries; SyncSession._public_query)
            return latest, await self.runtime.run_query_async(
                path, args, identity=identity, internal_ok=True, journal=journal
            )
        except Exception as exc:
            return latest, exc

    def stop(self) -> None:
        self._thread.stop()
