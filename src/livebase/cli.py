"""The ``livebase`` command.

    livebase run APP PATH '{"json": "args"}' [--data-dir DIR] [--identity '{"subject": ...}']
    livebase dev APP [--port 3210] [--data-dir DIR]
    livebase serve APP [--host 127.0.0.1] [--port 3210] [--data-dir DIR]

APP is an app package's directory or its dotted import name; the data directory defaults to
``.livebase/`` in the current directory. The result is printed as JSON; on failure the error
goes to stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from livebase import values
from livebase.errors import ConvexError, LivebaseError
from livebase.runtime import Runtime

log = logging.getLogger("livebase.cli")


def _json_arg(text: str, what: str) -> Any:
    try:
        return values.from_convex_json(json.loads(text))
    except (json.JSONDecodeError, LivebaseError) as exc:
        raise SystemExit(f"livebase: {what} is not valid JSON: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livebase", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a function and print its result as JSON")
    run.add_argument("app", help="the app's directory or dotted module name")
    run.add_argument("path", help="the function, e.g. messages:list")
    run.add_argument("args", nargs="?", default="{}", help="arguments as a JSON object")
    run.add_argument("--data-dir", default=".livebase", help="data directory (default .livebase)")
    run.add_argument("--identity", help="run as this user: JSON claims with a 'subject'")
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
        serve.add_argument(
            "--synchronous", default="NORMAL", choices=["NORMAL", "FULL"], help="SQLite durability"
        )
        serve.add_argument("--log-level", default="info", help="uvicorn log level")
    return parser


def _serve(opts: argparse.Namespace) -> int:
    import uvicorn

    from livebase.server import create_app

    try:
        runtime = Runtime(opts.app, opts.data_dir, synchronous=opts.synchronous)
    except LivebaseError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    app = create_app(runtime)
    print(f"livebase: serving {runtime.app.name} on http://{opts.host}:{opts.port}", flush=True)
    try:
        uvicorn.run(app, host=opts.host, port=opts.port, log_level=opts.log_level)
    finally:
        runtime.close()
    return 0


def _run(opts: argparse.Namespace) -> int:
    args = _json_arg(opts.args, "ARGS")
    identity = _json_arg(opts.identity, "--identity") if opts.identity else None
    try:
        with Runtime(opts.app, opts.data_dir) as runtime:
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
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if opts.command == "run":
        return _run(opts)
    if opts.command in ("dev", "serve"):
        return _serve(opts)
    return 2
