"""``livebase dev``: a saved change to the app is loaded while clients stay connected.

The app's folder is watched (watchfiles). When a Python file in it changes, its modules are
imported afresh; the new schema is checked against the stored documents and applied (new
indexes backfilled); cron jobs are taken from the new ``crons.py``; every live query runs
again with the new code, and clients whose results changed get them. HTTP routes are read
from the app at each request, so they change with it. If anything fails (a syntax error, a
failing import, a schema the stored data does not match, a cron naming a missing function)
the error is printed and the previous version keeps serving. Auth providers (``auth.py``)
are read at start: a change there needs a restart.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livebase.engine.errors import LivebaseError, SchemaError
from livebase.runtime.app import App, reload_app
from livebase.services.crons import CronRunner

if TYPE_CHECKING:
    from livebase.server.app import Server

log = logging.getLogger("livebase.dev")


class Reloader:
    """Loads an app's new code into a running server."""

    def __init__(
        self,
        server: Server,
        on_loaded: Callable[[App], None] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.server = server
        self.on_loaded = on_loaded or (lambda app: None)
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))

    async def watch(self) -> None:
        """Reload on every change to a Python file of the app, until cancelled."""
        import watchfiles

        folder = self.server.runtime.app_folder()
        async for changes in watchfiles.awatch(
            folder, watch_filter=watchfiles.PythonFilter(), step=50, debounce=400
        ):
            names = sorted({Path(path).name for _, path in changes})
            await self.reload(names)

    async def reload(self, changed: list[str] | None = None) -> bool:
        """Load the app's files as they are now; whether the new version now serves."""
        runtime = self.server.runtime
        started = time.perf_counter()
        what = ", ".join(changed or []) or "the app"
        try:
            app = reload_app(runtime.app)
            _check_crons(app)
            if app.schema is not None:
                await asyncio.to_thread(runtime.db.change_schema, app.schema)
        except Exception as exc:  # why: any failure keeps the running version
            self.say(_failure(what, exc, runtime.app_folder()))
            return False
        runtime.app = app
        self._swap_crons()
        rerun = await self.server.rerun_live_queries()
        try:
            self.on_loaded(app)
        except Exception as exc:  # why: codegen failing must not stop the server
            self.say(f"livebase: {what} loaded, but client code was not written: {exc}")
        took = (time.perf_counter() - started) * 1000
        self.say(
            f"livebase: reloaded {what} in {took:.0f} ms: {len(app.functions)} functions, "
            f"{rerun} live queries re-run"
        )
        return True

    def _swap_crons(self) -> None:
        # why: cron actions still running from the old version finish as they are
        worker = self.server.scheduler
        worker.crons = CronRunner(self.server.runtime)
        worker.wake()  # its next wake-up was computed from the old jobs


def _check_crons(app: App) -> None:
    """Every cron job of the new version names a function it has."""
    if app.crons is None:
        return
    for job in app.crons.jobs.values():
        if isinstance(job.function, str):
            try:
                app.resolve(job.function)
            except LivebaseError as exc:
                raise SchemaError(f"Cron job {job.name!r}: {exc.message}") from None


def _failure(what: str, exc: BaseException, folder: Path) -> str:
    """What went wrong, in the app's own files: the message and the lines of the app's code
    the error passed through (livebase's own frames left out)."""
    head = f"livebase: {what} not loaded, the previous version keeps serving:"
    if isinstance(exc, SyntaxError):
        where = f"  File {_short(exc.filename, folder)}, line {exc.lineno}"
        return f"{head}\n{where}\n    {(exc.text or '').strip()}\n  SyntaxError: {exc.msg}"
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(folder)
    ]
    lines = [
        f"  File {_short(frame.filename, folder)}, line {frame.lineno}, in {frame.name}\n"
        f"    {(frame.line or '').strip()}"
        for frame in frames
    ]
    message = getattr(exc, "message", None) or str(exc)
    return "\n".join([head, *lines, f"  {type(exc).__name__}: {message}"])


def _short(filename: Any, folder: Path) -> str:
    path = Path(str(filename)).resolve()
    return str(path.relative_to(folder.parent)) if path.is_relative_to(folder.parent) else str(path)
