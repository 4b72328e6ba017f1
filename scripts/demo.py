"""``make demo``: both applications with demo data, served until Ctrl-C.

bankchat on http://127.0.0.1:3220 (demo users printed with their password) and sessiondocs on
http://127.0.0.1:3230 (a demo session recorded, read and documented on first run). The bank
database and the web apps are built first when missing (``make demo`` builds the web apps).
``--check`` starts everything, checks both answer, and stops (the test suite uses it).

The servers live as long as the launcher: Ctrl-C, SIGTERM, a closed terminal (SIGHUP) or an
error in the launcher stops them, each with its whole process group (and the OCR runs
sessiondocs started while stopping); on Linux they are also sent SIGTERM when the launcher
itself is killed. A port already in use is an error before anything starts, never a demo that
talks to an older server.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# why: the servers run in their own sessions, so a closed terminal's SIGHUP and Ctrl-C's
# SIGINT reach only the launcher; it passes them on by stopping the servers itself
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


class Stopped(Exception):
    """A signal asked the launcher to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    # why: one stop is enough; a second signal must not cut the servers' shutdown short
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Stop signals wait until the block ends, so a server is never started and forgotten."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _prctl() -> Callable[..., int] | None:
    """Linux's prctl(2), or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def become_subreaper() -> bool:
    """On Linux, be the process the servers' orphaned children are given to (not init), so
    ``stop`` can wait until they are gone."""
    prctl = _prctl()
    return prctl is not None and prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _child_setup() -> Callable[[], None]:
    """What the server process runs before ``exec``: take the normal signal mask (not the
    launcher's, held while starting it) and, on Linux, ask for SIGTERM when its parent dies."""
    parent = os.getpid()
    prctl = _prctl()

    def setup() -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            if os.getppid() != parent:  # the launcher died before the request took hold
                os._exit(1)

    return setup


def start(module: str, port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """``python -m MODULE serve --demo`` in its own process group, its output in ``log``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "serve",
                "--demo",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=_child_setup(),
        )


def admin_key(data_dir: Path) -> str:
    """The admin key of the deployment in ``data_dir`` (``livebase admin-key``)."""
    done = subprocess.run(
        [sys.executable, "-m", "livebase", "admin-key", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout.strip() or f"(livebase admin-key --data-dir {data_dir})"


def port_problem(port: int) -> str | None:
    """Why a server could not listen on ``HOST:port``, or None when it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # why: as the server's own socket does, so a closed connection still in TIME_WAIT
        # does not count as busy; a listening socket still does
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} is already in use (another `make demo` still running?); "
                    f"see what holds it with: ss -ltnp 'sport = :{port}'  (or: lsof -i :{port})"
                )
            return f"cannot listen on port {port}: {error.strerror}"
    return None


def check_ports(ports: dict[str, int]) -> None:
    """Exit with a message naming the port when a configured port cannot be used."""
    if len(set(ports.values())) < len(ports):
        raise SystemExit(f"error: the apps need different ports, not {ports}")
    for name, port in ports.items():
        problem = port_problem(port)
        if problem:
            raise SystemExit(f"error: {name}: {problem}")


def listens(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the socket listening on ``port``; None when /proc cannot
    tell (not Linux, or no listening socket of this network namespace has that port)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
    return False


def wait_ready(
    url: str, port: int, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Until our server answers at ``url``: an answer from another process (one that took the
    port after ``check_ports``) does not count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            problem = port_problem(port)  # another process took the port after all
            raise SystemExit(
                (f"error: {problem}\n" if problem else "")
                + f"{url} did not start; its log ({log}):\n{log.read_text()[-2000:]}"
            )
        try:
            answered = httpx.get(f"{url}/version", timeout=1).status_code == 200
        except httpx.HTTPError:
            answered = False
        if answered and listens(process.pid, port) is not False:
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s; see {log}")


def web_app_served(url: str) -> bool:
    """Whether the server at ``url`` serves a built web app at ``/``."""
    answer = httpx.get(url + "/", timeout=5)
    return answer.status_code == 200 and "<html" in answer.text.lower()


def stop(processes: list[subprocess.Popen[bytes]], subreaper: bool = False) -> None:
    """SIGTERM to each server's process group, SIGKILL to those still there after 15 s; then
    what the servers started while stopping (sessiondocs' OCR runs) is killed and waited for."""
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
    for process in processes:
        # why: a group outlives its leader while a member runs; none may outlive the launcher
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    if processes and subreaper:
        reap_orphans(deadline=time.monotonic() + 10)


def reap_orphans(deadline: float) -> None:
    """Wait for the servers' orphaned children, which the kernel gave to the launcher (it is
    their subreaper): once none is left, nothing the demo started runs."""
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def say(line: str, error: bool = False) -> None:
    """Print, even once the terminal is gone (after SIGHUP): then the output is dropped."""
    try:
        print(line, file=sys.stderr if error else sys.stdout, flush=True)
    except OSError:
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (kept until exit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT / ".livebase" / "demo"))
    parser.add_argument("--bankchat-port", type=int, default=3220)
    parser.add_argument("--sessiondocs-port", type=int, default=3230)
    parser.add_argument("--check", action="store_true", help="start, check, stop")
    opts = parser.parse_args(argv)

    subreaper = become_subreaper()
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_requested)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        return run(opts, processes)
    except Stopped as stopped:
        say(f"\nstopping ({stopped})...")
        return 0
    finally:
        for signum in STOP_SIGNALS:  # as after a signal: nothing interrupts the stopping
            signal.signal(signum, signal.SIG_IGN)
        stop(processes, subreaper)


def run(opts: argparse.Namespace, processes: list[subprocess.Popen[bytes]]) -> int:
    """Start both servers (appended to ``processes`` as they start), seed, serve."""
    check_ports({"bankchat": opts.bankchat_port, "sessiondocs": opts.sessiondocs_port})

    from bankchat.bankdb.load import data_url
    from bankchat.roles import DEMO_PASSWORD, DEMO_USERS
    from sessiondocs import demo as sessiondocs_demo
    from sessiondocs.accounts import DEMO_EMAIL

    data_url()  # builds the embedded bank database on the first run (about 15 s)
    data = Path(opts.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    bank_url = f"http://{HOST}:{opts.bankchat_port}"
    docs_url = f"http://{HOST}:{opts.sessiondocs_port}"
    apps = [("bankchat", opts.bankchat_port), ("sessiondocs", opts.sessiondocs_port)]
    for name, port in apps:
        with signals_held():
            processes.append(start(name, port, data / name, data / f"{name}.log"))
    wait_ready(bank_url, opts.bankchat_port, processes[0], data / "bankchat.log", 120)
    wait_ready(docs_url, opts.sessiondocs_port, processes[1], data / "sessiondocs.log", 60)
    seeded = sessiondocs_demo.seed(docs_url)
    for url in (bank_url, docs_url):
        if not web_app_served(url):
            say(f"warning: {url} serves no web app; build them with `make web`")
    say("\nlivebase demo is running:\n")
    say(f"  bankchat     {bank_url}")
    for email, _, role in DEMO_USERS:
        say(f"      sign in as {email:26} ({role}), password {DEMO_PASSWORD}")
    say(f"  sessiondocs  {docs_url}")
    say(f"      sign in as {DEMO_EMAIL:26} (admin), password {DEMO_PASSWORD}")
    if seeded:
        say(f"      demo session {seeded} uploaded; OCR and documentation run now")
    say("      record your own screen: make a device token in the web app (Devices), then")
    say(f"        python -m sessiondocs agent login --url {docs_url}")
    say(f"        python -m sessiondocs agent --url {docs_url}")
    say("  dashboards (tables, functions, logs, files, environment), each with its admin key:")
    for name, url in (("bankchat", bank_url), ("sessiondocs", docs_url)):
        say(f"      {url}/_dashboard   {admin_key(data / name)}")
    say(f"\n  data and logs in {data}/. Press Ctrl-C to stop.")
    if opts.check:
        return 0
    while all(p.poll() is None for p in processes):
        time.sleep(0.5)
    say(f"a server stopped; see its log in {data}/", error=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
