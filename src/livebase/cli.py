"""The ``livebase`` command.

    livebase run APP PATH '{"json": "args"}' [--data-dir DIR] [--identity '{"subject": ...}']
    livebase run APP PATH ARGS --url URL     (against a running server, with its admin key)
    livebase dev APP [--port 3210] [--data-dir DIR]
    livebase serve APP [--host 127.0.0.1] [--port 3210] [--http-port 3211] [--data-dir DIR]
                       [--db postgresql://user@host/db | sqlite:///path]
                       [--query-timeout 1] [--mutation-timeout 1] [--action-timeout 600]
                       [--no-query-process]
    livebase admin-key [--data-dir DIR] [--db URL]
    livebase env set|get|list|remove [NAME] [VALUE] [--url URL] [--data-dir DIR] [--db URL]
    livebase logs [--url URL] [--path PREFIX] [--errors] [--history N] [--no-follow]
    livebase codegen APP --out DIR            (typed client code: api.js, api.d.ts, dataModel.d.ts)
    livebase export APP --path backup.zip [--data-dir DIR] [--db URL]
    livebase import APP backup.zip [--replace] [--data-dir DIR] [--db URL]

APP is an app package's directory or its dotted import name; the data directory defaults to
``.livebase/`` in the current directory. The result is printed as JSON; on failure the error
goes to stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from livebase.engine import values
from livebase.engine.errors import ConvexError, LivebaseError
from livebase.runtime.execution import Limits
from livebase.services.runtime import Runtime

log = logging.getLogger("livebase.cli")

SHUTDOWN_GRACE = 3  # seconds open requests get to finish after SIGTERM / Ctrl+C
FORCED_EXIT_AFTER = 8.0  # seconds after the signal when the process exits whatever runs


def _json_arg(text: str, what: str) -> Any:
    try:
        return values.from_convex_json(json.loads(text))
    except (json.JSONDecodeError, LivebaseError) as exc:
        raise SystemExit(f"livebase: {what} is not valid JSON: {exc}") from None


def _db_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--db", default=os.environ.get("LIVEBASE_DB_URL") or None, help=text)


def _storage_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--storage",
        default=os.environ.get("LIVEBASE_STORAGE_URL") or None,
        help="where file bytes go: s3://bucket/prefix?endpoint=URL, a directory, or db "
        "(default: $LIVEBASE_STORAGE_URL, else the database for PostgreSQL, else the data "
        "directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livebase", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a function and print its result as JSON")
    run.add_argument("app", help="the app's directory or dotted module name")
    run.add_argument("path", help="the function, e.g. messages:list")
    run.add_argument("args", nargs="?", default="{}", help="arguments as a JSON object")
    run.add_argument("--data-dir", default=".livebase", help="data directory (default .livebase)")
    _db_option(
        run, "database URL (as for serve; default: $LIVEBASE_DB_URL, else the data directory)"
    )
    run.add_argument("--identity", help="run as this user: JSON claims with a 'subject'")
    run.add_argument("--url", help="call a running server instead of opening the data directory")
    run.add_argument(
        "--admin-key", help="the server's admin key (default: read from the data directory)"
    )
    run.add_argument(
        "--format",
        choices=["json", "convex_encoded_json"],
        default="json",
        help="output format: clean JSON (default) or Convex's lossless encoding",
    )
    for name, text in (("dev", "serve an app for development"), ("serve", "serve an app")):
        serve = commands.add_parser(name, help=text)
        serve.add_argument("app", help="the app's directory or dotted module name")
        serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
        serve.add_argument("--port", type=int, default=3210, help="port (default 3210)")
        serve.add_argument("--data-dir", default=".livebase", help="data directory")
        _db_option(
            serve,
            "database URL: postgresql://user@host/db[?schema=name] or sqlite:///path "
            "(default: $LIVEBASE_DB_URL, else db.sqlite3 in the data directory)",
        )
        _storage_option(serve)
        serve.add_argument(
            "--synchronous", default="NORMAL", choices=["NORMAL", "FULL"], help="SQLite durability"
        )
        serve.add_argument("--log-level", default="info", help="uvicorn log level")
        serve.add_argument("--http-port", type=int, help="also serve HTTP actions on this port")
        serve.add_argument("--origin", help="public URL of this server (default http://HOST:PORT)")
        serve.add_argument(
            "--max-upload", type=int, default=100 * 1024 * 1024, help="largest upload in bytes"
        )
        serve.add_argument("--static", help="a built web app directory to serve at /")
        serve.add_argument(
            "--workers",
            type=int,
            default=1,
            help="server processes sharing the port (default 1); over SQLite they share the "
            "file, over PostgreSQL the database",
        )
        serve.add_argument(
            "--no-query-process",
            dest="query_process",
            action="store_false",
            help="run long queries on this process's threads too, instead of moving them to a "
            "process of their own (where they cannot slow down other clients)",
        )
        if name == "dev":
            serve.add_argument(
                "--codegen",
                metavar="DIR",
                help="also write typed client code there, again at every reload",
            )
        # set by the parent of --workers N on each worker: the listening sockets it inherits
        serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
        serve.add_argument("--http-listen-fd", type=int, help=argparse.SUPPRESS)
        defaults = Limits()
        for kind in ("query", "mutation", "action"):
            serve.add_argument(
                f"--{kind}-timeout",
                type=float,
                default=getattr(defaults, kind),
                metavar="SECONDS",
                help=f"time limit of a {kind} (default {getattr(defaults, kind):g})",
            )
    key = commands.add_parser("admin-key", help="print this deployment's admin key")
    key.add_argument("--data-dir", default=".livebase", help="data directory")
    _db_option(key, "database URL of a deployment kept there (PostgreSQL: the key lives in it)")
    codegen = commands.add_parser(
        "codegen", help="write typed client code (_generated/api.js, api.d.ts, dataModel.d.ts)"
    )
    codegen.add_argument("app", help="the app's directory or dotted module name")
    codegen.add_argument(
        "--out", required=True, help="the folder to write, e.g. src/convex/_generated"
    )
    env = commands.add_parser(
        "env", help="environment variables of the deployment, read by functions as ctx.env"
    )
    env.add_argument("action", choices=["set", "get", "list", "remove"])
    env.add_argument("name", nargs="?", help="the variable's name")
    env.add_argument("value", nargs="?", help="its value (env set)")
    env.add_argument("--url", help="a running server, instead of the data directory")
    env.add_argument("--admin-key", help="the server's admin key (default: the data directory's)")
    env.add_argument("--data-dir", default=".livebase", help="data directory")
    _db_option(env, "database URL (default: $LIVEBASE_DB_URL, else the data directory)")
    logs = commands.add_parser("logs", help="stream the server's function runs, as they happen")
    logs.add_argument("--url", default="http://127.0.0.1:3210", help="the running server")
    logs.add_argument("--admin-key", help="the server's admin key (default: the data directory's)")
    logs.add_argument("--data-dir", default=".livebase", help="data directory")
    _db_option(logs, "database URL the admin key is kept in (PostgreSQL deployments)")
    logs.add_argument("--path", help="only runs of functions whose path starts with this")
    logs.add_argument("--errors", action="store_true", help="only runs that failed")
    logs.add_argument(
        "--history", type=int, default=20, metavar="N", help="first show the last N runs (20)"
    )
    logs.add_argument(
        "--no-follow", dest="follow", action="store_false", help="show the last runs and exit"
    )
    backup = commands.add_parser(
        "export", help="write the deployment (documents and files) to a ZIP, as npx convex export"
    )
    restore = commands.add_parser(
        "import", help="load a ZIP written by livebase export or npx convex export"
    )
    for sub in (backup, restore):
        sub.add_argument("app", help="the app's directory or dotted module name")
        sub.add_argument("--data-dir", default=".livebase", help="data directory")
        _db_option(sub, "database URL (default: $LIVEBASE_DB_URL, else the data directory)")
        _storage_option(sub)
    backup.add_argument("--path", required=True, help="the ZIP file to write")
    restore.add_argument("path", help="the ZIP file to read")
    restore.add_argument(
        "--replace", action="store_true", help="clear the deployment's tables and files first"
    )
    return parser


def _backup(opts: argparse.Namespace) -> int:
    from livebase.services.backup import export_zip, import_zip

    try:
        with (
            ProgressBars(),
            Runtime(
                opts.app, opts.data_dir, db=opts.db, shared=True, storage=opts.storage
            ) as runtime,
        ):
            if opts.command == "export":
                done = export_zip(runtime, opts.path)
                count = sum(done.tables.values())
                print(
                    f"exported {count} documents in {len(done.tables)} tables and {done.files} "
                    f"files ({done.file_bytes} bytes) at ts {done.ts} to {done.path}"
                )
                return 0
            loaded = import_zip(runtime, opts.path, replace=opts.replace)
    except LivebaseError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    count = sum(loaded.tables.values())
    print(f"imported {count} documents in {len(loaded.tables)} tables and {loaded.files} files")
    for name, (theirs, ours) in loaded.renumbered.items():
        print(f"  {name}: IDs re-encoded from table number {theirs} to {ours}")
    for note in loaded.skipped:
        print(f"  skipped: {note}")
    return 0


def _deployment(data_dir: str, db_url: str | None) -> Any:
    """The deployment's secrets: from the database a URL names, or the data directory."""
    from livebase.engine.database import Database
    from livebase.persistence import open_persistence
    from livebase.runtime.deployment import Deployment

    if db_url is None:
        return Deployment(data_dir)
    db = Database(open_persistence(db_url, shared=True))
    try:
        deployment = Deployment(data_dir, db)
        deployment.admin_key  # noqa: B018 - read while the database is open
        return deployment
    finally:
        db.close()


def _admin_key(opts: argparse.Namespace) -> int:
    try:
        print(_deployment(opts.data_dir, opts.db).admin_key)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0


class RemoteError(Exception):
    """A call to a running server failed: the message says why."""


def _call_remote(
    url: str, key: str, path: str, args: Any, identity: Any = None, timeout: float = 600
) -> Any:
    """Call a function on a running server with its admin key; its value, or RemoteError."""
    import base64

    import httpx

    header = f"Convex {key}"
    if identity is not None:
        acting = base64.b64encode(json.dumps(values.to_clean_json(identity)).encode()).decode()
        header += f":{acting}"
    try:
        reply = httpx.post(
            url.rstrip("/") + "/api/function",
            json={
                "path": path,
                "args": values.to_convex_json(args),
                "format": "convex_encoded_json",
            },
            headers={"Authorization": header},
            timeout=timeout,
        )
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RemoteError(f"cannot reach {url}: {exc}") from None
    if reply.status_code != 200 or body.get("status") != "success":
        error = RemoteError(str(body.get("errorMessage") or body.get("message")))
        error.data = body.get("errorData")  # type: ignore[attr-defined]
        raise error
    return values.from_convex_json(body["value"])


def _run_remote(opts: argparse.Namespace, args: Any, identity: Any) -> int:
    key = opts.admin_key or _deployment(opts.data_dir, opts.db).admin_key
    try:
        value = _call_remote(opts.url, key, opts.path, args, identity)
    except RemoteError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        if getattr(exc, "data", None) is not None:
            print(json.dumps({"errorData": exc.data}), file=sys.stderr)  # type: ignore[attr-defined]
        return 1
    encode = values.to_clean_json if opts.format == "json" else values.to_convex_json
    print(json.dumps(encode(value), indent=2, ensure_ascii=False))
    return 0


def _env(opts: argparse.Namespace) -> int:
    """``livebase env set|get|list|remove``: on a running server (``--url``) or the data
    directory / database directly."""
    from livebase.runtime import environment

    try:
        if opts.action in ("set", "get", "remove"):
            environment.check_name(opts.name)
        if opts.action == "set" and opts.value is None:
            raise LivebaseError("env set takes NAME VALUE")
        if opts.url:
            key = opts.admin_key or _deployment(opts.data_dir, opts.db).admin_key
            if opts.action == "set":
                _call_remote(
                    opts.url, key, "_system/env:set", {"name": opts.name, "value": opts.value}
                )
            elif opts.action == "remove":
                _call_remote(opts.url, key, "_system/env:remove", {"name": opts.name})
            stored = {
                item["name"]: item["value"]
                for item in _call_remote(opts.url, key, "_system/env:list", {})
            }
        else:
            stored = _env_local(opts)
    except (LivebaseError, RemoteError, ValueError) as exc:
        print(f"Error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    if opts.action == "list":
        for name, value in sorted(stored.items()):
            print(f"{name}={value}")
    elif opts.action == "get":
        if opts.name not in stored:
            print(f"Error: {opts.name} is not set", file=sys.stderr)
            return 1
        print(stored[opts.name])
    elif opts.action == "set":
        print(f"livebase: set {opts.name}")
    else:
        print(f"livebase: removed {opts.name}")
    return 0


def _logs(opts: argparse.Namespace) -> int:
    """``livebase logs``: each function run of a running server as a line, coloured, with the
    lines it printed beneath."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    try:
        key = opts.admin_key or _deployment(opts.data_dir, opts.db).admin_key
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    request: dict[str, Any] = {"limit": max(opts.history, 0), "wait": False}
    while True:
        try:
            page = _call_remote(opts.url, key, "_system/logs:tail", request, timeout=60)
        except RemoteError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
        for entry in page["entries"]:
            if opts.path and not entry["path"].startswith(opts.path):
                continue
            if opts.errors and entry["status"] == "success":
                continue
            _print_run(console, entry)
        sys.stdout.flush()  # why: piped into another program, each run shows as it happens
        if not opts.follow:
            return 0
        request = {"after": page["cursor"], "wait": True, "limit": 500}


_KIND_MARK = {"query": "Q", "mutation": "M", "action": "A"}


def _print_run(console: Any, entry: dict[str, Any]) -> None:
    from rich.markup import escape

    when = time.strftime("%H:%M:%S", time.localtime(entry["timestamp"] / 1000))
    ok = entry["status"] == "success"
    status = "[green]success[/]" if ok else "[bold red]failure[/]"
    mark = _KIND_MARK.get(entry["kind"], "?")
    console.print(
        f"[dim]{when}[/] [cyan]{mark}[/] {escape(entry['path'])} "
        f"[dim]{entry['durationMs']:.1f} ms[/] {status}"
        + ("" if ok else f" [red]{escape(str(entry['error']))}[/]")
    )
    for line in entry["logLines"]:
        style = "red" if line.startswith("[ERROR]") else "dim"
        console.print(f"    [{style}]{escape(line)}[/]")


def _env_local(opts: argparse.Namespace) -> dict[str, str]:
    """Change and read the variables in the deployment's own storage (a server using it sees
    the change as another process's commit)."""
    from pathlib import Path

    from livebase.engine.database import Database
    from livebase.persistence import open_persistence
    from livebase.persistence.sqlite import SqlitePersistence
    from livebase.runtime import environment
    from livebase.runtime.core import DATABASE_FILE

    if opts.db:
        persistence = open_persistence(opts.db, shared=True)
    else:
        path = Path(opts.data_dir) / DATABASE_FILE
        if not path.exists():
            raise ValueError(f"no deployment in {opts.data_dir} (start one with livebase dev)")
        persistence = SqlitePersistence(path, shared=True)
    db = Database(persistence)
    try:
        db.ensure_system_table(environment.TABLE, environment.INDEXES)
        with db.exclusive():
            txn = db.begin(writable=opts.action in ("set", "remove"))
            try:
                if opts.action == "set":
                    environment.write(txn, opts.name, opts.value)
                elif opts.action == "remove" and not environment.write(txn, opts.name, None):
                    raise ValueError(f"{opts.name} is not set")
                stored = environment.read_all(txn)
            finally:
                txn.close()
            if txn.writes:
                db.commit(txn)
        return stored
    finally:
        db.close()


def tune_gc() -> None:
    """Fewer, cheaper collections for a long-running server process.

    A full collection walks every live object; with a thousand connections that is tens of
    milliseconds during which no client hears anything. The app and libraries loaded at start
    are frozen out of collection, and young generations are collected less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


def _serve(opts: argparse.Namespace) -> int:
    import uvicorn

    from livebase.server.app import create_app, create_http_actions_app

    if opts.workers < 1:
        print("Error: --workers must be at least 1", file=sys.stderr)
        return 2
    dev = opts.command == "dev"
    if dev and opts.workers != 1:
        print("Error: livebase dev serves with one process; use serve --workers", file=sys.stderr)
        return 2
    if opts.workers > 1 and opts.listen_fd is None:
        from livebase.workers import supervise

        return supervise(opts)
    host = "127.0.0.1" if opts.host in ("0.0.0.0", "::") else opts.host
    origin = opts.origin or f"http://{host}:{opts.port}"
    try:
        with ProgressBars():  # why: new indexes are backfilled before the server starts
            runtime = Runtime(
                opts.app,
                opts.data_dir,
                db=opts.db,
                storage=opts.storage,
                peers=opts.listen_fd is not None,  # a worker of --workers N
                # why: other processes may write to the same SQLite file: more workers, or the
                # CLI's run, import and create-admin commands while this one serves
                shared=True,
                synchronous=opts.synchronous,
                origin=origin,
                site_origin=f"http://{host}:{opts.http_port}" if opts.http_port else None,
                max_upload=opts.max_upload,
                query_timeout=opts.query_timeout,
                mutation_timeout=opts.mutation_timeout,
                action_timeout=opts.action_timeout,
                # why: a process of its own would keep running the code as it was at start
                query_process=opts.query_process and not dev,
            )
        runtime.dev = dev
        app = create_app(runtime, static_dir=opts.static)
        reloader = _dev_reloader(app.state.server, opts) if dev else None
    except LivebaseError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a time limit that is not a positive number
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    # why: per-message compression costs more CPU per message than the rest of the send path
    # and triples the memory of an idle connection; sync messages are small.
    configs = [
        uvicorn.Config(
            app,
            host=opts.host,
            port=opts.port,
            log_level=opts.log_level,
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
        )
    ]
    if opts.http_port:
        actions = create_http_actions_app(app.state.server)
        configs.append(
            uvicorn.Config(
                actions,
                host=opts.host,
                port=opts.http_port,
                log_level=opts.log_level,
                lifespan="off",
                timeout_graceful_shutdown=SHUTDOWN_GRACE,
            )
        )
    print(f"livebase: serving {runtime.app.name} on {origin}", flush=True)
    if opts.http_port:
        print(f"livebase: HTTP actions on http://{host}:{opts.http_port}", flush=True)

    fds = [opts.listen_fd, opts.http_listen_fd if opts.http_port else None]

    async def serve_all() -> None:
        import socket

        servers = [_stops_for_sure(uvicorn.Server(config)) for config in configs]
        if reloader is not None:
            watching = asyncio.get_running_loop().create_task(reloader.watch())
            watching.add_done_callback(lambda task: None if task.cancelled() else task.result())
        await asyncio.gather(
            *(
                server.serve(None if fd is None else [socket.socket(fileno=fd)])
                for server, fd in zip(servers, fds, strict=False)
            )
        )

    tune_gc()

    try:
        asyncio.run(serve_all())
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
    return 0


def _dev_reloader(server: Any, opts: argparse.Namespace) -> Any:
    """``livebase dev``: reload on save, and keep the client code (``--codegen``) current."""
    from livebase.server.reload import Reloader

    def write_client_code(app: Any) -> None:
        if opts.codegen:
            from livebase.codegen import generate

            generate(app).write(opts.codegen)

    write_client_code(server.runtime.app)
    print(f"livebase: watching {server.runtime.app_folder()} for changes", flush=True)
    return Reloader(server, on_loaded=write_client_code)


class ProgressBars:
    """Progress bars (rich, on stderr) for long work while a command runs: backfills of new
    indexes, imports, exports (livebase.engine.progress). Work shorter than ``delay`` seconds
    draws nothing."""

    def __init__(self, delay: float | None = None, every: float = 0.2) -> None:
        if delay is None:
            delay = float(os.environ.get("LIVEBASE_PROGRESS_AFTER", "0.5"))
        self.delay, self.every = delay, every
        self._stop = threading.Event()
        self._since = time.time()
        self._thread = threading.Thread(target=self._draw, name="livebase-progress", daemon=True)

    def __enter__(self) -> ProgressBars:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _draw(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from livebase.engine import progress

        bars: Progress | None = None
        shown: dict[int, Any] = {}  # task id -> its bar
        drawn: set[int] = set()  # tasks already drawn to the end
        while True:
            stopping = self._stop.wait(self.every)
            now = time.time()
            tasks = [t for t in progress.running() if now - t.started >= self.delay]
            ended = [
                t
                for t in progress.finished()
                if t.id not in drawn
                and t.ended is not None
                and t.ended - t.started >= self.delay
                and t.ended >= self._since
            ]
            if (tasks or ended) and bars is None:
                bars = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TextColumn("{task.completed:,.0f} items"),
                    TimeElapsedColumn(),
                    console=Console(stderr=True),
                )
                bars.start()
            for t in [*tasks, *ended]:
                assert bars is not None
                if t.id not in shown:
                    shown[t.id] = bars.add_task(t.description, total=t.total)
                finished = t.ended is not None
                total = t.done if finished else t.total
                bars.update(shown[t.id], completed=t.done, total=total)
                if finished:
                    drawn.add(t.id)
                    del shown[t.id]
            if bars is not None and not shown:
                bars.stop()
                bars = None
            if stopping:
                if bars is not None:
                    bars.stop()
                return


def _exit_soon() -> None:
    """After a stop signal: end the process in FORCED_EXIT_AFTER seconds if it has not ended."""

    def exit_now() -> None:
        time.sleep(FORCED_EXIT_AFTER)
        print(f"livebase: still stopping after {FORCED_EXIT_AFTER:g} s; exiting", flush=True)
        os._exit(1)

    threading.Thread(target=exit_now, name="livebase-forced-exit", daemon=True).start()


def _stops_for_sure(server: Any) -> Any:
    """A uvicorn server that ends the process soon after SIGTERM or Ctrl+C, whatever runs.

    Queries and mutations run on daemon threads, so one that never returns cannot keep the
    process alive; what still could (an action stuck on the event loop) is cut off by a timer.
    """
    handle_exit = server.handle_exit

    def stop(sig: int, frame: Any) -> None:
        if not server.should_exit:
            _exit_soon()
        handle_exit(sig, frame)

    server.handle_exit = stop  # why: uvicorn installs self.handle_exit as the signal handler
    return server


def _run(opts: argparse.Namespace) -> int:
    args = _json_arg(opts.args, "ARGS")
    identity = _json_arg(opts.identity, "--identity") if opts.identity else None
    if opts.url:
        return _run_remote(opts, args, identity)
    try:
        with Runtime(opts.app, opts.data_dir, db=opts.db, shared=True) as runtime:
            value = runtime.call(opts.path, args, identity=identity, internal_ok=True)
    except ConvexError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        print(json.dumps({"errorData": values.to_clean_json(exc.data)}), file=sys.stderr)
        return 1
    except LivebaseError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:
        log.debug("function failed", exc_info=True)
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    encode = values.to_clean_json if opts.format == "json" else values.to_convex_json
    print(json.dumps(encode(value), indent=2, ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``livebase`` command."""
    opts = build_parser().parse_args(argv)
    opts.argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if opts.command == "run":
        return _run(opts)
    if opts.command in ("dev", "serve"):
        return _serve(opts)
    if opts.command == "admin-key":
        return _admin_key(opts)
    if opts.command in ("export", "import"):
        return _backup(opts)
    if opts.command == "codegen":
        return _codegen(opts)
    if opts.command == "env":
        return _env(opts)
    if opts.command == "logs":
        return _logs(opts)
    return 2


def _codegen(opts: argparse.Namespace) -> int:
    from livebase.codegen import generate

    try:
        written = generate(opts.app).write(opts.out)
    except (LivebaseError, ValueError) as exc:
        print(f"Error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    changed = ", ".join(p.name for p in written) or "nothing changed"
    print(f"livebase: client code for {opts.app} in {opts.out} ({changed})")
    return 0


def create_admin_command(
    runtime: Any,
    email: str,
    *,
    exists: Callable[[Any, str], bool],
    make_admin: Callable[[Any, str, str | None], Any],
    password_stdin: bool = False,
) -> int:
    """An app's ``create-admin EMAIL``: ``make_admin(runtime, email, password)``, asking for a
    new account's password (twice, or one line of standard input) only when ``exists`` says
    the email has no account yet. Closes ``runtime``; returns the exit status."""
    try:
        password = None if exists(runtime, email) else _new_password(password_stdin)
        make_admin(runtime, email, password)
    except ConvexError as exc:
        data = exc.data if isinstance(exc.data, dict) else {"message": str(exc.data)}
        print(f"Error: {data.get('message')}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
    print(f"{email.lower()} is an administrator; sign in at the web app to invite others.")
    return 0


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password for the new account: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("Error: the passwords differ")
    return first
