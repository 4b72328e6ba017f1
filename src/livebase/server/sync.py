"""One WebSocket client of the sync protocol (``/api/sync``, ``/api/<version>/sync``).

The session keeps what the client holds (query-set version, identity version, timestamp) and
sends a Transition whenever its queries change or a mutation it ran needs its timestamp
reached. Mutations from one connection run one at a time in arrival order, exactly once per
(session id, request id), on the runtime's writer thread; actions run concurrently. Its live
queries change only on the live lane (live.py), so the event loop never runs a function.
Outgoing messages go through a bounded queue: a client that cannot keep up is disconnected
(it reconnects and resyncs) rather than holding up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from livebase.engine import values
from livebase.engine.errors import LivebaseError
from livebase.runtime import clock, logs
from livebase.runtime.app import canonical_path
from livebase.runtime.context import ClientInfo
from livebase.server import protocol
from livebase.server.auth import AuthFailed, refusal
from livebase.server.errors import ClientError, client_error
from livebase.server.live import QuerySpec
from livebase.server.protocol import ProtocolError, StateVersion
from livebase.server.subscriptions import QueryEntry

FAILED = "\x00failed"


def failed_entry(path: str, message: str, log_lines: list[str] | None = None) -> QueryEntry:
    """A query that could not be subscribed (unknown function, bad arguments) or ran out of
    time: it only fails."""
    return QueryEntry(
        (FAILED, path, message),
        path,
        {},
        None,
        None,
        version=1,
        error=ClientError(message),
        log_lines=log_lines or [],
    )


@dataclass
class _Mutation:
    """A Mutation message, with who sent it as of its arrival."""

    request_id: int
    path: Any
    raw_args: Any
    identity: dict[str, Any] | None
    admin: bool
    session_id: str | None


if TYPE_CHECKING:
    from livebase.server.app import Server

log = logging.getLogger("livebase.sync")

SEND_QUEUE_LIMIT = 1024
MAX_PENDING_ACTIONS = 1000
MAX_PENDING_MUTATIONS = 1000


class SyncSession:
    """The server side of one sync connection."""

    def __init__(self, server: Server, websocket: WebSocket) -> None:
        self.server = server
        self.ws = websocket
        peer = websocket.client
        self.client = ClientInfo(peer.host if peer else None, websocket.headers.get("user-agent"))
        self.session_id: str | None = None
        self.query_set = 0
        self.identity_version = 0
        self.sent_ts = 0
        self.identity: dict[str, Any] | None = None
        self.admin = False
        self.queries: dict[int, QueryEntry] = {}
        self.sent_versions: dict[int, int] = {}
        self.removed: list[int] = []
        self.dirty = False
        self.need_ts = 0
        self.force_transition = False
        self.clock_skew: int | None = None
        self.query_set_sent = 0
        self.identity_sent = 0
        self.closed = False
        self.last_sent = time.monotonic()
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(SEND_QUEUE_LIMIT)
        self._actions: set[asyncio.Task[None]] = set()
        self._mutations: asyncio.Queue[_Mutation] = asyncio.Queue()
        self._mutation_runner: asyncio.Task[None] | None = None

    # --- connection lifecycle ----------------------------------------------------------
    async def run(self) -> None:
        """Serve the connection until it closes."""
        await self.ws.accept()
        self.server.sessions.add(self)
        sender = asyncio.create_task(self._send_loop())
        try:
            while not self.closed:
                try:
                    text = await self.ws.receive_text()
                except WebSocketDisconnect:
                    break
                except (KeyError, RuntimeError):
                    # a binary frame (no "text" key) or a socket closed under us
                    await self._fatal("Binary frames are not part of the sync protocol")
                    break
                try:
                    await self._handle(text)
                except ProtocolError as exc:
                    await self._fatal(str(exc))
                    break
        finally:
            self.closed = True
            self.server.sessions.discard(self)
            self.server.pending.discard(self)
            if self._mutation_runner is not None:
                self._mutation_runner.cancel()
            for task in self._actions:
                task.cancel()
            try:
                await self.server.in_live_lane(self._release_all)
            except Exception:  # why: a stopping server's lane is gone, and its entries with it
                log.debug("session %s: subscriptions not released", self.session_id)
            with contextlib.suppress(asyncio.QueueFull):
                self._outbox.put_nowait(None)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    async def _send_loop(self) -> None:
        while True:
            message = await self._outbox.get()
            if message is None:
                return
            try:
                await self.ws.send_text(message)
            except Exception:
                self.closed = True
                return
            self.last_sent = time.monotonic()

    def send(self, message: str) -> None:
        """Queue a message; a client too slow to drain its queue is disconnected."""
        if self.closed:
            return
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("closing session %s: %d messages unsent", self.session_id, SEND_QUEUE_LIMIT)
            self.closed = True
            task = asyncio.get_running_loop().create_task(self.ws.close(code=1013))
            self._actions.add(task)

    async def _fatal(self, error: str) -> None:
        log.info("session %s: fatal protocol error: %s", self.session_id, error)
        with contextlib.suppress(Exception):
            await self.ws.send_text(protocol.fatal_error(error))
            await self.ws.close(code=1008)
        self.closed = True

    def _release_all(self) -> None:
        for entry in self.queries.values():
            self.server.subscriptions.release(entry, self, still_used=False)
        self.queries.clear()

    # --- incoming messages -------------------------------------------------------------
    async def _handle(self, text: str) -> None:
        message = protocol.parse_message(text)
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise ProtocolError("Malformed message: expected an object with a 'type'")
        kind = message["type"]
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise ProtocolError(f"Unknown message type {kind!r}")
        await handler(self, message)

    async def _on_connect(self, message: dict[str, Any]) -> None:
        session_id = message.get("sessionId")
        if not isinstance(session_id, str) or not session_id:
            raise ProtocolError("Connect.sessionId must be a string")
        self.session_id = session_id
        observed = message.get("maxObservedTimestamp")
        if observed is not None:
            seen = protocol.decode_ts(observed)
            db = self.server.runtime.db
            if seen > db.latest_ts:
                # why: a client moved from another process may have seen its newer commits
                await asyncio.to_thread(db.catch_up)
            if seen > db.latest_ts:
                raise ProtocolError(
                    "Client has observed a timestamp ahead of the backend; was the data reset?"
                )
        client_ts = message.get("clientTs")
        if isinstance(client_ts, int | float) and not isinstance(client_ts, bool) and client_ts > 0:
            self.clock_skew = int(client_ts - clock.real_time() * 1000)

    async def _on_modify_query_set(self, message: dict[str, Any]) -> None:
        base = protocol.u32(message, "baseVersion")
        new = protocol.u32(message, "newVersion")
        if base != self.query_set:
            raise ProtocolError(f"BaseVersionMismatch: expected {self.query_set}, got {base}")
        if new <= base:
            raise ProtocolError("ModifyQuerySet.newVersion must be greater than baseVersion")
        modifications = message.get("modifications")
        if not isinstance(modifications, list):
            raise ProtocolError("ModifyQuerySet.modifications must be a list")
        changes: list[tuple[int, QuerySpec | QueryEntry | None]] = []  # None: remove
        for mod in modifications:
            if not isinstance(mod, dict):
                raise ProtocolError("A query-set modification must be an object")
            query_id = protocol.u32(mod, "queryId")
            if mod.get("type") == "Add":
                changes.append((query_id, self._query_spec(mod)))
            elif mod.get("type") == "Remove":
                changes.append((query_id, None))
            else:
                raise ProtocolError(f"Unknown query-set modification {mod.get('type')!r}")
        specs = [spec for _, spec in changes if isinstance(spec, tuple)]
        prepared = await self.server.live.prepare(specs, self.identity)
        await self.server.in_live_lane(lambda: self._apply_changes(changes, new), prepared)
        self.server.mark(self)

    def _query_spec(self, mod: dict[str, Any]) -> QuerySpec | QueryEntry:
        """What an Add subscribes to, or the failed entry of a bad path or bad arguments."""
        path = mod.get("udfPath")
        journal = mod.get("journal")
        if journal is not None and not isinstance(journal, str):
            raise ProtocolError("Add.journal must be a string or null")
        try:
            path = self._public_query(path)
            args = protocol.udf_args(mod)
            if not isinstance(args, dict):
                raise LivebaseError("Query arguments must be an object")
        except LivebaseError as exc:
            # why: a bad path or bad args fail this query only; the connection stays up.
            return failed_entry(str(path), exc.message)
        return (path, args, journal)

    def _apply_changes(
        self, changes: list[tuple[int, QuerySpec | QueryEntry | None]], new_version: int
    ) -> None:
        """On the live lane: subscribe and unsubscribe, then stand at ``new_version``."""
        manager = self.server.subscriptions
        manager.catch_up()
        for query_id, change in changes:
            if change is None:
                entry = self.queries.pop(query_id, None)
                if entry is None:
                    raise ProtocolError(f"Remove of unknown query {query_id}")
                self.sent_versions.pop(query_id, None)
                manager.release(entry, self, still_used=entry in self.queries.values())
                self.removed.append(query_id)
                continue
            if query_id in self.queries:
                raise ProtocolError(f"Query {query_id} is already in the query set")
            if isinstance(change, tuple):
                path, args, journal = change
                change = manager.acquire(path, args, self.identity, journal, self)
            self.queries[query_id] = change
            self.dirty = True
        self.query_set = new_version
        self.force_transition = True

    def _public_query(self, path: Any) -> str:
        fn = self.server.runtime.function(path, "query", internal_ok=self.admin)
        return fn.path or canonical_path(path)

    async def _on_mutation(self, message: dict[str, Any]) -> None:
        request_id = protocol.u32(message, "requestId")
        raw_args = protocol.raw_udf_args(message)
        if self._mutations.qsize() >= MAX_PENDING_MUTATIONS:
            raise ProtocolError("TooManyConcurrentMutations: more than 1000 mutations queued")
        mutation = _Mutation(
            request_id,
            message.get("udfPath"),
            raw_args,
            self.identity,
            self.admin,
            self.session_id,
        )
        self._mutations.put_nowait(mutation)
        if self._mutation_runner is None:
            self._mutation_runner = asyncio.get_running_loop().create_task(self._run_mutations())

    async def _run_mutations(self) -> None:
        """Run this connection's mutations one at a time, in the order they arrived."""
        while True:
            mutation = await self._mutations.get()
            await self._run_mutation(mutation)

    async def _run_mutation(self, mutation: _Mutation) -> None:
        request_id, path = mutation.request_id, mutation.path
        try:
            args = values.from_convex_json(mutation.raw_args)
            request = (mutation.session_id, request_id) if mutation.session_id else None
            result = await self.server.runtime.run_mutation_async(
                path, args, identity=mutation.identity, internal_ok=mutation.admin, request=request
            )
        except Exception as exc:
            error = client_error(exc, str(path), self.server.runtime)
            self.send(
                protocol.mutation_failed(
                    request_id, error.message, error.data_json(), logs.lines_of(exc)
                )
            )
            # why: the Rust client settles a failed mutation only on the next Transition.
            self.force_transition = True
        else:
            value = protocol.dumps(values.to_convex_json(result.value))
            self.send(protocol.mutation_succeeded(request_id, value, result.ts, result.log_lines))
            self.need_ts = max(self.need_ts, result.ts)
            if result.ts <= self.sent_ts:
                # why: a Transition already passed this commit before its response went out;
                # the clients settle a mutation only on a Transition after its response.
                self.force_transition = True
        self.server.mark(self)

    async def _on_action(self, message: dict[str, Any]) -> None:
        request_id = protocol.u32(message, "requestId")
        if len(self._actions) >= MAX_PENDING_ACTIONS:
            raise ProtocolError("TooManyConcurrentRequests: more than 1000 actions in flight")
        raw_args = protocol.raw_udf_args(message)
        task = asyncio.get_running_loop().create_task(
            self._run_action(request_id, message, raw_args)
        )
        self._actions.add(task)
        task.add_done_callback(self._actions.discard)

    async def _run_action(self, request_id: int, message: dict[str, Any], raw_args: Any) -> None:
        path = message.get("udfPath")
        lines = logs.LogLines(str(path))
        try:
            args = values.from_convex_json(raw_args)
            with logs.capture_into(lines):
                value = await self.server.runtime.run_action(
                    path, args, identity=self.identity, internal_ok=self.admin, client=self.client
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = client_error(exc, str(path), self.server.runtime)
            self.send(
                protocol.action_failed(request_id, error.message, error.data_json(), lines.finish())
            )
            return
        result = protocol.dumps(values.to_convex_json(value))
        self.send(protocol.action_succeeded(request_id, result, lines.finish()))

    async def _on_authenticate(self, message: dict[str, Any]) -> None:
        base = protocol.u32(message, "baseVersion")
        if base != self.identity_version:
            raise ProtocolError(
                f"IdentityVersionMismatch: expected {self.identity_version}, got {base}"
            )
        try:
            client = self.ws.client.host if self.ws.client else None
            identity, admin = await run_in_threadpool(
                self.server.auth.from_message, message, client
            )
        except AuthFailed as exc:
            _, error, _ = refusal(exc, self.server.runtime.dev)  # Convex's text, not its code
            with contextlib.suppress(Exception):
                await self.ws.send_text(protocol.auth_error(error, base))
                await self.ws.close(code=1000)
            self.closed = True
            return
        held = list(self.queries.values())
        specs = [
            (e.path, e.args, e.journal)
            for e in held
            if e.key[0] != FAILED and self._refusal(e.path, admin) is None
        ]
        prepared = await self.server.live.prepare(specs, identity)

        def switch() -> None:
            # why: on the lane, so that no Transition shows the new identity version with
            # results of the old identity
            self.identity, self.admin, self.identity_version = identity, admin, base + 1
            self._resubscribe_all()
            self.force_transition = True

        await self.server.in_live_lane(switch, prepared)
        self.server.mark(self)

    def _refusal(self, path: str, admin: bool) -> LivebaseError | None:
        """Why a session (an admin or not) may not run the query at ``path``, or None."""
        try:
            self.server.runtime.function(path, "query", internal_ok=admin)
        except LivebaseError as exc:
            return exc
        return None

    def _resubscribe_all(self) -> None:
        """On the live lane: the identity changed, so every query runs again as the new one."""
        manager = self.server.subscriptions
        manager.catch_up()
        old = self.queries
        self.queries = {}
        for query_id, entry in old.items():
            if entry.key[0] == FAILED:
                self.queries[query_id] = entry
                continue
            # why: internal and _system/ queries stay only while the session is an admin
            refused = self._refusal(entry.path, self.admin)
            if refused is not None:
                self.queries[query_id] = failed_entry(entry.path, refused.message)
            else:
                self.queries[query_id] = manager.acquire(
                    entry.path, entry.args, self.identity, entry.journal, self
                )
            manager.release(entry, self, still_used=entry in self.queries.values())
        self.sent_versions.clear()
        self.dirty = True

    async def _on_event(self, message: dict[str, Any]) -> None:
        """Client telemetry events: accepted and ignored."""

    # --- outgoing transitions ----------------------------------------------------------
    def entry_changed(self, entry: QueryEntry) -> None:
        """On the live lane: a query's result changed (the server flushes after the lane)."""
        self.dirty = True
        self.server.pending.add(self)

    def quarantine(self, entry: QueryEntry) -> None:
        """On the live lane: a query of this session ran out of time. It fails from now on,
        rather than run again on every commit; subscribing again retries it."""
        manager = self.server.subscriptions
        assert entry.error is not None
        for query_id, held in list(self.queries.items()):
            if held is entry:
                self.queries[query_id] = failed_entry(
                    entry.path, entry.error.message, entry.log_lines
                )
                self.sent_versions.pop(query_id, None)
                manager.release(entry, self, still_used=entry in self.queries.values())
        self.dirty = True
        self.server.pending.add(self)

    def flush(self, ts: int) -> None:
        """Send a Transition to ``ts`` if the client has anything to learn.

        A query that ran at a later snapshot than ``ts`` (commits kept landing while the
        update cycle caught up) would tear the Transition, so the session waits for the next
        cycle instead."""
        if self.closed or self.session_id is None:
            return
        if self.dirty and any(entry.ts > ts for entry in self.queries.values()):
            self.server.pending.add(self)
            self.server.schedule_flush()
            return
        modifications: list[str] = [protocol.query_removed(q) for q in self.removed]
        self.removed.clear()
        if self.dirty:
            for query_id, entry in self.queries.items():
                if self.sent_versions.get(query_id) == entry.version:
                    continue
                self.sent_versions[query_id] = entry.version
                if entry.error is not None:
                    modifications.append(
                        protocol.query_failed(
                            query_id,
                            entry.error.message,
                            entry.error.data_json(),
                            entry.journal,
                            entry.log_lines,
                        )
                    )
                else:
                    assert entry.value_json is not None
                    modifications.append(
                        protocol.query_updated(
                            query_id, entry.value_json, entry.journal, entry.log_lines
                        )
                    )
            self.dirty = False
        if not (modifications or self.force_transition or self.need_ts > self.sent_ts):
            return
        start = StateVersion(self.query_set_sent, self.identity_sent, self.sent_ts)
        end = StateVersion(self.query_set, self.identity_version, max(ts, self.sent_ts))
        self.send(
            protocol.transition(start, end, modifications, clock.real_time_ns(), self.clock_skew)
        )
        self.query_set_sent, self.identity_sent, self.sent_ts = end.query_set, end.identity, end.ts
        self.force_transition = False


_HANDLERS = {
    "Connect": SyncSession._on_connect,
    "ModifyQuerySet": SyncSession._on_modify_query_set,
    "Mutation": SyncSession._on_mutation,
    "Action": SyncSession._on_action,
    "Authenticate": SyncSession._on_authenticate,
    "Event": SyncSession._on_event,
}
