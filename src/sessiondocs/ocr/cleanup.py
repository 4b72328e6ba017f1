"""Word-level cleanup shared by the engines: icons read as text, words split at punctuation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from sessiondocs.ocr.icons import cap_height, is_icon_sized, is_symbols, strip_glyphs
from sessiondocs.words import Word

JOINERS = frozenset("._-/@")  # punctuation inside addresses, file names and paths
JOIN_GAP = 0.35  # a gap under this share of the taller word's height is not a space


def clean(fragments: Iterable[Sequence[Word]], gray: np.ndarray | None = None) -> list[list[Word]]:
    """Line fragments with icons dropped or stripped (``icons``) and split words joined back.

    ``gray`` is the image the boxes are in, as a 2-D uint8 array; without it, words are not
    judged by the size of their ink.
    """
    kept = [
        [w for w in (_stripped(w) for w in f) if w and not is_symbols(w.text)] for f in fragments
    ]
    if gray is not None:
        _, icons = split_icon_sized([w for f in kept for w in f], gray)
        dropped = {id(w) for w in icons}
        kept = [[w for w in f if id(w) not in dropped] for f in kept]
    out = []
    for fragment in kept:
        words = join_split_words(fragment)
        if words:
            out.append(words)
    return out


def split_icon_sized(words: Sequence[Word], gray: np.ndarray) -> tuple[list[Word], list[Word]]:
    """``words`` (in reading order, in ``gray``'s pixels) split into those kept and those whose
    ink is no letter's size next to the page's capitals (``icons.is_icon_sized``)."""
    cap = cap_height(gray, words)
    kept: list[Word] = []
    icons: list[Word] = []
    for w in words:
        (icons if cap is not None and is_icon_sized(gray, w, cap) else kept).append(w)
    return kept, icons


def join_split_words(fragment: Sequence[Word]) -> list[Word]:
    """Words of one line that an engine split at punctuation, joined back.

    Tesseract puts a space on either side of "." and "@" in addresses and file names
    ("anna." "brown@acme.io", "irene" ".dubois@acme.io", "report." "pdf") when the gap is only
    a pixel or two, narrower than any real space.
    """
    out: list[Word] = []
    for w in fragment:
        if out and _split_pair(out[-1], w):
            out.append(_merge(out.pop(), w))
        else:
            out.append(w)
    return out


def _split_pair(a: Word, b: Word) -> bool:
    if not any(ch.isalnum() for ch in a.text) or not any(ch.isalnum() for ch in b.text):
        return False  # a standalone "-" or "/" between words is real
    gap = b.left - a.right
    if a.text.endswith("@") or b.text.startswith("@"):
        return gap <= max(a.height, b.height)
    if a.text.endswith(".") and b.text[0].isupper():
        return False  # the end of a sentence
    joined_at = a.text[-1] in JOINERS or b.text[0] in JOINERS
    return joined_at and gap <= JOIN_GAP * max(a.height, b.height)


def _stripped(word: Word) -> Word | None:
    text = strip_glyphs(word.text)
    if not text:
        return None
    return word if text == word.text else Word(text, *_box(word), word.conf)


def _box(word: Word) -> tuple[int, int, int, int]:
    return word.left, word.top, word.width, word.height


def _merge(a: Word, b: Word) -> Word:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right, bottom = max(a.right, b.right), max(a.bottom, b.bottom)
    return Word(a.text + b.text, left, top, right - left, bottom - top, min(a.conf, b.conf))
