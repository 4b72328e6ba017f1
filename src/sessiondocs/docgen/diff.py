"""Where two screenshots differ: the box around the changed pixels, noise left out.

A pixel has changed when one of its colour channels moved by more than ``THRESHOLD`` (below that
is compression and anti-aliasing noise). Changed pixels are counted in ``BLOCK`` x ``BLOCK``
cells; a cell with fewer than ``MIN_CELL_PIXELS`` of them is noise, and so is a cell whose 3 x 3
neighbourhood holds fewer than ``MIN_GROUP_PIXELS`` in all (stray pixels, a blinking caret). The
box is drawn around the changed pixels of the cells that remain, so it is exact to the pixel,
not to the cell.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from sessiondocs.docgen.images import open_image
from sessiondocs.docgen.lines import Box

THRESHOLD = 32  # per channel, out of 255
BLOCK = 8
MIN_CELL_PIXELS = 4
MIN_GROUP_PIXELS = 16

Pixels = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def pixels(image: Image.Image | bytes) -> Pixels:
    """An image (PIL or encoded bytes) as an RGB array of shape (height, width, 3)."""
    return np.asarray(open_image(image).convert("RGB"), dtype=np.uint8)


def changed_region(
    before: Image.Image | bytes, after: Image.Image | bytes
) -> tuple[Box | None, float]:
    """The box (left, top, width, height) around what changed from ``before`` to ``after``, and
    the fraction of the image's pixels that changed (0..1).

    Returns ``(None, 0.0)`` when nothing beyond noise changed; images of different sizes have
    changed entirely (the box is all of ``after``). Raises ``ValueError`` for unreadable images.
    """
    return region_between(pixels(before), pixels(after))


def region_between(before: Pixels, after: Pixels) -> tuple[Box | None, float]:
    """``changed_region`` on decoded RGB arrays. Where both screenshots have a redaction box
    (a solid black block) a few pixels apart, the box's edges moving is no change: redaction
    of the same value can cover a slightly different area from one screenshot to the next."""
    height, width = after.shape[:2]
    if before.shape != after.shape:
        return (0, 0, width, height), 1.0
    # why: max - min stays in uint8 without wrapping, and skips two int16 copies of the image
    delta = (np.maximum(before, after) - np.minimum(before, after)).max(axis=2)
    mask = delta > THRESHOLD
    if mask.any():
        mask &= ~(_near_fill(before) & _near_fill(after))
    if not mask.any():
        return None, 0.0
    kept = _significant(mask)
    if not kept.any():
        return None, 0.0
    ys, xs = np.nonzero(kept)
    left, top = int(xs.min()), int(ys.min())
    box = (left, top, int(xs.max()) - left + 1, int(ys.max()) - top + 1)
    return box, float(kept.sum()) / mask.size


FILL_CORE = 3  # a redaction block is solid black at least this many pixels each way around
FILL_REACH = 8  # pixels around a redaction block where its edge may move between screenshots


def _box_sum(mask: Mask, radius: int) -> npt.NDArray[np.int64]:
    """How many pixels of ``mask`` each (2 * radius + 1)-square around a pixel holds."""
    padded = np.pad(mask.astype(np.int64), radius + 1)
    total = padded.cumsum(axis=0).cumsum(axis=1)
    size = 2 * radius + 1
    height, width = mask.shape
    return (
        total[size : size + height, size : size + width]
        - total[:height, size : size + width]
        - total[size : size + height, :width]
        + total[:height, :width]
    )


def _near_fill(image: Pixels) -> Mask:
    """Pixels in or near a solid black block (a redaction), not near black text: a glyph's
    strokes are thinner than ``2 * FILL_CORE + 1`` pixels."""
    black = image.max(axis=2) == 0
    if not black.any():
        return black
    core = _box_sum(black, FILL_CORE) == (2 * FILL_CORE + 1) ** 2
    if not core.any():
        return core
    return _box_sum(core, FILL_CORE + FILL_REACH) > 0


def _cell_counts(mask: Mask) -> npt.NDArray[np.int64]:
    """How many changed pixels each BLOCK x BLOCK cell holds (the edges padded)."""
    height, width = mask.shape
    rows, cols = -(-height // BLOCK), -(-width // BLOCK)
    padded = np.zeros((rows * BLOCK, cols * BLOCK), dtype=np.int64)
    padded[:height, :width] = mask
    return padded.reshape(rows, BLOCK, cols, BLOCK).sum(axis=(1, 3))


def _significant(mask: Mask) -> Mask:
    """``mask`` without its noise: thin cells, and cells with too little change around them."""
    counts = _cell_counts(mask)
    counts[counts < MIN_CELL_PIXELS] = 0
    rows, cols = counts.shape
    padded = np.pad(counts, 1)
    # why: the 3 x 3 neighbourhood sum is a cheap, vectorised stand-in for the size of a
    # connected group; a caret blink or a few stray pixels never reach it, a glyph does
    around = sum(padded[dr : dr + rows, dc : dc + cols] for dr in range(3) for dc in range(3))
    keep = (counts > 0) & (around >= MIN_GROUP_PIXELS)
    grown = np.repeat(np.repeat(keep, BLOCK, axis=0), BLOCK, axis=1)
    return grown[: mask.shape[0], : mask.shape[1]] & mask
