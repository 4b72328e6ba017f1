"""The ASGI application: sync WebSocket, HTTP API, and the loop that keeps queries live."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, WebSocketRoute
from starlette.websockets import WebSocket

from livebase.auth.password import PasswordProvider
from livebase.readset import WriteSet
from livebase.runtime import Runtime
from livebase.scheduler import SchedulerWorker
from livebase.server.auth import ServerAuth
from livebase.server.auth_routes import AuthRoutes
from livebase.server.http_actions import HttpActions
from livebase.server.http_api import HttpApi
from livebase.server.storage_routes import StorageRoutes
from livebase.server.subscriptions import SubscriptionManager
from livebase.server.sync import SyncSession

log = logging.getLogger("livebase.server")


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
        self.subscriptions = SubscriptionManager(runtime)
        self.sessions: set[SyncSession] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_pending = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.runtime.db.add_commit_listener(self._on_commit)

        def wake() -> None:
            loop.call_soon_threadsafe(self.scheduler.wake)

        self.runtime.scheduler_wakeup = wake
        self.runtime.storage.sweep()
        self._scheduler_task = loop.create_task(self.scheduler.run_forever())

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.runtime.db.remove_commit_listener(self._on_commit)
        await self.scheduler.stop()
        if self._scheduler_task is not None:
            self._scheduler_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler_task

    def _on_commit(self, ts: int, writes: WriteSet) -> None:
        # why: commits can come from any thread (an embedding app, a test); the update
        # cycle always runs on the server's loop.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.schedule_flush)

    def schedule_flush(self) -> None:
        """Run one update cycle soon; many requests for it coalesce into one."""
        if self._flush_pending or self._loop is None:
            return
        self._flush_pending = True
        self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        try:
            self.subscriptions.catch_up()
            ts = self.subscriptions.ts
            for session in list(self.sessions):
                session.flush(ts)
        except Exception:
            log.exception("update cycle failed")

    async def sync_endpoint(self, websocket: WebSocket) -> None:
        await SyncSession(self, websocket).run()


def create_http_actions_app(server: Server) -> HttpActions:
    """The app for a separate HTTP-actions port (Convex's 3211): routes at the root."""
    return HttpActions(server)


def create_app(
    runtime: Runtime, auth: ServerAuth | None = None, *, heartbeat: float = 15.0
) -> Starlette:
    """The ASGI app serving ``runtime``'s functions to Convex clients.

    ``heartbeat``: seconds of silence after which a connection gets a ``Ping``.
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
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.server = server
    return app
