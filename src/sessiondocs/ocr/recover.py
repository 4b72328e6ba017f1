"""A second look for the short words Tesseract's sparse-text layout drops.

Tesseract's page layout (``--psm 11``) drops many short, isolated words: a table's quantity
column ("7", "36", "22") loses half its cells, whatever the preprocessing or layout settings. The
ink those words leave uncovered is found here: pixels that differ from the background, minus long
lines (borders, separators) and minus every word already read, grouped into blobs. Blobs of text
height are cut out, set side by side on one strip with a word space between them, and read in a
single extra Tesseract call as ordinary lines; each word found goes back to its blob's place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from sessiondocs.words import Word

INK_LEVEL = 150  # normalized gray below this is ink (the background is 255)
LINE_RUN = 40  # an ink run this long, in pixels, is a border or a separator, not text
MAX_BLOBS = 200  # more uncovered blobs than this is not a page of dropped words; give up
PAD = 4  # pixels around a blob when it is cut out
STRIP_WIDTH = 3000  # the strip wraps to a new line past this width, in upscaled pixels


@dataclass(frozen=True)
class Blob:
    """An uncovered patch of ink, in original-image pixels."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def long_runs(mask: np.ndarray, length: int = LINE_RUN) -> np.ndarray:
    """Pixels of ``mask`` on a horizontal or vertical run of at least ``length`` pixels."""
    return _runs(mask, length) | _runs(mask.T, length).T


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    w = mask.shape[1]
    if w < length:
        return np.zeros_like(mask)
    sums = np.cumsum(np.pad(mask, ((0, 0), (1, 0))), axis=1, dtype=np.int32)
    starts = (sums[:, length:] - sums[:, :-length]) == length  # a full run starts here
    starts = np.pad(starts, ((0, 0), (0, w - starts.shape[1]))).astype(np.int32)
    covered = np.cumsum(np.pad(starts, ((0, 0), (1, 0))), axis=1)
    idx = np.arange(w)
    return (covered[:, idx + 1] - covered[:, np.maximum(idx - length + 1, 0)]) > 0


def blobs(norm: np.ndarray, words: Sequence[Word], cap: float) -> list[Blob]:
    """Text-sized patches of ink in ``norm`` (1x normalized gray) that no word covers."""
    ink = norm < INK_LEVEL
    ink &= ~long_runs(ink)
    for w in words:
        ink[max(0, w.top - 2) : w.bottom + 2, max(0, w.left - 2) : w.right + 2] = False
    h, w = (ink.shape[0] // 2) * 2, (ink.shape[1] // 2) * 2
    cells = ink[:h, :w].reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))
    # why: a cell gap of up to ~3 px (one letter gap at 1x) joins a word's letters into one blob
    joined = cells | np.roll(cells, 1, axis=1) | np.roll(cells, -1, axis=1)
    found = [_blob_of(b) for b in _label(joined)]
    return [b for b in found if 0.6 * cap <= b.height <= 1.6 * cap and b.width <= 12 * cap]


def _label(cells: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (cell units, inclusive-exclusive) of the 4-connected blobs of ``cells``."""
    # why: copied, as an image made by fromarray shares (read-only) memory with the array
    image = Image.fromarray(cells.astype(np.uint8) * 255).copy()
    count = 0
    for y, x in zip(*np.nonzero(cells), strict=True):
        if image.getpixel((int(x), int(y))) == 255:
            if count == MAX_BLOBS:
                return []
            count += 1
            # why: PIL's flood fill runs in C; each blob gets its own gray level as its label
            ImageDraw.floodfill(image, (int(x), int(y)), count)
    labels = np.asarray(image)
    ys, xs = np.nonzero(cells)
    ids = labels[ys, xs].astype(np.int64)
    left = np.full(count + 1, cells.shape[1])
    top = np.full(count + 1, cells.shape[0])
    right = np.zeros(count + 1, dtype=np.int64)
    bottom = np.zeros(count + 1, dtype=np.int64)
    np.minimum.at(left, ids, xs)
    np.minimum.at(top, ids, ys)
    np.maximum.at(right, ids, xs + 1)
    np.maximum.at(bottom, ids, ys + 1)
    return [(int(left[i]), int(top[i]), int(right[i]), int(bottom[i])) for i in range(1, count + 1)]


def _blob_of(cell_box: tuple[int, int, int, int]) -> Blob:
    x0, y0, x1, y1 = cell_box
    return Blob(x0 * 2, y0 * 2, x1 * 2, y1 * 2)


def reread(
    upscaled: Image.Image,
    scale: int,
    found: Sequence[Blob],
    read: Callable[[Image.Image], list[Word]],
) -> list[Word]:
    """Read ``found`` blobs from ``upscaled`` (``scale`` times the original) in one call.

    The blobs are cut out and laid on a white strip, a wide word space apart, wrapping at
    ``STRIP_WIDTH``; ``read`` reads the strip into words in strip pixels, and each word goes
    back to the blob it lies on, in original-image pixels.
    """
    if not found:
        return []
    gap = max(blob.height for blob in found) * scale * 3
    slots: list[tuple[int, int, Blob, Image.Image]] = []
    x, y, line_height = gap, gap, 0
    for blob in found:
        crop = _cut(upscaled, blob, scale)
        if x + crop.width + gap > STRIP_WIDTH and x > gap:
            x, y, line_height = gap, y + line_height + gap, 0
        slots.append((x, y, blob, crop))
        x += crop.width + gap
        line_height = max(line_height, crop.height)
    strip = Image.new(
        "L", (max(sx + c.width for sx, _, _, c in slots) + gap, y + line_height + gap), 255
    )
    for sx, sy, _, crop in slots:
        strip.paste(crop, (sx, sy))
    words = []
    for word in read(strip):
        cx, cy = word.left + word.width / 2, word.top + word.height / 2
        for sx, sy, blob, crop in slots:
            if sx <= cx < sx + crop.width and sy <= cy < sy + crop.height:
                left = (word.left - sx) // scale + max(0, blob.left - PAD)
                top = (word.top - sy) // scale + max(0, blob.top - PAD)
                width, height = -(-word.width // scale), -(-word.height // scale)
                words.append(Word(word.text, left, top, width, height, word.conf))
                break
    return words


def _cut(image: Image.Image, blob: Blob, scale: int) -> Image.Image:
    """``blob`` with a margin, cut from ``image``; the margin stops at the image's edges."""
    left, top = max(0, blob.left - PAD) * scale, max(0, blob.top - PAD) * scale
    right = min(image.width, (blob.right + PAD) * scale)
    bottom = min(image.height, (blob.bottom + PAD) * scale)
    return image.crop((left, top, right, bottom))
