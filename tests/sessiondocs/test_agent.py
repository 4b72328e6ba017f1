"""The capture agent: its pieces on real objects, then the real thing under Xvfb.

The end-to-end tests run ``python -m sessiondocs agent`` against ``python -m sessiondocs
serve`` on a virtual X display (Xvfb) showing a real Tk window whose content the test
changes, and check what reached the server. They never depend on OCR results.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont

import sessiondocs.agent as agent
from sessiondocs.agent import (
    Action,
    CapturePolicy,
    ChangeDetector,
    Client,
    FrameQueue,
    Grab,
    QueueBusy,
    ServerRejected,
    ServerUnavailable,
    SessionInfo,
    thumbnail,
)
from tests.conftest import ROOT
from tests.e2e.conftest import free_port
from tests.sessiondocs.conftest import SessiondocsServer, account_for, xvfb_display

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SIZE = (1280, 800)
FRAME_NAME = re.compile(r"^\d{4}-\d{8}T\d{6}\.png$")


# --- pictures of screens -------------------------------------------------------------------


def picture(title: str, background: str = "#f4f4f5") -> Image.Image:
    """A 1280x800 screen with a window: a title bar and a few lines of text."""
    image = Image.new("RGB", SIZE, "#1e3a5f")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 18)
    draw.rectangle((200, 120, 1080, 680), fill=background)
    draw.rectangle((200, 120, 1080, 160), fill="#1f2937")
    draw.text((216, 130), title, fill="#ffffff", font=font)
    for i, line in enumerate(["Account", "Invoices", "Settings"]):
        draw.text((230, 200 + 40 * i), f"{line} for {title}", fill="#111827", font=font)
    return image


def grab_of(image: Image.Image) -> Grab:
    """The image as mss would grab it (BGRA)."""
    return Grab(image.convert("RGBA").tobytes("raw", "BGRA"), *image.size)


def thumb(title: str, background: str = "#f4f4f5") -> Any:
    return thumbnail(grab_of(picture(title, background)))


# --- ChangeDetector and CapturePolicy ------------------------------------------------------


def test_one_pixel_of_noise_is_a_near_duplicate() -> None:
    image = picture("Ledger")
    noisy = image.copy()
    noisy.putpixel((640, 400), (255, 0, 255))
    detector = ChangeDetector()
    a, b = thumbnail(grab_of(image)), thumbnail(grab_of(noisy))
    assert detector.difference(a, b) < detector.threshold
    assert detector.same(a, b)


def test_a_new_window_is_a_change() -> None:
    detector = ChangeDetector()
    assert not detector.same(thumb("Ledger"), thumb("Settings", "#fde68a"))


def test_a_changed_title_alone_is_a_change() -> None:
    assert not ChangeDetector().same(thumb("Ledger"), thumb("Invoice 2041 - Ledger"))


def test_the_threshold_is_a_fraction_of_the_screen() -> None:
    with pytest.raises(ValueError):
        ChangeDetector(threshold=0)
    # with a threshold of the whole screen, a new window is still a near-duplicate
    assert ChangeDetector(threshold=1).same(thumb("Ledger"), thumb("Settings"))


def policy(interval: float = 10.0, settle_timeout: float = 2.0) -> CapturePolicy:
    return CapturePolicy(ChangeDetector(), interval=interval, settle_timeout=settle_timeout)


def test_the_first_frame_is_always_kept() -> None:
    decision = policy().observe(thumb("Ledger"), now=0.0)
    assert (decision.action, decision.reason) == (Action.KEEP, "first")


def test_a_change_is_kept_once_the_screen_settles() -> None:
    p = policy()
    p.observe(thumb("Ledger"), 0.0)
    assert p.observe(thumb("Settings", "#fde68a"), 0.5).action is Action.WAIT
    decision = p.observe(thumb("Settings", "#fde68a"), 1.0)
    assert (decision.action, decision.reason) == (Action.KEEP, "change")


def test_a_half_drawn_window_is_not_kept() -> None:
    p = policy()
    p.observe(thumb("Ledger"), 0.0)
    assert p.observe(thumb("Settings", "#fde68a"), 0.5).action is Action.WAIT
    assert p.observe(thumb("Settings", "#bbf7d0"), 1.0).action is Action.WAIT  # still drawing
    assert p.observe(thumb("Settings", "#bbf7d0"), 1.5).action is Action.KEEP


def test_a_change_back_to_the_kept_screen_is_skipped() -> None:
    p = policy()
    p.observe(thumb("Ledger"), 0.0)
    p.observe(thumb("Menu", "#fde68a"), 0.5)  # a menu opens...
    p.observe(thumb("Ledger"), 0.7)  # ...and closes before it settled
    assert p.observe(thumb("Ledger"), 1.0).action is Action.SKIP


def test_an_unchanged_screen_is_skipped_on_the_idle_interval() -> None:
    p = policy(interval=10)
    p.observe(thumb("Ledger"), 0.0)
    assert p.observe(thumb("Ledger"), 5.0).action is Action.WAIT
    decision = p.observe(thumb("Ledger"), 10.0)
    assert (decision.action, decision.reason) == (Action.SKIP, "interval")


def test_a_screen_that_keeps_moving_is_kept_once_per_idle_interval() -> None:
    p = policy(interval=3, settle_timeout=2)
    p.observe(thumb("Frame 0"), 0.0)
    moving = [thumb(f"Frame {i}", f"#{i % 10}0{i % 10}0f0") for i in range(1, 15)]
    decisions = [p.observe(t, i * 0.5) for i, t in enumerate(moving, start=1)]
    kept = [d for d in decisions if d.action is Action.KEEP]  # 7 s of a video
    assert [d.reason for d in kept] == ["interval"]


def test_typing_is_kept_on_the_idle_interval_once_it_adds_up_to_a_change() -> None:
    typed = [thumb("Invoice " + "2041 paid in full"[:n]) for n in range(18)]  # a key per poll
    probe = ChangeDetector()
    step = max(probe.difference(a, b) for a, b in itertools.pairwise(typed))
    total = probe.difference(typed[0], typed[-1])
    assert step < total
    # a threshold no single keystroke reaches, but the whole line does
    p = CapturePolicy(ChangeDetector(threshold=(step + total) / 2), interval=10, settle_timeout=2)
    assert p.observe(typed[0], 0.0).action is Action.KEEP
    decisions = [p.observe(t, 0.5 * i) for i, t in enumerate(typed[1:], start=1)]
    assert all(d.action is Action.WAIT for d in decisions)  # 8.5 s of typing: no change seen
    decision = p.observe(typed[-1], 10.0)
    assert (decision.action, decision.reason) == (Action.KEEP, "interval")


def test_after_typing_a_few_characters_are_kept_though_below_the_threshold() -> None:
    few = [thumb("Invoice"), thumb("Invoice 2")]
    p = CapturePolicy(ChangeDetector(threshold=0.5), interval=10, settle_timeout=2)
    assert p.observe(few[0], 0.0).action is Action.KEEP
    # offered without typing: a near-duplicate under this threshold
    assert p.offer(few[1], 1.0, "before click").action is Action.SKIP
    # offered after keys were typed: any change is the typing, kept
    decision = p.offer(few[1], 1.5, "typing paused", typed=True)
    assert (decision.action, decision.reason) == (Action.KEEP, "typing paused")
    # nothing changed at all: still nothing to keep
    assert p.offer(few[1], 2.0, "typing paused", typed=True).action is Action.SKIP


# --- FrameQueue ----------------------------------------------------------------------------


def session(session_id: str = "s1", started: float = 1.0) -> SessionInfo:
    return SessionInfo(sessionId=session_id, pcName="ACCOUNTS-PC", startedAt=started)


def test_queued_frames_survive_a_new_queue_instance(tmp_path: Path) -> None:
    with FrameQueue.create(tmp_path, session()) as queue:
        queue.put(b"png one", captured_at=1_700_000_000_000)
        queue.put(b"png two", captured_at=1_700_000_005_000)
    [again] = FrameQueue.unfinished(tmp_path)
    with again:
        assert again.info == dataclasses.replace(session(), lastNumber=2)
        frames = again.pending()
    assert [f.read() for f in frames] == [b"png one", b"png two"]
    assert [f.capturedAt for f in frames] == [1_700_000_000_000, 1_700_000_005_000]
    assert all(FRAME_NAME.match(f.filename) for f in frames)
    assert [f.filename[:5] for f in frames] == ["0001-", "0002-"]


def test_a_frame_keeps_its_password_field_boxes_through_a_restart_and_an_upload(
    tmp_path: Path,
) -> None:
    with FrameQueue.create(tmp_path, session()) as queue:
        queue.put(b"png", captured_at=1_700_000_000_000, secrets=[[73, 66, 168, 34]])
        queue.put(b"png two", captured_at=1_700_000_005_000)
    [again] = FrameQueue.unfinished(tmp_path)
    with again:
        first, second = again.pending()
        assert first.secrets == [[73, 66, 168, 34]] and second.secrets is None
        uploaded = again.remember_upload(first, "storage-1")
        assert uploaded.secrets == [[73, 66, 168, 34]]
        assert again.pending()[0].secrets == [[73, 66, 168, 34]]


def test_numbering_continues_after_frames_are_uploaded_and_resumed(tmp_path: Path) -> None:
    with FrameQueue.create(tmp_path, session()) as queue:
        for _ in range(3):
            queue.remove(queue.put(b"png", captured_at=1_700_000_000_000))
    [again] = FrameQueue.unfinished(tmp_path)
    with again:
        assert again.pending() == []
        assert again.put(b"png", captured_at=1_700_000_000_000).filename.startswith("0004-")


def test_what_a_crash_leaves_half_written_is_dropped_on_resume(tmp_path: Path) -> None:
    with FrameQueue.create(tmp_path, session()) as queue:
        kept = queue.put(b"png", captured_at=1_700_000_000_000)
        (queue.directory / "0002-20261124T101500.png").write_bytes(b"no json yet")
        (queue.directory / "0003-20261124T101500.png.tmp").write_bytes(b"half")
    [again] = FrameQueue.unfinished(tmp_path)
    with again:
        assert [f.filename for f in again.pending()] == [kept.filename]
        left = sorted(p.name for p in again.directory.iterdir() if p.suffix in (".png", ".tmp"))
        assert left == [kept.filename]
        # frame 2 was never queued (its JSON is missing), so its number is free again
        assert again.put(b"png", captured_at=1.0).filename.startswith("0002-")


def test_a_queue_in_use_by_another_agent_is_left_alone(tmp_path: Path) -> None:
    with FrameQueue.create(tmp_path, session()) as queue:
        with pytest.raises(QueueBusy):
            FrameQueue.open(queue.directory)
        assert FrameQueue.unfinished(tmp_path) == []
    [free] = FrameQueue.unfinished(tmp_path)
    free.close()


def test_an_upload_not_yet_registered_is_remembered(tmp_path: Path) -> None:
    with FrameQueue.create(tmp_path, session()) as queue:
        queue.remember_upload(queue.put(b"png", captured_at=1.0), "kg2abc")
    [again] = FrameQueue.unfinished(tmp_path)
    with again:
        assert again.pending()[0].storageId == "kg2abc"


def test_a_finished_queue_is_deleted_unless_it_holds_refused_frames(tmp_path: Path) -> None:
    done = FrameQueue.create(tmp_path, session("done"))
    assert done.finish() is True and not done.directory.exists()
    refused = FrameQueue.create(tmp_path, session("refused"))
    frame = refused.put(b"png", captured_at=1.0)
    kept = refused.set_aside(frame, "Session 'refused' is completed")
    assert refused.finish() is False
    assert kept.read_bytes() == b"png"
    meta = json.loads((kept.parent / frame.meta.name).read_text())
    assert meta["error"] == "Session 'refused' is completed"
    assert FrameQueue.unfinished(tmp_path) == []  # kept for a person, not for the agent


def test_unfinished_queues_come_oldest_first(tmp_path: Path) -> None:
    for name, started in (("b", 2.0), ("a", 3.0), ("c", 1.0)):
        FrameQueue.create(tmp_path, session(name, started)).close()
    found = FrameQueue.unfinished(tmp_path)
    assert [q.info.sessionId for q in found] == ["c", "b", "a"]
    for queue in found:
        queue.close()


# --- Client and the command line -----------------------------------------------------------


def test_the_client_tells_an_unreachable_server_from_a_refusal(sessiondocs_server: str) -> None:
    owner = account_for(sessiondocs_server)
    client = Client(sessiondocs_server, token=owner.device_token)
    try:
        session_id = client.create_session(session("agent-client-test"))
        assert session_id == "agent-client-test"
        assert client.create_session(session("agent-client-test")) == session_id  # idempotent
        storage_id = client.upload(b"\x89PNG not really")
        with pytest.raises(ServerRejected) as refused:
            client.register_screenshot("no-such-session", "0001.png", storage_id, 1.0)
        assert refused.value.code == "not_found"
        client.complete_session(session_id)
        with pytest.raises(ServerRejected) as refused:
            client.get_session(session_id)  # a device uploads; it reads nothing
        assert refused.value.code == "forbidden"
    finally:
        client.close()
    person = Client(sessiondocs_server, token=owner.token)
    assert person.get_session(session_id)["status"] == "completed"  # type: ignore[index]
    person.close()
    revoked = Client(sessiondocs_server, token=owner.device_token)
    owner.call(
        sessiondocs_server, "mutation", "devices:revokeDevice", {"deviceId": owner.device_id}
    )
    with pytest.raises(ServerRejected) as refused:
        revoked.create_session(session("after-revoking"))
    assert refused.value.code == "unauthenticated" and "revoked" in str(refused.value)
    revoked.close()
    nowhere = Client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServerUnavailable, match="connection refused"):
        nowhere.get_session("x")
    nowhere.close()


def test_login_keeps_a_checked_device_token_readable_by_its_user_only(
    sessiondocs_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from sessiondocs.agent._token import config_path, load_token

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SESSIONDOCS_DEVICE_TOKEN", raising=False)
    url = sessiondocs_server
    assert agent.main(["--url", url]) == 2
    assert "no device token" in capsys.readouterr().err
    owner = account_for(url)
    assert agent.main(["login", "--url", url, "--token", owner.token]) == 1  # not a device's
    assert agent.main(["login", "--url", url, "--token", "sdd_made-up"]) == 1
    assert load_token(url) is None
    monkeypatch.setattr("sys.stdin", io.StringIO(owner.device_token + "\n"))  # pasted
    assert agent.main(["login", "--url", url]) == 0
    assert load_token(url) == owner.device_token
    assert config_path().stat().st_mode & 0o777 == 0o600


def test_the_public_surface_is_exported() -> None:
    public = {n for n, v in vars(agent).items() if not n.startswith("_") and callable(v)}
    assert public <= set(agent.__all__)
    assert all(hasattr(agent, name) for name in agent.__all__)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "127.0.0.1:3230"], "must be an http:// or https:// URL"),
        (["--url", "http://x", "--interval", "0"], "must be greater than 0"),
        (["--url", "http://x", "--threshold", "2"], "fraction of the screen"),
        (["--interval", "5"], "--url"),
    ],
)
def test_bad_arguments_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        agent.main(args)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


# --- the real thing: Xvfb, a Tk window, the agent and the server as subprocesses ------------

needs_x = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (make system)")

WINDOW = """
import sys, tkinter as tk
state = sys.argv[1]
root = tk.Tk()
root.geometry("1280x800+0+0")
label = tk.Label(root, font=("DejaVu Sans", 64, "bold"), fg="#111827")
label.pack(fill="both", expand=True)
shown = None
def poll():
    global shown
    try:
        with open(state) as f:
            text = f.read()
    except OSError:
        text = None
    if text and text != shown:
        shown = text
        words, _, color = text.partition("|")
        label.configure(text=words, bg=color)
        root.update_idletasks()
        print("shown", text, flush=True)
    root.after(50, poll)
poll()
root.mainloop()
"""

# distinct screen states: (text, background)
STATES = [
    ("Ledger", "#ffffff"),
    ("Invoice 2041", "#dbeafe"),
    ("Settings", "#fde68a"),
    ("Saved", "#bbf7d0"),
]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb display (1280x800, 24 bit), numbered by Xvfb itself."""
    with xvfb_display() as name:
        yield name


class Window:
    """A real Tk window filling the screen; ``show`` changes its text and background."""

    def __init__(self, display: str, tmp: Path) -> None:
        self.state = tmp / "window-state"
        self.log = tmp / "window.log"
        script = tmp / "window.py"
        script.write_text(WINDOW)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(script), str(self.state)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "DISPLAY": display},
            )

    def show(self, text: str, color: str) -> None:
        tmp = self.state.with_suffix(".tmp")
        tmp.write_text(f"{text}|{color}")
        os.replace(tmp, self.state)
        wait_for(f"the window to show {text}", lambda: f"shown {text}|" in self.log.read_text())
        time.sleep(0.1)  # why: Tk has drawn; give the X server a moment to have it on screen

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def window(display: str, tmp_path: Path) -> Iterator[Window]:
    shown = Window(display, tmp_path)
    try:
        yield shown
    finally:
        shown.close()


class Agent:
    """``python -m sessiondocs agent`` as a subprocess on ``display``."""

    def __init__(self, url: str, display: str, tmp: Path, *flags: str, log: str = "agent") -> None:
        self.queue_dir = tmp / "queue"
        self.log = tmp / f"{log}.log"
        command = [sys.executable, "-m", "sessiondocs", "agent", "--url", url]
        command += ["--token", account_for(url).device_token]
        options = ["--interval", "2", "--poll", "0.3", "--queue-dir", str(self.queue_dir)]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [*command, *options, *flags],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT / "src")},
            )

    def output(self) -> str:
        return self.log.read_text()

    def interrupt(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Ctrl-C (or ``sig``); the exit status and everything the agent printed."""
        self.process.send_signal(sig)
        return self.wait()

    def wait(self) -> tuple[int, str]:
        """The exit status and everything the agent printed, once it has exited."""
        try:
            code = self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return code, self.output()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def call(url: str, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
    """Call a function as the person whose device the agent uses."""
    return account_for(url).call(url, kind, path, args)


def sessions(url: str) -> list[dict[str, Any]]:
    return list(call(url, "query", "sessions:listSessions"))


def shots(url: str, session_id: str) -> list[dict[str, Any]]:
    return list(call(url, "query", "screenshots:listBySession", {"sessionId": session_id}))


def only_session(url: str) -> str:
    found = wait_for("the agent's session", lambda: sessions(url))
    assert len(found) == 1
    return str(found[0]["sessionId"])


@needs_x
def test_the_agent_uploads_each_distinct_screen_once_and_completes_the_session(
    sessiondocs_server: str, window: Window, display: str, tmp_path: Path
) -> None:
    url = sessiondocs_server
    window.show(*STATES[0])
    running = Agent(url, display, tmp_path, "--no-redact")
    try:
        session_id = only_session(url)
        wait_for("the first frame", lambda: len(shots(url, session_id)) == 1)
        for count, state in enumerate(STATES[1:], start=2):
            window.show(*state)
            wait_for(f"frame {count}", lambda n=count: len(shots(url, session_id)) >= n)
        time.sleep(2.5)  # idle intervals on an unchanged screen upload nothing more
        code, out = running.interrupt()
    finally:
        running.kill()
    assert code == 0, out
    [made] = sessions(url)
    assert made["pcName"] == socket.gethostname()
    assert made["status"] == "completed" and made["redact"] is False
    uploaded = shots(url, session_id)
    assert len(uploaded) == len(STATES), out
    assert [s["filename"][:5] for s in uploaded] == ["0001-", "0002-", "0003-", "0004-"]
    assert all(FRAME_NAME.match(s["filename"]) for s in uploaded)
    for shot, (_, color) in zip(uploaded, STATES, strict=True):
        image = Image.open(io.BytesIO(httpx.get(shot["url"], timeout=10).content))
        assert image.format == "PNG" and image.size == SIZE
        # the settled screen, not a half-drawn one: the state's background, edge to edge
        expected = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert image.convert("RGB").getpixel((20, 780)) == expected
    assert f"session {session_id}: 4 frames uploaded" in out
    assert "skipped as duplicates, completed" in out
    assert list(running.queue_dir.iterdir()) == []  # the queue is gone once completed


@needs_x
def test_frames_captured_while_the_server_restarts_are_uploaded_once(
    sessiondocs_process: SessiondocsServer, window: Window, display: str, tmp_path: Path
) -> None:
    url = sessiondocs_process.url
    window.show(*STATES[0])
    running = Agent(url, display, tmp_path)
    try:
        session_id = only_session(url)
        wait_for("the first frame", lambda: len(shots(url, session_id)) == 1)
        sessiondocs_process.stop()
        window.show(*STATES[1])
        queued = running.queue_dir / session_id
        wait_for("a frame queued during the outage", lambda: list(queued.glob("0002-*.json")))
        wait_for("the agent to notice", lambda: "server unreachable" in running.output())
        sessiondocs_process.start()
        wait_for("the queued frame", lambda: len(shots(url, session_id)) == 2, timeout=30)
        code, out = running.interrupt(signal.SIGTERM)
    finally:
        running.kill()
    assert code == 0, out
    [made] = sessions(url)
    assert made["status"] == "completed" and made["redact"] is True
    names = [s["filename"] for s in shots(url, session_id)]
    assert len(names) == len(set(names)) == 2, out
    assert "server reachable after" in out and "2 frames uploaded" in out


@needs_x
def test_an_agent_whose_session_was_completed_elsewhere_stops_and_keeps_the_frame(
    sessiondocs_process: SessiondocsServer, window: Window, display: str, tmp_path: Path
) -> None:
    url = sessiondocs_process.url
    window.show(*STATES[0])
    running = Agent(url, display, tmp_path)
    try:
        session_id = only_session(url)
        wait_for("the first frame", lambda: len(shots(url, session_id)) == 1)
        call(url, "mutation", "sessions:completeSession", {"sessionId": session_id})  # web app
        window.show(*STATES[1])
        code, out = running.wait()
    finally:
        running.kill()
    assert code == 1, out
    assert f"session {session_id} no longer takes frames" in out
    assert len(shots(url, session_id)) == 1
    refused = running.queue_dir / session_id / "rejected"
    assert [p.name[:5] for p in refused.glob("*.png")] == ["0002-"]
    assert "1 refused by the server" in out
    # the refused frame's upload was discarded on the server: one file, the first frame's
    wait_for(
        "the first frame's OCR",
        lambda: shots(url, session_id)[0]["status"] in ("done", "failed"),
    )
    storage = sessiondocs_process.data_dir / "storage"
    assert sum(1 for p in storage.rglob("*") if p.is_file()) == 1


def with_account(server: SessiondocsServer) -> SessiondocsServer:
    """``server``, stopped, with its person and their device token made (a first run)."""
    server.start()
    try:
        server.account()
    finally:
        server.stop()
    return server


@needs_x
def test_an_agent_started_before_its_server_waits_for_it(
    window: Window, display: str, tmp_path: Path
) -> None:
    server = with_account(SessiondocsServer(tmp_path / "server" / "data"))
    window.show(*STATES[0])
    running = Agent(server.url, display, tmp_path, "--max-frames", "1")
    try:
        wait_for("the agent to report", lambda: "server unreachable" in running.output())
        assert "retrying" in running.output() and running.process.poll() is None
        queued = wait_for("a queued frame", lambda: list(running.queue_dir.glob("*/0001-*.png")))
        server.start()
        code, out = running.wait()  # --max-frames 1: it stops once that frame is uploaded
        assert code == 0, out
        session_id = only_session(server.url)
        assert queued[0].parent.name == session_id
        assert [s["filename"][:5] for s in shots(server.url, session_id)] == ["0001-"]
        [made] = sessions(server.url)
        assert made["status"] == "completed" and made["pcName"] == socket.gethostname()
    finally:
        running.kill()
        server.stop()


@needs_x
def test_a_crashed_session_is_resumed_and_a_stopped_one_finished_by_the_next_run(
    window: Window, display: str, tmp_path: Path
) -> None:
    server = with_account(SessiondocsServer(tmp_path / "server" / "data"))
    window.show(*STATES[0])
    crashed = Agent(server.url, display, tmp_path, log="crashed")
    queue = crashed.queue_dir
    wait_for("a queued frame", lambda: list(queue.glob("*/0001-*.json")))
    crashed.kill()  # no chance to clean up
    [session_dir] = queue.iterdir()
    window.show(*STATES[1])
    resumed = Agent(server.url, display, tmp_path, "--flush-timeout", "1", log="resumed")
    try:
        wait_for("a second frame", lambda: list(session_dir.glob("0002-*.json")))
        code, out = resumed.interrupt()  # the server is still down: the frames stay queued
    finally:
        resumed.kill()
    assert code == 0, out
    assert f"resuming session {session_dir.name}" in out
    assert "2 frames still queued (server unreachable)" in out
    server.start()
    try:
        window.show(*STATES[2])
        later = Agent(server.url, display, tmp_path, "--max-frames", "1", log="later")
        code, out = later.wait()
        assert code == 0, out
        assert f"earlier session {session_dir.name}: 2 queued frames to upload" in out
        by_id = {s["sessionId"]: s for s in sessions(server.url)}
        assert len(by_id) == 2 and all(s["status"] == "completed" for s in by_id.values())
        earlier = [s["filename"][:5] for s in shots(server.url, session_dir.name)]
        assert earlier == ["0001-", "0002-"]
        assert list(queue.iterdir()) == []
    finally:
        later.kill()
        server.stop()


@needs_x
def test_a_monitor_that_does_not_exist_is_a_usage_error(
    display: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISPLAY", display)
    assert agent.main(["--url", "http://127.0.0.1:1", "--token", "sdd_x", "--monitor", "7"]) == 2
    assert "no monitor 7 (this display has 0 = 1280x800, 1 = 1280x800)" in capsys.readouterr().err


# --- input events: clicks and keys, recorded under Xvfb, driven by xdotool -------------------

needs_xdotool = pytest.mark.skipif(
    shutil.which("xdotool") is None or shutil.which("Xvfb") is None,
    reason="needs Xvfb and xdotool (make system)",
)

LEDGER = """
import sys, tkinter as tk
root = tk.Tk()
root.title("Invoices - Ledger")
root.geometry("1280x800+0+0")
root.configure(bg="#f8fafc")
font = ("DejaVu Sans", 16)
bar = tk.Frame(root, bg="#f8fafc")
bar.pack(anchor="w", padx=16, pady=12)
body = tk.Frame(root, bg="#f8fafc")
body.pack(anchor="w", padx=32, pady=8, fill="both", expand=True)
heading = tk.Label(body, text="Invoices", font=("DejaVu Sans", 22, "bold"), bg="#f8fafc")
heading.pack(anchor="w")
rows = tk.Label(body, text="INV-2039  Novak Trading  1,250.00 CZK", font=font, bg="#f8fafc")
rows.pack(anchor="w", pady=8)
form = tk.Frame(body, bg="#f8fafc")
tk.Label(form, text="Customer", font=font, bg="#f8fafc").grid(row=0, column=0, padx=8, pady=8)
customer = tk.Entry(form, font=font, width=30)
customer.grid(row=0, column=1, padx=8, pady=8)
note = tk.Label(root, text="", font=font, bg="#dcfce7")

def where(widget, name):
    widget.update_idletasks()
    x = widget.winfo_rootx() + widget.winfo_width() // 2
    y = widget.winfo_rooty() + widget.winfo_height() // 2
    print("at", name, x, y, flush=True)

def open_form():
    root.title("New invoice - Ledger")
    heading.configure(text="New invoice")
    rows.pack_forget()
    form.pack(anchor="w", pady=8)
    save.grid(row=1, column=1, sticky="w", padx=8, pady=8)
    root.after(300, lambda: (where(customer, "Customer"), where(save, "Save")))

def saved():
    root.title("Invoices - Ledger")
    heading.configure(text="Invoices")
    form.pack_forget()
    rows.configure(text=rows.cget("text") + "\\nINV-2041  " + customer.get() + "  Draft")
    rows.pack(anchor="w", pady=8)
    note.configure(text="Invoice INV-2041 saved")
    note.place(x=860, y=720)
    print("saved", flush=True)

new = tk.Button(bar, text="New invoice", font=font, command=open_form)
new.pack(side="left")
save = tk.Button(form, text="Save", font=font, command=saved)
root.after(300, lambda: where(new, "New invoice"))
root.mainloop()
"""


class Ledger:
    """A real Tk app on ``display``: a list with "New invoice", a form with "Save"."""

    def __init__(self, display: str, tmp: Path) -> None:
        self.display = display
        self.log = tmp / "ledger.log"
        script = tmp / "ledger.py"
        script.write_text(LEDGER)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(script)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "DISPLAY": display},
            )

    def spot(self, name: str) -> tuple[int, int]:
        """Where the widget ``name`` is on the screen, as the app printed it."""
        found = wait_for(
            f"the {name} widget",
            lambda: re.search(rf"^at {re.escape(name)} (\d+) (\d+)$", self.log.read_text(), re.M),
        )
        return int(found[1]), int(found[2])

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], check=True, env={**os.environ, "DISPLAY": self.display})

    def click(self, name: str) -> None:
        x, y = self.spot(name)
        self.xdotool("mousemove", str(x), str(y))
        time.sleep(0.4)  # why: a person points, then clicks; the agent polls meanwhile
        self.xdotool("click", "1")
        time.sleep(1.2)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def ready_doc(url: str, session_id: str) -> dict[str, Any]:
    def ready() -> Any:
        doc = call(url, "query", "docs:getDocumentation", {"sessionId": session_id})
        return doc if doc and doc["status"] == "ready" else None

    return dict(wait_for("the documentation", ready, timeout=90))


@needs_xdotool
def test_the_agent_records_clicks_and_the_steps_name_what_was_clicked(
    sessiondocs_server: str, display: str, tmp_path: Path
) -> None:
    url = sessiondocs_server
    ledger = Ledger(display, tmp_path)
    # why: the agent starts once the ledger is drawn, so its first frame is the whole window
    # (a frame taken while Tk still paints becomes an extra "Open" step)
    try:
        ledger.spot("New invoice")
        time.sleep(0.5)
    except BaseException:
        ledger.close()
        raise
    running = Agent(url, display, tmp_path)
    try:
        session_id = only_session(url)
        wait_for("the first frame", lambda: len(shots(url, session_id)) >= 1)
        ledger.click("New invoice")
        ledger.click("Customer")
        ledger.xdotool("type", "--delay", "60", "Dvorak Logistics")
        time.sleep(1.5)  # typing pauses: the agent looks at the screen
        ledger.click("Save")
        wait_for("the save", lambda: "saved" in ledger.log.read_text())
        time.sleep(1.0)
        code, out = running.interrupt()
    finally:
        running.kill()
        ledger.close()
    assert code == 0, out
    # the agent said what it records, and what it never does
    assert "recording mouse clicks" in out and "never what you type" in out
    uploaded = shots(url, session_id)
    events = [s["event"] for s in uploaded if s.get("event")]
    assert [e["kind"] for e in events] == ["click", "click", "click"], events
    assert all(e["window"].endswith("- Ledger") and e["button"] == "left" for e in events)
    assert not any("Dvorak" in json.dumps(s.get("event")) for s in uploaded)  # never typed text
    doc = ready_doc(url, session_id)
    titles = [step["title"] for step in doc["steps"]]
    # (with no window manager on the virtual display, windows have no title bar to read)
    assert titles == [
        titles[0],
        'Click "New invoice"',
        'Type "Dvorak Logistics" into "Customer"',  # clicking into it is part of typing
        'Click "Save"',
    ], titles
    assert titles[0].startswith("Start")
    save = next(step for step in doc["steps"] if step["title"] == 'Click "Save"')
    assert 'A message says "Invoice INV-2041 saved"' in save["description"], save
    assert save["marker"] == [events[-1]["x"], events[-1]["y"]]


@needs_xdotool
def test_with_input_events_off_the_agent_records_no_click(
    sessiondocs_server: str, display: str, tmp_path: Path
) -> None:
    url = sessiondocs_server
    ledger = Ledger(display, tmp_path)
    running = Agent(url, display, tmp_path, "--no-input-events")
    try:
        ledger.spot("New invoice")
        session_id = only_session(url)
        wait_for("the first frame", lambda: len(shots(url, session_id)) >= 1)
        ledger.click("New invoice")
        wait_for("the form", lambda: len(shots(url, session_id)) >= 2)
        code, out = running.interrupt()
    finally:
        running.kill()
        ledger.close()
    assert code == 0, out
    assert "recording mouse clicks" not in out
    assert not any(s.get("event") for s in shots(url, session_id))


# --- password fields the toolkit declares (AT-SPI) -------------------------------------------

GTK_FORM = r"""
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk

window = Gtk.Window(title="Profile - Desk")
window.set_default_size(800, 400)
grid = Gtk.Grid(row_spacing=8, column_spacing=8, margin=24)
entries = {}
for row, (label, secret) in enumerate([("Name", False), ("Answer", True), ("Notes", False)]):
    grid.attach(Gtk.Label(label=label), 0, row, 1, 1)
    entry = Gtk.Entry()
    entry.set_visibility(not secret)  # a password field, labelled like none
    grid.attach(entry, 1, row, 1, 1)
    entries[label] = entry
window.add(grid)
window.connect("destroy", Gtk.main_quit)
window.show_all()


def report():
    for label, entry in entries.items():
        x, y = entry.get_window().get_origin()[1:]
        box = entry.get_allocation()
        print(f"at {label} {x + box.x} {y + box.y} {box.width} {box.height}", flush=True)
    return False


GLib.timeout_add(500, report)
Gtk.main()
"""


def _gtk_available() -> bool:
    check = "import gi; gi.require_version('Gtk', '3.0'); from gi.repository import Gtk"
    try:
        done = subprocess.run(["/usr/bin/python3", "-c", check], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_atspi = pytest.mark.skipif(
    shutil.which("Xvfb") is None
    or shutil.which("dbus-daemon") is None
    or not Path("/usr/libexec/at-spi-bus-launcher").exists()
    or not _gtk_available(),
    reason="needs Xvfb, dbus-daemon, at-spi2-core and GTK for python3 (make system)",
)


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    """A private D-Bus session bus (the accessibility bus is started from it on demand)."""
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        env={**os.environ, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path)},
    )
    try:
        assert bus.stdout is not None
        yield bus.stdout.readline().decode().strip()
    finally:
        bus.terminate()
        bus.wait(10)
        bus.stdout.close()


def _start_form(display: str, session_bus: str, tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    script = tmp_path / "form.py"
    script.write_text(GTK_FORM)
    log = tmp_path / "form.log"
    env = {
        **os.environ,
        "DISPLAY": display,
        "DBUS_SESSION_BUS_ADDRESS": session_bus,
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    with open(log, "wb") as out:
        app = subprocess.Popen(["/usr/bin/python3", str(script)], stdout=out, stderr=out, env=env)
    try:
        found = wait_for(
            "the form's fields",
            lambda: re.findall(r"^at (\w+) (\d+) (\d+) (\d+) (\d+)$", log.read_text(), re.M),
        )
    except BaseException:
        app.terminate()
        app.wait(10)
        raise
    return app, {name: tuple(int(n) for n in box) for name, *box in found}


@needs_atspi
def test_the_toolkit_tells_which_field_is_a_password_field_over_at_spi(
    display: str, session_bus: str, tmp_path: Path
) -> None:
    app, fields = _start_form(display, session_bus, tmp_path)
    reader = agent.AtspiSecretFields(session_bus)
    try:
        boxes = wait_for("the password field over AT-SPI", reader.boxes)
        # the "Answer" field (nothing in its label says password) is found, where GTK drew
        # it; the others are not
        assert boxes == [fields["Answer"]], (boxes, fields)
    finally:
        reader.close()
        app.terminate()
        app.wait(10)


def test_no_accessibility_bus_means_no_boxes_and_no_error(tmp_path: Path) -> None:
    assert agent.AtspiSecretFields(f"unix:path={tmp_path / 'none'}").boxes() == []
    assert agent.NoSecretFields().boxes() == []


@needs_atspi
def test_the_agent_covers_a_password_field_the_toolkit_declares_on_every_frame(
    sessiondocs_server: str,
    display: str,
    session_bus: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sessiondocs_server
    app, fields = _start_form(display, session_bus, tmp_path)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    running = Agent(url, display, tmp_path)  # redaction on, the default
    try:
        session_id = only_session(url)
        wait_for(
            "the first frame read",
            lambda: [s for s in shots(url, session_id) if s["status"] in ("done", "failed")],
        )
        code, out = running.interrupt()
    finally:
        running.kill()
        app.terminate()
        app.wait(10)
    assert code == 0, out
    first = shots(url, session_id)[0]
    assert first["status"] == "done" and first["redacted"], first
    assert first["secretBoxes"] == [list(fields["Answer"])]
    stored = Image.open(io.BytesIO(httpx.get(first["url"], timeout=30).content)).convert("RGB")
    left, top, width, height = fields["Answer"]
    pin = stored.crop((left, top, left + width, top + height))
    assert pin.getextrema() == ((0, 0), (0, 0), (0, 0))  # covered whole, border included
    left, top, width, height = fields["Name"]
    name = stored.crop((left, top, left + width, top + height))
    assert name.getextrema()[0][1] > 200  # a plain field is left as it was
