"""``python -m sessiondocs agent``: capture this PC's screen into a sessiondocs session.

The agent creates a session named after this PC, keeps a frame whenever the screen changes
(once it has settled) and on an idle interval when it changed a little, skips
near-duplicates, queues each frame on disk before uploading it, and retries uploads while
the server is away. Ctrl-C (or SIGTERM) stops capture, uploads what is queued (for up to
--flush-timeout seconds), completes the session and prints a summary.

Where it can (X11 today), it also records mouse clicks and the keys that act (Enter, Tab,
shortcuts), never what is typed, and captures the screen just before and just after each, so
the documentation names what was clicked; it says so when it starts, and --no-input-events
turns it off.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from queue import SimpleQueue
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from sessiondocs.agent._change import DEFAULT_THRESHOLD, CapturePolicy, ChangeDetector
from sessiondocs.agent._client import Client, ServerError
from sessiondocs.agent._input import InputUnavailable
from sessiondocs.agent._input import recorder as input_recorder
from sessiondocs.agent._loop import CaptureLoop, CaptureStats
from sessiondocs.agent._queue import ABANDONED, CAPTURING, STOPPED, FrameQueue, SessionInfo
from sessiondocs.agent._report import Reporter
from sessiondocs.agent._screen import Screen, ScreenError
from sessiondocs.agent._secrets import platform_secret_fields
from sessiondocs.agent._token import ENV, load_token, save_token
from sessiondocs.agent._uploader import Uploader, plural

SETTLE_TIMEOUT = 2.0  # seconds a change may take to settle before the idle interval takes over


def default_queue_dir() -> Path:
    """Where frames wait for upload: the user's cache directory."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "sessiondocs" / "queue"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "sessiondocs" / "queue"


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("must be a fraction of the screen, above 0, at most 1")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError("must be an http:// or https:// URL")
    return text.rstrip("/")


def _name(text: str) -> str:
    name = text.strip()
    if not 0 < len(name) <= 200:
        raise argparse.ArgumentTypeError("must be 1-200 characters")
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sessiondocs agent",
        description=__doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else None,
    )
    add = parser.add_argument
    add("--url", required=True, type=_url, help="the sessiondocs server, e.g. http://host:3230")
    add(
        "--token",
        help=f"a device token (default: ${ENV}, else the one saved by 'agent login')",
    )
    add(
        "--interval", type=_positive, default=10.0, metavar="SECONDS", help="the idle interval (10)"
    )
    add(
        "--poll",
        type=_positive,
        default=0.5,
        metavar="SECONDS",
        help="how often to look for a change (0.5)",
    )
    add(
        "--pc-name",
        type=_name,
        default=socket.gethostname(),
        metavar="NAME",
        help="the PC's name (host name)",
    )
    add("--title", type=_name, help="the session's title")
    add("--no-redact", action="store_true", help="store screenshots without redaction")
    add(
        "--no-input-events",
        action="store_true",
        help="do not record mouse clicks and acting keys (screenshots only)",
    )
    add("--monitor", type=int, default=1, metavar="N", help="1 = the primary one, 0 = all (1)")
    add(
        "--queue-dir",
        type=Path,
        default=default_queue_dir(),
        metavar="DIR",
        help="where frames wait (%(default)s)",
    )
    add("--max-frames", type=_count, metavar="N", help="stop after N frames (for tests)")
    add(
        "--threshold",
        type=_fraction,
        default=DEFAULT_THRESHOLD,
        metavar="FRACTION",
        help="share of the screen that must change for a new frame (%(default)s)",
    )
    add(
        "--flush-timeout",
        type=_positive,
        default=30.0,
        metavar="SECONDS",
        help="how long to upload at exit (30)",
    )
    return parser


class StopRequest:
    """SIGINT and SIGTERM: the first stops capture, a second stops waiting for the upload."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.abort = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        (self.abort if self.stop.is_set() else self.stop).set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals only reach the main thread; the caller sets .stop itself
            return
        previous = {sig: signal.signal(sig, self) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def open_queues(opts: argparse.Namespace, report: Reporter) -> list[FrameQueue]:
    """The queues to work on, oldest first; the last is the session to capture into.

    A session an earlier run left capturing (it crashed or was killed) on this PC is resumed;
    sessions it stopped, but could not finish uploading, are uploaded and completed first.
    """
    root: Path = opts.queue_dir
    root.mkdir(parents=True, exist_ok=True)
    found = FrameQueue.unfinished(root)
    resumable = [q for q in found if q.info.state == CAPTURING and q.info.pcName == opts.pc_name]
    current = resumable[-1] if resumable else None
    earlier = [q for q in found if q is not current]
    for queue in earlier:
        if queue.info.state == CAPTURING:
            queue.update(state=STOPPED)
        report.info(
            f"earlier session {queue.info.sessionId}: "
            f"{plural(len(queue.pending()), 'queued frame')} to upload, then it is completed"
        )
    if current is not None:
        report.info(
            f"resuming session {current.info.sessionId}, left unfinished by an earlier run "
            f"({plural(len(current.pending()), 'frame')} queued)"
        )
    else:
        info = SessionInfo(
            sessionId=uuid.uuid4().hex,
            pcName=opts.pc_name,
            redact=not opts.no_redact,
            title=opts.title,
            startedAt=time.time() * 1000,
        )
        current = FrameQueue.create(root, info)
    return [*earlier, current]


def summary(queue: FrameQueue, uploader: Uploader, stats: CaptureStats) -> str:
    """The one line printed at exit."""
    session_id = queue.info.sessionId
    parts = [
        f"session {session_id}: {plural(uploader.uploaded.get(session_id, 0), 'frame')} uploaded",
        f"{stats.skipped} skipped as duplicates",
    ]
    if uploader.rejected:
        parts.append(f"{uploader.rejected} refused by the server")
    left = len(queue.pending()) if queue.directory.is_dir() else 0
    if session_id in uploader.completed:
        parts.append("completed")
    elif queue.info.state == ABANDONED:
        parts.append(f"refused by the server; its frames are kept in {queue.directory}")
    else:
        why = "server unreachable" if uploader.in_outage else "out of time"
        kept = f"{plural(left, 'frame')} still queued" if left else "not completed yet"
        parts.append(
            f"{kept} ({why}); kept in {queue.directory} for the next run of the agent to finish"
        )
    return ", ".join(parts)


def _read_token() -> str:
    """The token, pasted at a prompt that does not echo it, or a line of standard input."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Device token (from the web app, Devices): ")
    return sys.stdin.readline()


def login(argv: list[str]) -> int:
    """``agent login --url URL``: check a device token and keep it for that server."""
    parser = argparse.ArgumentParser(
        prog="python -m sessiondocs agent login",
        description="Keep a device token (made in the web app, Devices) for a server.",
    )
    parser.add_argument("--url", required=True, type=_url, help="the sessiondocs server")
    parser.add_argument("--token", help="the device token (default: asked for, or standard input)")
    opts = parser.parse_args(argv)
    token = (opts.token or _read_token()).strip()
    if not token:
        print("Error: no device token given", file=sys.stderr)
        return 2
    client = Client(opts.url, token=token)
    try:
        me = client.whoami()
    except ServerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    if me is None or me.get("device") is None:
        print("Error: that is not a device token of this server", file=sys.stderr)
        return 1
    path = save_token(opts.url, token)
    print(f"Device {me['device']!r} of {me['email']} saved in {path} for {opts.url}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the agent until Ctrl-C or SIGTERM; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["login"]:
        return login(argv[1:])
    opts = build_parser().parse_args(argv)
    report = Reporter()
    opts.token = opts.token or load_token(opts.url)
    if not opts.token:
        report.warn(
            f"Error: no device token for {opts.url}: make one in the web app (Devices), then "
            f"run python -m sessiondocs agent login --url {opts.url}"
        )
        return 2
    try:
        screen = Screen(opts.monitor)
    except ScreenError as exc:
        report.warn(f"Error: {exc}")
        return 2
    try:
        queues = open_queues(opts, report)
    except OSError as exc:
        screen.close()
        report.warn(f"Error: cannot use the queue directory {opts.queue_dir}: {exc}")
        return 2
    return run(opts, screen, queues, report)


def run(
    opts: argparse.Namespace, screen: Screen, queues: list[FrameQueue], report: Reporter
) -> int:
    """Capture into the last of ``queues`` until stopped, then upload, complete, summarise."""
    current = queues[-1]
    client = Client(opts.url, token=opts.token)
    uploader = Uploader(client, queues, report)
    policy = CapturePolicy(
        ChangeDetector(opts.threshold), opts.interval, max(SETTLE_TIMEOUT, 2 * opts.poll)
    )
    inputs: SimpleQueue[dict[str, Any]] = SimpleQueue()
    secrets = platform_secret_fields()
    loop = CaptureLoop(
        screen,
        policy,
        current,
        uploader,
        report,
        opts.poll,
        opts.max_frames,
        inputs=inputs,
        secrets=secrets,
    )
    stopper = StopRequest()
    with stopper.installed():
        uploader.start()
        width, height = screen.size
        report.info(
            f"session {current.info.sessionId} on {current.info.pcName}: monitor "
            f"{opts.monitor} ({width}x{height}) to {opts.url}; Ctrl-C to stop"
        )
        recording = None if opts.no_input_events else start_input(inputs, report)
        if recording is None:
            loop.inputs = None
        try:
            loop.run(stopper.stop)
            failure = uploader.closed_reason
        except ScreenError as exc:
            failure = str(exc)
        finally:
            if recording is not None:
                recording.stop()
            secrets.close()
            screen.close()
        if failure:
            report.warn(f"Error: {failure}; stopping")
        flushed = stop(current, uploader, opts.flush_timeout, stopper.abort, report)
    if flushed:
        client.close()  # else the upload thread may still be using it; it dies with us
    print(summary(current, uploader, loop.stats), flush=True)
    return 1 if failure else 0


CONSENT = (
    "recording mouse clicks (where, which button, which window) and the keys that act "
    "(Enter, Tab, Escape, shortcuts such as Ctrl+S), never what you type; "
    "--no-input-events turns this off"
)


def start_input(inputs: SimpleQueue[dict[str, Any]], report: Reporter) -> Any:
    """Start recording input events into ``inputs``, saying so; None where it cannot."""
    recording = input_recorder()
    if recording is None:
        report.info("input events are not recorded on this platform: screenshots only")
        return None
    try:
        recording.start(inputs.put)
    except InputUnavailable as exc:
        report.warn(f"input events are not recorded ({exc}): screenshots only")
        return None
    report.info(CONSENT)
    return recording


def stop(
    current: FrameQueue,
    uploader: Uploader,
    timeout: float,
    abort: threading.Event,
    report: Reporter,
) -> bool:
    """End capture into ``current`` and upload what is queued, for at most ``timeout``
    seconds; returns whether everything got through."""
    if current.info.state == CAPTURING:
        current.update(state=STOPPED)
    left = uploader.queued()
    if left:
        report.info(
            f"stopping: uploading {plural(left, 'queued frame')} "
            f"(up to {timeout:.0f} s; Ctrl-C again to stop waiting)"
        )
    return uploader.finish(timeout, abort)
