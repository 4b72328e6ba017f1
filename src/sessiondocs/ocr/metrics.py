"""How close OCR output is to a known text: character error rate and word accuracy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def normalize(text: str) -> str:
    """Collapse every run of whitespace (newlines included) to one space and strip the ends."""
    return " ".join(text.split())


def edit_distance(a: Sequence[object], b: Sequence[object]) -> int:
    """Levenshtein distance (insertions, deletions, substitutions, each cost 1) of two sequences.

    One numpy row per element of ``a``: O(len(a) * len(b)) work but only O(len(a)) Python steps,
    so two 2,000-character screens compare in milliseconds.
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    vocab: dict[object, int] = {}
    codes_b = np.array([vocab.setdefault(x, len(vocab)) for x in b], dtype=np.int64)
    steps = np.arange(len(b) + 1, dtype=np.int64)
    row = steps.copy()
    for i, x in enumerate(a, start=1):
        code = vocab.get(x, -1)
        # candidates from the row above: substitution (diagonal) and deletion (straight down)
        above = np.minimum(row[:-1] + (codes_b != code), row[1:] + 1)
        cand = np.concatenate(([i], above))
        # why: insertions chain left to right within the row: d[j] = min(cand[j], d[j-1] + 1),
        # which is a running minimum of cand[j] - j, shifted back by j
        row = np.minimum.accumulate(cand - steps) + steps
    return int(row[-1])


def cer(truth: str, got: str) -> float:
    """Character error rate: edit distance over the length of the truth, whitespace normalized.

    0.0 is perfect; it can exceed 1.0 when the output is much longer than the truth.
    """
    t, g = normalize(truth), normalize(got)
    if not t:
        return 0.0 if not g else 1.0
    return edit_distance(t, g) / len(t)


def word_accuracy(truth: str, got: str) -> float:
    """1 - word error rate (word-level edit distance over the truth's word count), floored at 0."""
    t, g = truth.split(), got.split()
    if not t:
        return 1.0 if not g else 0.0
    return max(0.0, 1.0 - edit_distance(t, g) / len(t))
