"""When to keep a frame: near-duplicate detection and the capture policy (no I/O, no clock).

The policy, poll by poll (each poll hands over a thumbnail and the time):

- the first frame is always kept;
- a *change* is a poll that differs from the previous poll by at least the threshold (a
  window opened, a page switched). The policy then waits for the screen to *settle* (two
  consecutive polls that are near-duplicates of each other) so that a half-drawn window is
  not kept, and keeps the settled frame unless it is a near-duplicate of the last kept frame
  (a menu that opened and closed again). A screen that does not settle within the settle
  timeout (a video, an animation) is left to the idle interval;
- on the *idle interval* (that long since the last kept frame or the last interval check)
  the current frame is compared with the last kept frame, and kept if it is not a
  near-duplicate. This catches slow changes that never move the screen by the threshold
  between two polls (typing, a growing log), at most once per interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

DEFAULT_THRESHOLD = 0.001  # fraction of thumbnail cells that must change (0.1% of the screen)
CELL_TOLERANCE = 8  # levels (of 255) a cell's color may move without counting as changed


class ChangeDetector:
    """Compares thumbnails: the fraction of cells that changed, and whether that is a change.

    ``threshold`` is the fraction of cells (0-1) whose color must move by more than
    ``tolerance`` levels in some channel for two frames to count as different; below it
    they are near-duplicates. Thumbnails come from ``thumbnail()``.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, tolerance: int = CELL_TOLERANCE):
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.tolerance = tolerance

    def difference(self, a: np.ndarray, b: np.ndarray) -> float:
        """The fraction of cells that differ by more than the tolerance (1.0 if sizes differ)."""
        if a.shape != b.shape:
            return 1.0
        if np.array_equal(a, b):  # the usual answer while the screen is idle, and cheap
            return 0.0
        # why: max - min stays in uint8 (no widening copy) and cannot wrap around
        delta = np.maximum(a, b) - np.minimum(a, b)
        if delta.ndim == 3:
            delta = delta.max(axis=2)
        return float(np.count_nonzero(delta > self.tolerance)) / delta.size

    def same(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether ``b`` is a near-duplicate of ``a``."""
        return self.difference(a, b) < self.threshold


class Action(Enum):
    """What to do with the frame just polled."""

    WAIT = "wait"  # nothing to keep yet
    KEEP = "keep"  # encode, queue and upload it
    SKIP = "skip"  # a candidate, but a near-duplicate of the last kept frame


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one poll."""

    action: Action
    reason: str = ""  # for KEEP and SKIP: "first", "change" or "interval"


WAIT = Decision(Action.WAIT)


class CapturePolicy:
    """Decides, poll by poll, which frames to keep (see the module docstring)."""

    def __init__(self, detector: ChangeDetector, interval: float, settle_timeout: float) -> None:
        self.detector = detector
        self.interval = interval
        self.settle_timeout = settle_timeout
        self._kept: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._settling_since: float | None = None
        self._last_check = 0.0

    def observe(self, thumb: np.ndarray, now: float) -> Decision:
        """Take the thumbnail polled at ``now`` (seconds, monotonic) and decide."""
        previous, self._previous = self._previous, thumb
        if self._kept is None:
            return self._keep(thumb, now, "first")
        if self._settling_since is not None:
            if previous is not None and self.detector.same(previous, thumb):
                self._settling_since = None
                return self._offer(thumb, now, "change")
            if now - self._settling_since < self.settle_timeout:
                return WAIT
            self._settling_since = None  # still moving: the idle interval takes over
        elif previous is not None and not self.detector.same(previous, thumb):
            self._settling_since = now
            return WAIT
        if now - self._last_check >= self.interval:
            return self._offer(thumb, now, "interval")
        return WAIT

    def offer(self, thumb: np.ndarray, now: float, reason: str, typed: bool = False) -> Decision:
        """Keep ``thumb`` now unless it is a near-duplicate of the last kept frame (the frame
        just before a click, or after typing paused). With ``typed`` (keys were typed since
        the last kept frame), any change at all counts: a few characters in a field are below
        the threshold, and they are the step."""
        self._previous = thumb
        if self._kept is None:
            return self._keep(thumb, now, reason)
        if typed:
            self._last_check = now
            if self.detector.difference(self._kept, thumb) == 0.0:
                return Decision(Action.SKIP, reason)
            return self._keep(thumb, now, reason)
        return self._offer(thumb, now, reason)

    def kept(self, thumb: np.ndarray, now: float) -> None:
        """``thumb`` was kept whatever the policy would say (the frame after a click)."""
        self._previous = thumb
        self._settling_since = None
        self._keep(thumb, now, "input")

    def _offer(self, thumb: np.ndarray, now: float, reason: str) -> Decision:
        self._last_check = now
        assert self._kept is not None
        if self.detector.same(self._kept, thumb):
            return Decision(Action.SKIP, reason)
        return self._keep(thumb, now, reason)

    def _keep(self, thumb: np.ndarray, now: float, reason: str) -> Decision:
        self._kept = thumb
        self._last_check = now
        return Decision(Action.KEEP, reason)
