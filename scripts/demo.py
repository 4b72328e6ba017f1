"""``make demo``: both applications with demo data, served until Ctrl-C.

bankchat on http://127.0.0.1:3220 (demo users printed with their password) and sessiondocs on
http://127.0.0.1:3230 (a demo session recorded, read and documented on first run). The bank
database and the web apps are built first when missing (``make demo`` builds the web apps).
``--check`` starts everything, checks both answer, and stops (the test suite uses it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def start(module: str, port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """``python -m MODULE serve`` in its own process group, its output in ``log``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} did not start; its log ({log}):\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s; see {log}")


def web_app_served(url: str) -> bool:
    """Whether the server at ``url`` serves a built web app at ``/``."""
    answer = httpx.get(url + "/", timeout=5)
    return answer.status_code == 200 and "<html" in answer.text.lower()


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            # why: a child may exit between the poll and the kill
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT / ".livebase" / "demo"))
    parser.add_argument("--bankchat-port", type=int, default=3220)
    parser.add_argument("--sessiondocs-port", type=int, default=3230)
    parser.add_argument("--check", action="store_true", help="start, check, stop")
    opts = parser.parse_args(argv)

    from bankchat.bankdb.load import data_url
    from bankchat.roles import DEMO_PASSWORD, DEMO_USERS
    from sessiondocs import demo as sessiondocs_demo

    data_url()  # builds the embedded bank database on the first run (about 15 s)
    data = Path(opts.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    bank_url = f"http://127.0.0.1:{opts.bankchat_port}"
    docs_url = f"http://127.0.0.1:{opts.sessiondocs_port}"
    processes = [
        start("bankchat", opts.bankchat_port, data / "bankchat", data / "bankchat.log"),
        start("sessiondocs", opts.sessiondocs_port, data / "sessiondocs", data / "sessiondocs.log"),
    ]
    try:
        wait_ready(bank_url, processes[0], data / "bankchat.log", 120)
        wait_ready(docs_url, processes[1], data / "sessiondocs.log", 60)
        seeded = sessiondocs_demo.seed(docs_url)
        for url in (bank_url, docs_url):
            if not web_app_served(url):
                print(f"warning: {url} serves no web app; build them with `make web`")
        print("\nlivebase demo is running:\n")
        print(f"  bankchat     {bank_url}")
        for email, _, role in DEMO_USERS:
            print(f"      sign in as {email:26} ({role}), password {DEMO_PASSWORD}")
        print(f"  sessiondocs  {docs_url}")
        if seeded:
            print(f"      demo session {seeded} uploaded; OCR and documentation run now")
        print("      record your own screen: python -m sessiondocs agent --url " + docs_url)
        print(f"\n  data and logs in {data}/. Press Ctrl-C to stop.", flush=True)
        if opts.check:
            return 0
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a server stopped; see the logs above", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
