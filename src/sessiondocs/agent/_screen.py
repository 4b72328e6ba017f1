"""The screen as the agent sees it: raw grabs through ``mss``, small thumbnails, PNG bytes.

Polling must stay cheap, so a poll never encodes a PNG: it grabs the monitor (a few
milliseconds on X11) and shrinks the raw BGRA pixels to a thumbnail about 256 cells wide in
C (Pillow's ``reduce``). Only a frame that is kept is encoded as PNG.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import mss
import numpy as np
from PIL import Image

THUMB_WIDTH = 256  # about this many cells across; each cell is the mean of a block of pixels


class ScreenError(Exception):
    """The screen cannot be captured (no display, no such monitor)."""


@dataclass(frozen=True)
class Grab:
    """One raw capture: BGRA pixels, 4 bytes each, row by row."""

    bgra: bytes | bytearray
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


def _open_mss() -> Any:
    # why: mss 10 renamed the factory to MSS and deprecates mss.mss; the pin allows mss 9 too
    factory = getattr(mss, "MSS", None) or mss.mss
    return factory()


class Screen:
    """One monitor, grabbed on demand. ``monitor`` 1 is the primary one, 0 all of them."""

    def __init__(self, monitor: int = 1) -> None:
        try:
            self._mss = _open_mss()
        except Exception as exc:  # mss raises ScreenShotError, or OSError without a display
            raise ScreenError(f"cannot open the screen: {exc}") from exc
        monitors = self._mss.monitors
        if not 0 <= monitor < len(monitors):
            self._mss.close()
            choices = ", ".join(f"{i} = {m['width']}x{m['height']}" for i, m in enumerate(monitors))
            raise ScreenError(f"no monitor {monitor} (this display has {choices})")
        self.monitor = monitor
        self._area = monitors[monitor]

    @property
    def size(self) -> tuple[int, int]:
        return (int(self._area["width"]), int(self._area["height"]))

    @property
    def origin(self) -> tuple[int, int]:
        """Where the monitor's top-left pixel is on the whole display (input events' space)."""
        return (int(self._area["left"]), int(self._area["top"]))

    def grab(self) -> Grab:
        """The monitor's pixels now."""
        try:
            shot = self._mss.grab(self._area)
        except Exception as exc:
            raise ScreenError(f"cannot capture the screen: {exc}") from exc
        # why: .raw is the buffer mss filled; .bgra would copy it (4 MB at 1280x800) each poll
        return Grab(shot.raw, shot.width, shot.height)

    def close(self) -> None:
        self._mss.close()


def thumbnail(grab: Grab) -> np.ndarray:
    """A thumbnail about ``THUMB_WIDTH`` cells wide, each cell the mean color of its block.

    Block means (not every n-th pixel) keep a small change visible: a word typed into a
    field moves the mean of the cells it covers even when it falls between sampled pixels.
    Colors are kept (not gray) so that a highlight of another hue but the same brightness
    still counts. The array is height x width x 4: the B, G, R means and a constant.
    """
    factor = max(1, math.ceil(grab.width / THUMB_WIDTH))
    # why: the BGRA bytes are read as RGBX without reordering; channel order does not matter
    # for a comparison, and reduce() averages the blocks in C (under a millisecond at 1280x800)
    raw = Image.frombuffer("RGBX", grab.size, grab.bgra, "raw", "RGBX", 0, 1)
    return np.asarray(raw.reduce(factor))


def encode_png(grab: Grab) -> bytes:
    """The grab as PNG bytes (RGB)."""
    image = Image.frombytes("RGB", grab.size, grab.bgra, "raw", "BGRX")
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()
