"""Word-level cleanup shared by the engines: icons read as glyphs, words split at punctuation.

Both engines read UI icons as characters: a window's close cross as "x" or "×", a checkbox or
maximize button as "□", "O" or "田", a round icon as "@", "©" or "●". Those words are dropped:
words made only of symbol characters (bar a few that stand alone in real UI text, like "-"),
symbol glyphs glued to a word's ends are stripped, and short words of icon-shaped letters
("o", "x", "D", "O") are dropped when their ink stands taller than such letters can be: for
lowercase, most of the page's capital height; for capitals, well above it.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

from sessiondocs.words import Word

# standalone words made of these are real text (a title's " - ", "A & B", "+", a "*" marker)
KEEP_SYMBOLS = frozenset("-–—/&+#%*:…$€£")
# letters and digits engines produce for icons; only dropped when the word stands too tall
ICON_LETTERS = frozenset("oOxXDdQ")
# CJK characters shaped like boxes and grids that a multilingual model reads icons as
ICON_CJK = frozenset("口囗回田日目国图中门凹凸")
GLYPH_CATEGORIES = frozenset(("So", "Sm", "Sk", "Co", "Cn"))
# an icon-letter word whose ink is this many times the page's capital height is an icon
LOWER_ICON_RATIO = 0.9  # lowercase "o" and "x" are about 0.75 of the capital height
UPPER_ICON_RATIO = 1.15
INK_CONTRAST = 60  # gray levels from the local background that count as ink
DESCENDERS = frozenset("gjpqyQJ,;$()[]{}|/@_")
JOINERS = frozenset("._-/@")  # punctuation inside addresses, file names and paths
JOIN_GAP = 0.25  # a gap under this share of the text height is not a space


def strip_glyphs(text: str) -> str:
    """``text`` without the symbol glyphs ("□", "×", "●", "田") glued to its start or end."""
    start, end = 0, len(text)
    while start < end and is_glyph(text[start]):
        start += 1
    while end > start and is_glyph(text[end - 1]):
        end -= 1
    return text[start:end]


def is_glyph(ch: str) -> bool:
    """True for a non-ASCII symbol that is an icon read as text rather than part of a word."""
    # why: ASCII punctuation at a word's ends ("Save:", "(2)", "$5") is usually real text, and so
    # are letters of any script bar the box-shaped CJK ones engines read icons as
    if ch in ICON_CJK:
        return True
    return ord(ch) > 127 and (unicodedata.category(ch) in GLYPH_CATEGORIES or ch in "•·")


def is_symbols(text: str) -> bool:
    """True for a word with no letter or digit that is not standalone punctuation like "-"."""
    if any(ch.isalnum() and ch not in ICON_CJK for ch in text):
        return False
    return not all(ch in KEEP_SYMBOLS for ch in text)


def icon_letters(text: str) -> str | None:
    """ "lower" or "upper" when ``text`` is one or two icon-shaped letters, else None."""
    core = text.strip(".,:;'\"`‘’")
    if not 0 < len(core) <= 2 or not all(ch in ICON_LETTERS for ch in core):
        return None
    return "lower" if core.islower() else "upper"


def ink_height(gray: np.ndarray, word: Word) -> int:
    """Height of the ink inside ``word``'s box (a 2 px margin added) in a grayscale image."""
    top, left = max(0, word.top - 2), max(0, word.left - 2)
    crop = gray[top : word.bottom + 2, left : word.right + 2].astype(np.int16)
    if crop.size == 0:
        return 0
    border = np.concatenate((crop[0], crop[-1], crop[:, 0], crop[:, -1]))
    ink = np.abs(crop - np.median(border)) > INK_CONTRAST
    rows = np.flatnonzero(ink.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def cap_height(gray: np.ndarray, words: Iterable[Word]) -> float | None:
    """The page's capital height: median ink height of words with capitals and no descenders."""
    sample = [
        w
        for w in words
        if len(w.text) >= 3
        and any(ch.isupper() or ch.isdigit() for ch in w.text)
        and not DESCENDERS.intersection(w.text)
    ][:60]
    heights = [h for h in (ink_height(gray, w) for w in sample) if h]
    return statistics.median(heights) if heights else None


def clean(fragments: Iterable[Sequence[Word]], gray: np.ndarray | None = None) -> list[list[Word]]:
    """Line fragments with icons dropped or stripped and split addresses joined back.

    ``gray`` is the image the boxes are in, as a 2-D uint8 array; without it, words of
    icon-shaped letters are kept (their ink cannot be measured).
    """
    stripped = [
        [w2 for w in f if (w2 := _stripped(w)) is not None and not is_symbols(w2.text)]
        for f in fragments
    ]
    cap = cap_height(gray, (w for f in stripped for w in f)) if gray is not None else None
    out = []
    for fragment in stripped:
        words = [w for w in fragment if cap is None or gray is None or not _tall(gray, w, cap)]
        words = join_split_words(words)
        if words:
            out.append(words)
    return out


def _tall(gray: np.ndarray, word: Word, cap: float) -> bool:
    kind = icon_letters(word.text)
    if kind is None:
        return False
    ratio = LOWER_ICON_RATIO if kind == "lower" else UPPER_ICON_RATIO
    return ink_height(gray, word) >= ratio * cap


def _stripped(word: Word) -> Word | None:
    text = strip_glyphs(word.text)
    if not text:
        return None
    return word if text == word.text else _with_text(word, text)


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
    gap = b.left - a.right
    if a.text.endswith("@") or b.text.startswith("@"):
        return gap <= max(a.height, b.height)
    joined_at = a.text[-1] in JOINERS or b.text[0] in JOINERS
    return joined_at and gap <= JOIN_GAP * min(a.height, b.height)


def _with_text(word: Word, text: str) -> Word:
    return Word(text, word.left, word.top, word.width, word.height, word.conf)


def _merge(a: Word, b: Word) -> Word:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right, bottom = max(a.right, b.right), max(a.bottom, b.bottom)
    return Word(a.text + b.text, left, top, right - left, bottom - top, min(a.conf, b.conf))
