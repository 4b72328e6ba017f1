"""The ASGI application: sync WebSocket, HTTP API, and the loop that keeps queries live.

The event loop only moves bytes. Functions run on the runtime's worker threads, live queries
are kept current on the live lane (live.py), and the update cycle here takes the lane's
results to the sessions: one Transition per session, every query at one timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope
from starlette.websockets import WebSocket

from livebase.engine.errors import LivebaseError
from livebase.engine.readset import WriteSet
from livebase.server.auth import ServerAuth
from livebase.server.auth_routes import AuthRoutes
from livebase.server.http_actions import HttpActions
from livebase.server.http_api import HttpApi
from livebase.server.live import LiveLane, Prepared
from livebase.server.protocol import PING
from livebase.server.storage_routes import StorageRoutes
from livebase.server.sync import SyncSession
from livebase.services.auth.password import PasswordProvider
from livebase.services.runtime import Runtime
from livebase.services.scheduler import SchedulerWorker

log = logging.getLogger("livebase.server")
FLUSH_SLICE = 64
SWITCH_INTERVAL = 0.0002  # seconds: how long a thread may keep the GIL when another waits
COLLECT_INTERVAL = 60.0  # seconds between passes over blobs whose removal had to wait
T = TypeVar("T")


class Server:
    """A runtime served to clients: its sessions, live queries and auth."""

    def __init__(
        self, runtime: Runtime, auth: ServerAuth | None = None, heartbeat: float = 15.0
    ) -> None:
        self.runtime = runtime
        self.heartbeat = heartbeat
        providers = list(runtime.app.auth_providers)
        for provider in providers:
            provider.bind(runtime)
        self.password = next((p for p in providers if isinstance(p, PasswordProvider)), None)
        self.auth = auth or ServerAuth(providers, runtime.deployment.admin_key)
        self.scheduler = SchedulerWorker(runtime)
        self._scheduler_task: asyncio.Task[None] | None = None
        self.live = LiveLane(runtime)
        self.subscriptions = self.live.manager
        self.sessions: set[SyncSession] = set()
        self.pending: set[SyncSession] = set()  # sessions with something to send
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_pending = False
        self._commit_wake_pending = False  # a wake-up for commits is on its way to the loop
        self._flush_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._collect_task: asyncio.Task[None] | None = None
        self.connections_accepted = 0
        if runtime.health is not None:  # what _system/health:get adds from the server
            runtime.health.server_stats = self.stats

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        # why: a function running long on a worker thread keeps the GIL for up to the switch
        # interval (5 ms by default) whenever the loop, the writer or the live lane want it,
        # and they want it a score of times per live update (every SQLite call hands it back):
        # with 5 ms, one long query slows everyone's updates tens of times; with 0.2 ms, about
        # twice. But 0.2 ms makes every hand-off between short jobs costlier, so the runtime's
        # watchdog shortens it only while a function runs long (the interval is as it was
        # before whenever none does, so nothing is left to restore when the server stops).
        self.runtime.adapt_switch_interval(sys.getswitchinterval(), SWITCH_INTERVAL)
        self._loop = loop
        self.runtime.db.add_commit_listener(self._on_commit)

        def wake() -> None:
            loop.call_soon_threadsafe(self.scheduler.wake)

        self.runtime.scheduler_wakeup = wake
        self.runtime.storage.sweep()
        self._scheduler_task = loop.create_task(self.scheduler.run_forever())
        self._heartbeat_task = loop.create_task(self._heartbeats())
        if self.runtime.storage.grace:
            self._collect_task = loop.create_task(self._collect_blobs())

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.runtime.db.remove_commit_listener(self._on_commit)
        await self.scheduler.stop()
        tasks = (self._scheduler_task, self._heartbeat_task, self._flush_task, self._collect_task)
        for task in tasks:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.live.stop()

    def _on_commit(self, ts: int, writes: WriteSet) -> None:
        # why: commits can come from any thread (an embedding app, a test); the update
        # cycle always runs on the server's loop.
        # One wake-up stands for every commit published before it runs: the update cycle
        # reads the feed's newest timestamp when it starts.
        loop = self._loop
        if loop is None or loop.is_closed() or self._commit_wake_pending:
            return
        self._commit_wake_pending = True
        try:
            loop.call_soon_threadsafe(self._commits_arrived)
        except RuntimeError:  # the loop closed meanwhile
            self._commit_wake_pending = False

    def _commits_arrived(self) -> None:
        self._commit_wake_pending = False
        self.schedule_flush()

    async def in_live_lane(self, work: Callable[[], T], prepared: Prepared | None = None) -> T:
        """``work()`` on the live lane, with the live queries to itself; sessions it changed
        are flushed after."""
        async with self.live.lock:
            result = await self.live.run(work, prepared)
        if self.pending:
            self.schedule_flush()
        return result

    async def rerun_live_queries(self) -> int:
        """Run every live query again (new code: ``livebase dev``); returns how many ran."""
        return await self.in_live_lane(self.subscriptions.rerun_all)

    def mark(self, session: SyncSession) -> None:
        """A session has something to send: include it in the next update cycle."""
        self.pending.add(session)
        self.schedule_flush()

    def schedule_flush(self) -> None:
        """Run one update cycle soon; many requests for it coalesce into one."""
        self._flush_pending = True
        if self._loop is None or (self._flush_task is not None and not self._flush_task.done()):
            return
        self._flush_task = self._loop.create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while self._flush_pending:
            self._flush_pending = False
            try:
                # why: the lock keeps the lane from changing entries while Transitions are
                # built, so each carries all of a session's queries at subscriptions.ts
                async with self.live.lock:
                    # why: when no live query read what changed (most commits, with few
                    # subscriptions), moving on needs no lane hop: the lane is idle under the
                    # lock, and the check is the same O(log S) lookup catch_up does
                    if not self.subscriptions.fast_forward():
                        await self.live.run(self.subscriptions.catch_up)
                    sessions = list(self.pending)
                    self.pending.clear()
                    for i, session in enumerate(sessions):
                        session.flush(self.subscriptions.ts)
                        if i % FLUSH_SLICE == FLUSH_SLICE - 1:
                            await asyncio.sleep(0)  # let senders start while the rest is built
            except Exception:
                log.exception("update cycle failed")

    async def _heartbeats(self) -> None:
        """Ping every connection that has been silent for ``heartbeat`` seconds."""
        while True:
            await asyncio.sleep(min(self.heartbeat / 2, 5.0))
            now = time.monotonic()
            for session in list(self.sessions):
                if now - session.last_sent >= self.heartbeat:
                    session.send(PING)

    async def _collect_blobs(self) -> None:
        """Now and then, remove the blobs of deleted files that were too new to remove when
        their files went (a deployment many processes serve: services/storage.py)."""
        while True:
            await asyncio.sleep(COLLECT_INTERVAL)
            try:
                await asyncio.to_thread(self.runtime.storage.collect_due)
            except Exception:
                log.exception("removing the blobs of deleted files failed")

    def stats(self) -> dict[str, int]:
        """Connections and live queries now, and connections accepted since start."""
        return {
            "connections": len(self.sessions),
            "connectionsAccepted": self.connections_accepted,
            "liveQueries": len(self.subscriptions.entries),
            "liveQueryRuns": self.subscriptions.reruns,
        }

    async def sync_endpoint(self, websocket: WebSocket) -> None:
        self.connections_accepted += 1
        await SyncSession(self, websocket).run()


_ASSET_TYPES = (".js", ".css", ".map", ".png", ".svg", ".ico", ".jpg", ".woff", ".woff2", ".json")


class SinglePageApp(StaticFiles):
    """Static files, with index.html for any path that is not a file (client-side routes)."""

    def __init__(self, directory: str | Path) -> None:
        if not (Path(directory) / "index.html").is_file():
            raise LivebaseError(f"No index.html in the web app directory {directory}")
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            last = path.rsplit("/", 1)[-1]
            # why: a missing file (its last segment has an extension) is a real 404; a route
            # like /sessions/pc1.morning has dots only in a parameter, and /sessions/ has none
            is_asset = ("." in last and path.startswith("assets/")) or last.endswith(_ASSET_TYPES)
            if exc.status_code != 404 or path.startswith(("api/", "http/")) or is_asset:
                raise
            return await super().get_response("index.html", scope)


DASHBOARD = Path(__file__).parent / "dashboard"  # built from web/dashboard (make web)


def _dashboard() -> ASGIApp:
    """The dashboard at /_dashboard: a convex/react client of the system functions
    (services/system.py) that asks for the admin key; a note when it was not built."""
    if (DASHBOARD / "index.html").is_file():
        return SinglePageApp(DASHBOARD)
    return PlainTextResponse(
        "The dashboard is not built: run `make web` (it builds web/dashboard).", status_code=404
    )


def create_http_actions_app(server: Server) -> HttpActions:
    """The app for a separate HTTP-actions port (Convex's 3211): routes at the root."""
    return HttpActions(server)


def create_app(
    runtime: Runtime,
    auth: ServerAuth | None = None,
    *,
    heartbeat: float = 15.0,
    static_dir: str | Path | None = None,
) -> Starlette:
    """The ASGI app serving ``runtime``'s functions to Convex clients.

    ``heartbeat``: seconds of silence after which a connection gets a ``Ping``.
    ``static_dir``: a built web app (index.html and assets) served at ``/``; paths that name
    no file get index.html, so a single-page app's own routes load on refresh.
    """
    server = Server(runtime, auth, heartbeat)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        server.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            await server.stop()

    routes: list[BaseRoute] = [
        WebSocketRoute("/api/sync", server.sync_endpoint),
        WebSocketRoute("/api/{client_version}/sync", server.sync_endpoint),
        *HttpApi(server).routes(),
        *StorageRoutes(server).routes(),
        Mount("/http", app=HttpActions(server, prefix="/http")),
    ]
    if server.password is not None:
        routes.extend(AuthRoutes(server.password).routes())
    # why: without the slash the path would fall through to an app's own web app at /
    routes.append(Route("/_dashboard", lambda request: RedirectResponse("/_dashboard/")))
    routes.append(Mount("/_dashboard", app=_dashboard()))
    if static_dir is not None:
        routes.append(Mount("/", app=SinglePageApp(static_dir)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.server = server
    return app
