"""Reading a screenshot block by block, and only the blocks that changed since an earlier one.

Consecutive screenshots of a session share most of their pixels: a field gets a few letters, a
dialog opens over part of the window. To read only what changed and still give exactly what a
full read gives, a screenshot is read in **blocks of rows** whose bounds depend only on the
pixels around them:

- a row is *plain* when it equals the row above it pixel for pixel (an empty stretch of a
  window, the middle of a button: vertical lines and borders repeat row after row, text never
  does);
- a block is a run of rows that are not plain; blocks closer than ``2 * CONTEXT`` rows merge;
- each block is read on its own, from a crop with ``CONTEXT`` rows above and below it (and the
  full width of the screenshot, so the engine's scale is the whole screen's), and keeps the
  words the engine finds there.

So where an earlier screenshot (same size) had the same block, with the same pixels in the
crop's rows, the engine would read the same crop and find the same words: they are carried
over instead (``read_blocks`` with ``earlier``), and only the other blocks are read. A
screenshot whose every row differs from the next (a photograph) is one block: read whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from PIL import Image

from sessiondocs.words import Word

CONTEXT = 8  # plain rows read above and below a block

ReadPart = Callable[[Image.Image], list[Word]]


def blocks_of(pixels: np.ndarray) -> list[tuple[int, int]]:
    """The blocks ``[top, bottom)`` of an image given as an ``(height, width, channels)`` array."""
    height = pixels.shape[0]
    if height == 0:
        return []
    plain = np.zeros(height, dtype=bool)
    plain[1:] = np.all(pixels[1:] == pixels[:-1], axis=tuple(range(1, pixels.ndim)))
    edges = np.flatnonzero(np.diff(np.concatenate(([1], plain.astype(np.int8), [1]))))
    # why: edges alternate: a block starts where plain rows stop, ends where they start again
    runs = [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[tuple[int, int]] = []
    for top, bottom in runs:
        if merged and top - merged[-1][1] <= 2 * CONTEXT:
            merged[-1] = (merged[-1][0], bottom)
        else:
            merged.append((top, bottom))
    return merged


def read_blocks(
    image: Image.Image,
    read_part: ReadPart,
    earlier: Image.Image | None = None,
    earlier_words: Sequence[Word] = (),
) -> list[Word]:
    """The words of ``image`` (an RGB image), read block by block with ``read_part`` (a crop
    in, its words in the crop's pixels out); with ``earlier`` (the RGB image whose block-by-
    block read gave ``earlier_words``), the blocks it shares are carried over, not read."""
    pixels = np.asarray(image)
    height = pixels.shape[0]
    shared: set[tuple[int, int]] = set()
    same = np.zeros(height, dtype=bool)
    if earlier is not None and earlier.size == image.size:
        before = np.asarray(earlier)
        shared = set(blocks_of(before))
        same = np.all(pixels == before, axis=tuple(range(1, pixels.ndim)))
    words: list[Word] = []
    for top, bottom in blocks_of(pixels):
        upper, lower = max(0, top - CONTEXT), min(height, bottom + CONTEXT)
        if (top, bottom) in shared and same[upper:lower].all():
            words += [w for w in earlier_words if upper <= _middle(w) < lower]
            continue
        part = read_part(image.crop((0, upper, image.width, lower)))
        words += [replace(w, top=w.top + upper) for w in part]
    return words


def _middle(word: Word) -> float:
    return word.top + word.height / 2
