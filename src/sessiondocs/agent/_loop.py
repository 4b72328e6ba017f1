"""The capture loop: poll the screen, let the policy decide, queue the frames it keeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sessiondocs.agent._change import Action, CapturePolicy
from sessiondocs.agent._queue import FrameQueue
from sessiondocs.agent._report import Reporter
from sessiondocs.agent._screen import Grab, Screen, ScreenError, encode_png, thumbnail
from sessiondocs.agent._uploader import Uploader

# why: a locked screen (Windows' secure desktop) cannot be grabbed for a while; a display
# that went away for good can't either: give up only after this many seconds of failures
GIVE_UP = 60.0


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

    def run(self, stop: threading.Event) -> CaptureStats:
        """Capture until ``stop`` is set, the frame limit is reached, or the server closed the
        session; ScreenError if the screen cannot be captured for ``GIVE_UP`` seconds."""
        while not stop.is_set() and self.uploader.closed_reason is None:
            grab = self._grab()
            if grab is None:
                stop.wait(self.poll)
                continue
            captured_at = time.time() * 1000
            decision = self.policy.observe(thumbnail(grab), self.clock())
            if decision.action is Action.KEEP:
                frame = self.queue.put(encode_png(grab), captured_at)
                self.uploader.wake()
                self.stats.kept += 1
                self.report.info(f"captured {frame.filename} ({decision.reason})")
                if self.max_frames is not None and self.stats.kept >= self.max_frames:
                    break
            elif decision.action is Action.SKIP:
                self.stats.skipped += 1
            stop.wait(self.poll)
        return self.stats

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
