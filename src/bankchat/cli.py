"""``python -m bankchat``: build or load the bank database, ask, run SQL, serve.

    python -m bankchat build-db [--path FILE]
    python -m bankchat load-db URL [--trans-limit N]
    python -m bankchat ask "question" [--user EMAIL] [--json]
    python -m bankchat sql "SELECT ..." [--user EMAIL] [--json]
    python -m bankchat serve [--port 3220] [--static DIR] [--demo]
    python -m bankchat create-admin EMAIL [--name NAME] [--password-stdin]

``ask`` and ``sql`` take the same path as the chat:ask action (guard, role, audit), as the
local operator (an administrator nobody can sign in as) unless ``--user`` names a user. The
bank database is built on first use. ``serve`` also serves the web app at / (web/bankchat/dist,
once ``make web`` has built it); ``--demo`` adds the demo users, whose password is public.
``create-admin`` makes the first administrator (run it while the server is stopped); sign-up
is otherwise by an administrator's invitation (a one-time link made in the web app).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parent / "functions"
DEFAULT_DATA_DIR = Path(".livebase") / "bankchat"
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "bankchat" / "dist"


def _runtime(data_dir: str, demo_users: bool = False) -> Any:
    from bankchat import demo
    from livebase import Runtime

    runtime = Runtime(APP, data_dir, shared=True)  # a server may be running on it
    if demo_users:
        demo.seed(runtime)
    else:
        demo.seed_roles(runtime)
    return runtime


def _ask(opts: argparse.Namespace, kind: str) -> int:
    from bankchat import demo
    from bankchat.bankdb.load import data_url

    data_url()  # build the embedded database first (with its progress bar)
    runtime = _runtime(opts.data_dir)
    try:
        try:
            if opts.user is None:
                identity = demo.operator_identity(runtime)
            else:
                identity = demo.identity_of(runtime, opts.user)
        except LookupError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
        path, key = ("chat:ask", "question") if kind == "ask" else ("chat:run_sql", "sql")
        result = asyncio.run(runtime.run_action(path, {key: opts.text}, identity=identity))
    finally:
        runtime.close()
    answer = {
        k: result.get(k)
        for k in (
            "sql",
            "columns",
            "rows",
            "engine",
            "error",
            "denied",
            "not_understood",
            "row_count",
            "explanation",
            "status",
        )
    }
    if opts.json:
        print(json.dumps(answer, ensure_ascii=False, default=str))
    else:
        _print_table(answer)
    return 0 if answer["status"] == "success" else 1


def _print_table(answer: dict[str, Any]) -> None:
    if answer.get("sql"):
        print(answer["sql"])
    if answer.get("error"):
        print(f"{answer['status']}: {answer['error']}")
        return
    columns = answer["columns"] or []
    rows = [[str(v) for v in row] for row in answer["rows"][:50]]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"({answer['row_count']} rows)")


def _serve(opts: argparse.Namespace) -> int:
    from bankchat.bankdb.load import data_url
    from livebase import cli_main as livebase_main

    data_url()
    runtime = _runtime(opts.data_dir, demo_users=opts.demo)
    has_users = runtime.run_query("users:anyAdmin", {}, internal_ok=True).value
    runtime.close()
    if opts.demo:
        from bankchat.roles import DEMO_ENV, DEMO_PASSWORD, DEMO_USERS

        os.environ[DEMO_ENV] = "1"  # the server runs in this process: the sign-in page lists them
        print("Demo users (password: see below):")

        for email, _, role in DEMO_USERS:
            print(f"  {email:24} {role:8} password {DEMO_PASSWORD}")
    elif not has_users:
        print("No administrator yet: stop the server and run python -m bankchat create-admin EMAIL")
    static = opts.static or (str(WEB_DIST) if (WEB_DIST / "index.html").is_file() else None)
    if static is None:
        print("The web app is not built (make web); serving the API only.")
    args = ["serve", str(APP), "--port", str(opts.port), "--data-dir", opts.data_dir]
    return livebase_main(
        [*args, *(["--static", static] if static else []), "--log-level", "warning"]
    )


def _create_admin(opts: argparse.Namespace) -> int:
    from bankchat import demo
    from livebase import create_admin_command

    return create_admin_command(
        _runtime(opts.data_dir),
        opts.email,
        exists=demo.user_exists,
        make_admin=lambda runtime, email, password: demo.create_admin(
            runtime, email, password, opts.name
        ),
        password_stdin=opts.password_stdin,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bankchat", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build-db", help="build the embedded SQLite bank database")
    build.add_argument("--path", help="where (default .livebase/bank.sqlite3)")
    build.add_argument("--seed", type=int, default=None)
    load = commands.add_parser("load-db", help="load the bank data into MySQL/MariaDB/PostgreSQL")
    load.add_argument("url", help="a SQLAlchemy URL, e.g. mysql+pymysql://root@127.0.0.1/bank")
    load.add_argument("--trans-limit", type=int, default=None)
    for name in ("ask", "sql"):
        sub = commands.add_parser(name, help=f"{name} as a user, through the guard")
        sub.add_argument("text")
        sub.add_argument("--user", help="the user's email (default: the local operator)")
        sub.add_argument("--json", action="store_true", help="print JSON")
        sub.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    serve = commands.add_parser("serve", help="serve the bankchat backend and its web app")
    serve.add_argument("--port", type=int, default=3220)
    serve.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    serve.add_argument(
        "--static", help="the built web app to serve at / (default: web/bankchat/dist if built)"
    )
    serve.add_argument("--demo", action="store_true", help="add the demo users (public password)")
    admin = commands.add_parser("create-admin", help="make an administrator (server stopped)")
    admin.add_argument("email")
    admin.add_argument("--name")
    admin.add_argument("--password-stdin", action="store_true", help="read the password")
    admin.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    return parser


def main(argv: list[str] | None = None) -> int:
    opts = build_parser().parse_args(argv)
    if opts.command == "build-db":
        from bankchat.bankdb.build import DEFAULT_SEED, build_sqlite
        from bankchat.bankdb.load import default_sqlite_path

        path = Path(opts.path) if opts.path else default_sqlite_path()
        print(build_sqlite(path, opts.seed if opts.seed is not None else DEFAULT_SEED))
        return 0
    if opts.command == "load-db":
        from bankchat.bankdb.load import load_database

        load_database(opts.url, trans_limit=opts.trans_limit)
        return 0
    if opts.command in ("ask", "sql"):
        return _ask(opts, opts.command)
    if opts.command == "create-admin":
        return _create_admin(opts)
    return _serve(opts)
