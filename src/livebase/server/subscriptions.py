"""Live queries: one shared entry per distinct (function, args, identity), kept current.

After commits, ``catch_up`` reads the commit feed (``CommitFeed``: this process's commits and
other processes') from the last timestamp every entry is valid at, finds the entries whose read
sets a commit touched (each written key stabs an interval tree of the entries' read intervals,
``ReadSetIndex``: O(log S) per key plus the entries it finds, whatever the number S of idle
entries), re-runs only those, and leaves the others valid at the new timestamp. Identical
subscriptions from any number of connections share one entry, so each is computed once per
commit. Nothing here visits every entry, except when the feed no longer reaches back to the
last catch-up (then every entry is re-run anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from livebase.engine import values
from livebase.engine.readset import ReadSet, ReadSetIndex
from livebase.runtime import logs
from livebase.server.errors import ClientError, client_error
from livebase.server.protocol import dumps
from livebase.services.runtime import Runtime

log = logging.getLogger("livebase.subscriptions")

EntryKey = tuple[str, str, str]
_MAX_CATCH_UP_ROUNDS = 8


class Subscriber(Protocol):
    """A connection holding subscriptions (the sync session)."""

    def entry_changed(self, entry: QueryEntry) -> None: ...


@dataclass(eq=False)
class QueryEntry:
    """One live query result shared by every subscriber with the same key."""

    key: EntryKey
    path: str
    args: dict[str, Any]
    identity: dict[str, Any] | None
    journal: str | None
    ts: int = 0
    version: int = 0
    value_json: str | None = None
    log_lines: list[str] = field(default_factory=list)
    error: ClientError | None = None
    read_set: ReadSet | None = None
    result_hash: int | None = None
    subscribers: set[Subscriber] = field(default_factory=set)
    refs: int = 0


def entry_key(
    path: str, args: dict[str, Any], identity: dict[str, Any] | None, journal: str | None
) -> EntryKey:
    """The identity of a subscription: same function, args, identity and journal share."""
    ident = "" if identity is None else dumps(values.to_convex_json(identity))
    args_json = dumps(values.to_convex_json(args))
    return (path, args_json + ("" if journal is None else "|" + journal), ident)


class SubscriptionManager:
    """All live query entries of a server, and their upkeep after commits."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.feed = runtime.db.feed  # every commit, this process's or another's
        self.entries: dict[EntryKey, QueryEntry] = {}
        self._reads: ReadSetIndex[QueryEntry] = ReadSetIndex()
        self._unindexed: set[QueryEntry] = set()  # failed runs: re-run on any commit
        self._ahead: set[QueryEntry] = set()  # run at a timestamp after ``self.ts``
        self.ts = self.feed.ts
        self.reruns = 0

    # --- subscribing -------------------------------------------------------------------
    def acquire(
        self,
        path: str,
        args: dict[str, Any],
        identity: dict[str, Any] | None,
        journal: str | None,
        subscriber: Subscriber,
    ) -> QueryEntry:
        """The entry for a subscription, computed now if it is new (at ``self.ts``)."""
        key = entry_key(path, args, identity, journal)
        entry = self.entries.get(key)
        if entry is None:
            entry = QueryEntry(key, path, args, identity, journal)
            self.entries[key] = entry
            self._run(entry)
        entry.refs += 1
        entry.subscribers.add(subscriber)
        return entry

    def release(self, entry: QueryEntry, subscriber: Subscriber, still_used: bool) -> None:
        """Drop one subscription to an entry; the entry goes when nobody holds it."""
        if self.entries.get(entry.key) is not entry:
            return  # a failed subscription, never shared
        entry.refs -= 1
        if not still_used:
            entry.subscribers.discard(subscriber)
        if entry.refs <= 0:
            self._unindex(entry)
            self.entries.pop(entry.key, None)

    # --- running -----------------------------------------------------------------------
    def _unindex(self, entry: QueryEntry) -> None:
        self._unindexed.discard(entry)
        self._ahead.discard(entry)
        self._reads.discard(entry)

    def _run(self, entry: QueryEntry) -> bool:
        """(Re-)run an entry's query; returns whether its result changed."""
        self._unindex(entry)
        self.reruns += 1
        try:
            # why: subscribers checked the path's visibility when they subscribed (an admin may
            # subscribe to internal and _system/ queries)
            result = self.runtime.run_query(
                entry.path,
                entry.args,
                identity=entry.identity,
                internal_ok=True,
                journal=entry.journal,
            )
        except Exception as exc:
            entry.read_set = None
            entry.ts = self.feed.ts
            entry.error = client_error(exc, entry.path, self.runtime)
            entry.value_json = None
            entry.log_lines = logs.lines_of(exc)
            new_hash = hash(
                ("error", entry.error.message, entry.error.data_json(), *entry.log_lines)
            )
            self._unindexed.add(entry)
        else:
            entry.read_set = result.read_set
            entry.ts = result.ts
            entry.error = None
            entry.value_json = dumps(values.to_convex_json(result.value))
            entry.journal = result.journal if result.journal is not None else entry.journal
            entry.log_lines = result.log_lines
            # why: as on Convex, a re-run is news when its value or its log lines changed
            new_hash = hash((entry.value_json, entry.journal, *entry.log_lines))
            self._reads.add(entry, result.read_set)
        if entry.ts > self.ts:
            self._ahead.add(entry)
        changed = new_hash != entry.result_hash
        entry.result_hash = new_hash
        if changed:
            entry.version += 1
        return changed

    def catch_up(self) -> set[QueryEntry]:
        """Bring every entry to the latest commit; returns the entries whose result changed."""
        changed: set[QueryEntry] = set()
        feed = self.feed
        for _ in range(_MAX_CATCH_UP_ROUNDS):
            if self._ahead and max(e.ts for e in self._ahead) > feed.ts:
                # why: an entry ran at a snapshot holding commits the feed has not published
                # yet (another process's, or this one's a moment before publication): read
                # them from the commit log, so the round can reach that snapshot
                self.runtime.db.catch_up()
            target = feed.ts
            # why: an entry run at a later snapshot than ``target`` (a subscription made while
            # commits landed) may show writes others do not yet: it runs again, and the round
            # repeats, until all are valid at one timestamp.
            stale = self._stale_entries(self.ts, target) | {e for e in self._ahead if e.ts > target}
            for entry in stale:
                if self._run(entry):
                    changed.add(entry)
            newest = max((e.ts for e in stale), default=target)
            self.ts = target
            self._ahead = {e for e in self._ahead if e.ts > target}
            if newest <= target and feed.ts == target:
                break
        else:  # commits keep landing from other threads; the next catch_up continues
            log.debug("catch_up stopped after %d rounds", _MAX_CATCH_UP_ROUNDS)
        for entry in changed:
            for subscriber in list(entry.subscribers):
                subscriber.entry_changed(entry)
        return changed

    def rerun_all(self) -> int:
        """Run every entry again (the app's code changed: ``livebase dev``) and tell the
        subscribers of those whose result changed; returns how many ran."""
        entries = list(self.entries.values())
        changed = {entry for entry in entries if self._run(entry)}
        for entry in changed:
            for subscriber in list(entry.subscribers):
                subscriber.entry_changed(entry)
        self.catch_up()  # why: entries that ran past ``ts`` are brought to one timestamp
        return len(entries)

    def fast_forward(self) -> bool:
        """Move to the feed's newest commit if it leaves every entry valid (no entry ran
        ahead, none failed, no commit since ``ts`` touched a read set); False when some entry
        must re-run, which ``catch_up`` does."""
        target = self.feed.ts
        if self._ahead:
            return False
        if target > self.ts:
            if self._unindexed or self._stale_entries(self.ts, target):
                return False
            self.ts = target
        return True

    def _stale_entries(self, since: int, until: int) -> set[QueryEntry]:
        if until <= since:
            return set()
        commits = self.feed.commits_between(since, until)
        if commits is None:
            return set(self.entries.values())
        stale: set[QueryEntry] = set(self._unindexed)
        for commit in commits:
            stale |= self._reads.touched_by(commit.writes)
        return stale
