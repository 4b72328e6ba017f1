"""``python -m sessiondocs``: OCR an image, run the capture agent, serve the backend.

python -m sessiondocs ocr IMAGE [--engine tesseract|rapidocr] [--json]
python -m sessiondocs agent --url URL [--token TOKEN] [--interval SECONDS]
python -m sessiondocs serve [--port 3230] [--data-dir DIR] [--demo]
python -m sessiondocs create-admin EMAIL [--name NAME] [--password-stdin] [--data-dir DIR]

Sign-up is by an administrator's invitation (made in the web app); ``create-admin`` makes the
first administrator (run it while the server is stopped). ``serve --demo`` adds the demo
person, whose password is public.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parent / "functions"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path(".livebase") / "sessiondocs"
WEB_DIST = REPO / "web" / "sessiondocs" / "dist"


def _ocr(opts: argparse.Namespace) -> int:
    from sessiondocs.ocr import ENGINES, read_image

    if opts.engine is not None and opts.engine not in ENGINES:
        print(
            f"Error: unknown engine {opts.engine!r} (one of {', '.join(ENGINES)})", file=sys.stderr
        )
        return 2
    path = Path(opts.image)
    if not path.is_file():
        print(f"Error: no such file: {path}", file=sys.stderr)
        return 2
    try:
        result = read_image(path, engine=opts.engine)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if opts.json:
        data = result.to_json()
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(result.text)
    return 0


def _runtime(data_dir: str) -> Any:
    from livebase import Runtime

    return Runtime(APP, data_dir, shared=True)  # a server may be running on it


def _prepare(opts: argparse.Namespace) -> None:
    """Before serving: the demo person (with --demo), or a hint when nobody administers."""
    from sessiondocs import accounts

    runtime = _runtime(opts.data_dir)
    try:
        if opts.demo:
            email, password = accounts.seed_demo_user(runtime)
            os.environ[accounts.DEMO_ENV] = "1"  # the server runs in this process
            print(f"Demo sign-in: {email}  password {password}")
        elif not runtime.run_query("users:anyAdmin", {}, internal_ok=True).value:
            print(
                "No administrator yet: stop the server and run "
                "python -m sessiondocs create-admin EMAIL"
            )
    finally:
        runtime.close()


def _create_admin(opts: argparse.Namespace) -> int:
    from livebase import create_admin_command
    from sessiondocs import accounts

    return create_admin_command(
        _runtime(opts.data_dir),
        opts.email,
        exists=accounts.user_exists,
        make_admin=lambda runtime, email, password: accounts.create_admin(
            runtime, email, password, opts.name
        ),
        password_stdin=opts.password_stdin,
    )


def _serve(opts: argparse.Namespace) -> int:
    from livebase import cli_main as livebase_main

    _prepare(opts)
    args = ["serve", str(APP), "--host", opts.host, "--port", str(opts.port)]
    args += ["--data-dir", opts.data_dir]
    if opts.origin:
        args += ["--origin", opts.origin]
    static = opts.static if opts.static is not None else (WEB_DIST if WEB_DIST.is_dir() else None)
    if static:
        args += ["--static", str(static)]
    args += ["--log-level", opts.log_level]
    return livebase_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sessiondocs", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ocr = commands.add_parser("ocr", help="read the text of a screenshot")
    ocr.add_argument("image")
    ocr.add_argument("--engine", help="tesseract or rapidocr (default: the measured best)")
    ocr.add_argument("--json", action="store_true", help="print text, words and engine as JSON")
    commands.add_parser("agent", help="capture this PC's screen into a session", add_help=False)
    serve = commands.add_parser("serve", help="serve the sessiondocs backend (and web app)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=3230)
    serve.add_argument(
        "--origin", help="the URL agents reach this server at (file and upload URLs use it)"
    )
    serve.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    serve.add_argument("--static", help="the built web app (default web/sessiondocs/dist)")
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--demo", action="store_true", help="add the demo person (public password)")
    admin = commands.add_parser("create-admin", help="make an administrator (server stopped)")
    admin.add_argument("email")
    admin.add_argument("--name")
    admin.add_argument("--password-stdin", action="store_true", help="read the password")
    admin.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["agent"]:
        from sessiondocs.agent import main as agent_main

        return agent_main(argv[1:])
    opts = build_parser().parse_args(argv)
    if opts.command == "ocr":
        return _ocr(opts)
    if opts.command == "create-admin":
        return _create_admin(opts)
    return _serve(opts)
