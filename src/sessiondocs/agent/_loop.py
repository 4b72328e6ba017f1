"""The capture loop: poll the screen, let the policy decide, queue the frames it keeps.

With an input recorder, a click or a key that acts (Enter, Tab, a shortcut) is captured on
both sides: the latest poll, taken just before it, is kept unless the last kept frame already
shows the same screen, and a frame taken ``AFTER_INPUT`` seconds later is kept with the event,
whatever changed, so the documentation can show what was clicked and what it caused. A pause
in typing is offered to the policy too, so the typed text is in a frame before the next action.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sessiondocs.agent._change import Action, CapturePolicy
from sessiondocs.agent._queue import FrameQueue
from sessiondocs.agent._report import Reporter
from sessiondocs.agent._screen import Grab, Screen, ScreenError, encode_png, thumbnail
from sessiondocs.agent._secrets import SecretFields
from sessiondocs.agent._uploader import Uploader

# why: a locked screen (Windows' secure desktop) cannot be grabbed for a while; a display
# that went away for good can't either: give up only after this many seconds of failures
GIVE_UP = 60.0
AFTER_INPUT = 0.4  # seconds from a click or key to the frame that shows what it caused
TYPING_PAUSE = 0.8  # seconds without a key after typing before the screen is looked at
DOUBLE_CLICK = 0.5  # a second click on the same spot within this many seconds is one action


@dataclass
class CaptureStats:
    kept: int = 0  # frames queued for upload
    skipped: int = 0  # candidates dropped as near-duplicates of the last kept frame


class CaptureLoop:
    """Polls ``screen`` every ``poll`` seconds until stopped (or ``max_frames`` are kept)."""

    def __init__(
        self,
        screen: Screen,
        policy: CapturePolicy,
        queue: FrameQueue,
        uploader: Uploader,
        report: Reporter,
        poll: float,
        max_frames: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        inputs: queue.SimpleQueue[dict[str, Any]] | None = None,
        secrets: SecretFields | None = None,
    ) -> None:
        self.screen = screen
        self.policy = policy
        self.queue = queue
        self.uploader = uploader
        self.report = report
        self.poll = poll
        self.max_frames = max_frames
        self.clock = clock
        self.stats = CaptureStats()
        self._failing_since: float | None = None
        self.inputs = inputs  # events from the input recorder (``_input.py``)
        self.secrets = secrets  # password fields the toolkits declare (``_secrets.py``)
        self._last: tuple[Grab, float, Any] | None = None  # the latest poll: grab, time, thumb
        self._typed_at: float | None = None
        self._typed = False  # keys typed since the last kept frame
        self._last_click: dict[str, Any] | None = None

    def run(self, stop: threading.Event) -> CaptureStats:
        """Capture until ``stop`` is set, the frame limit is reached, or the server closed the
        session; ScreenError if the screen cannot be captured for ``GIVE_UP`` seconds."""
        while not stop.is_set() and self.uploader.closed_reason is None and not self._full():
            if self._act_on_input(stop):
                continue
            polled = self._poll()
            if polled is None:
                stop.wait(self.poll)
                continue
            grab, captured_at, thumb = polled
            decision = self.policy.observe(thumb, self.clock())
            if decision.action is Action.KEEP:
                self._keep(grab, captured_at, decision.reason)
                if self._full():
                    break
            elif decision.action is Action.SKIP:
                self.stats.skipped += 1
            self._wait(stop, self.poll)
        return self.stats

    def _poll(self) -> tuple[Grab, float, Any] | None:
        """Grab the screen now: the grab, when (ms since the epoch) and its thumbnail, kept as
        the latest poll; None while it cannot be grabbed."""
        grab = self._grab()
        if grab is None:
            return None
        self._last = (grab, time.time() * 1000, thumbnail(grab))
        return self._last

    def _secret_boxes(self) -> list[list[int]] | None:
        """The toolkits' password fields showing now, in the screenshot's pixels (clipped to
        it); None when there are none."""
        if self.secrets is None:
            return None
        left, top = self.screen.origin
        width, height = self.screen.size
        placed = []
        for x, y, w, h in self.secrets.boxes():
            x0, y0 = max(0, x - left), max(0, y - top)
            x1, y1 = min(width, x - left + w), min(height, y - top + h)
            if x1 > x0 and y1 > y0:
                placed.append([x0, y0, x1 - x0, y1 - y0])
        return placed or None

    def _full(self) -> bool:
        return self.max_frames is not None and self.stats.kept >= self.max_frames

    def _keep(
        self, grab: Grab, captured_at: float, reason: str, event: dict[str, Any] | None = None
    ) -> None:
        frame = self.queue.put(encode_png(grab), captured_at, event, self._secret_boxes())
        self._typed = False
        self.uploader.wake()
        self.stats.kept += 1
        self.report.info(f"captured {frame.filename} ({reason})")

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        """Sleep until the next poll, or until an input event arrives."""
        if self.inputs is None:
            stop.wait(seconds)
            return
        deadline = self.clock() + seconds
        while not stop.is_set() and self.inputs.empty():
            left = deadline - self.clock()
            if left <= 0:
                return
            stop.wait(min(left, 0.02))

    # --- input events --------------------------------------------------------------------

    def _act_on_input(self, stop: threading.Event) -> bool:
        """Capture around the next click or key recorded; True if one was captured."""
        if self.inputs is None:
            return False
        while True:
            try:
                event = self.inputs.get_nowait()
            except queue.Empty:
                break
            if event.get("kind") == "typing":
                self._typed_at = self.clock()
                self._typed = True
                continue
            placed = self._placed(event)
            if placed is None:
                continue
            self._capture_around(placed, stop)
            return True
        if self._typed_at is not None and self.clock() - self._typed_at >= TYPING_PAUSE:
            self._typed_at = None
            polled = self._poll()
            if polled is not None:
                grab, captured_at, thumb = polled
                decision = self.policy.offer(thumb, self.clock(), "typing paused", self._typed)
                if decision.action is Action.KEEP:
                    self._keep(grab, captured_at, decision.reason)
                    return True
        return False

    def _placed(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The event in the screenshot's pixels; None for a click outside the monitor or the
        second click of a double-click."""
        if event.get("kind") != "click":
            return dict(event)
        left, top = self.screen.origin
        width, height = self.screen.size
        x, y = int(event["x"]) - left, int(event["y"]) - top
        if not (0 <= x < width and 0 <= y < height):
            return None
        placed = {**event, "x": x, "y": y}
        previous, self._last_click = self._last_click, placed
        if (
            previous is not None
            and previous.get("button") == placed.get("button")
            and abs(previous["x"] - x) <= 4
            and abs(previous["y"] - y) <= 4
            and 0 <= placed["at"] - previous["at"] <= DOUBLE_CLICK * 1000
        ):
            return None
        return placed

    def _capture_around(self, event: dict[str, Any], stop: threading.Event) -> None:
        """Keep the screen just before ``event`` (unless already kept) and just after it."""
        if self._last is not None:
            before, before_at, before_thumb = self._last
            decision = self.policy.offer(
                before_thumb, self.clock(), f"before {event['kind']}", self._typed
            )
            if decision.action is Action.KEEP and not self._full():
                self._keep(before, before_at, decision.reason)
        wait = event["at"] / 1000 + AFTER_INPUT - time.time()
        if wait > 0:
            stop.wait(wait)
        if self._full():
            return
        polled = self._poll()
        if polled is None:
            return
        grab, captured_at, thumb = polled
        self.policy.kept(thumb, self.clock())
        what = event.get("key") or f"{event.get('button', 'left')} click"
        self._keep(grab, captured_at, f"after {what}", _uploaded(event))
        self._typed_at = None

    def _grab(self) -> Grab | None:
        """A grab, or None while the screen cannot be captured (for at most GIVE_UP s)."""
        try:
            grab = self.screen.grab()
        except ScreenError as exc:
            now = self.clock()
            if self._failing_since is None:
                self._failing_since = now
                self.report.warn(f"{exc}; trying again (is the screen locked?)")
            elif now - self._failing_since > GIVE_UP:
                raise
            return None
        if self._failing_since is not None:
            self._failing_since = None
            self.report.info("capturing again")
        return grab


def _uploaded(event: dict[str, Any]) -> dict[str, Any]:
    """The event as the server takes it (``screenshots:registerScreenshot``'s ``event``)."""
    keep = ("kind", "at", "x", "y", "button", "window") if event["kind"] == "click" else (
        "kind", "at", "key", "window")  # fmt: skip
    return {k: event[k] for k in keep if event.get(k) not in (None, "")}
