"""Icons read as text: how to tell them from words.

Both engines read UI icons as characters: a window's close cross as "x" or a multiplication
sign, a maximize button or a checkbox as "O", a white square or a CJK box character, a round
icon as "@" or a copyright sign, a page icon as "D" or "1)". Three tests catch them:

- a word made only of symbols (bar the few that stand alone in real text, like a title's "-");
- a non-ASCII symbol glued to a word's end (stripped, the word kept);
- one or two letters whose ink is the wrong size for letters: taller than the page's capitals
  (icons are drawn at 12-16 px next to 8-10 px capitals), or, for x-height letters such as "o"
  and "x", taller than most of a capital, or a sliver under half a capital.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Iterable

import numpy as np

from sessiondocs.words import Word

# standalone words made only of these are real text: "A - B", "A & B", "+", a "*" marker
KEEP_SYMBOLS = frozenset(
    "-/&+#%*$\N{EN DASH}\N{EM DASH}\N{HORIZONTAL ELLIPSIS}\N{EURO SIGN}\N{POUND SIGN}"
)
# CJK characters shaped like boxes and grids, which a multilingual model reads icons as
ICON_CJK = frozenset("口囗回田日目国图中门凹凸")
GLYPH_CATEGORIES = frozenset(("So", "Sm", "Sk", "Co", "Cn"))  # symbols, private use, unassigned
BULLETS = frozenset("\N{BULLET}\N{MIDDLE DOT}")
QUOTES_AND_BRACKETS = (
    ".,:;'\"`()[]{}<>|"
    "\N{LEFT SINGLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
    "\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT DOUBLE QUOTATION MARK}"
)
X_HEIGHT_LETTERS = frozenset("acemnorsuvwxz")
DESCENDERS = frozenset("gjpqyQJ,;$()[]{}|/@_")

# how tall, in the page's capital heights, a one- or two-letter word's ink may be
LOWER_LIMIT = 0.9  # x-height letters ("o", "x") stand at about 0.7
UPPER_LIMIT = 1.2  # capitals, digits and ascenders stand at about 1.0
BRACKETED_LIMIT = 1.5  # brackets reach above and below the capitals: "(2)"
SLIVER = 0.5  # no letter is under half a capital
INK_CONTRAST = 60  # gray levels from the background that count as ink
EDGE_SHARE = 0.95  # a row this much ink across a widened word box is a panel's edge


def is_glyph(ch: str) -> bool:
    """True for a non-ASCII symbol that is an icon read as text rather than part of a word."""
    # why: ASCII punctuation at a word's ends ("Save:", "(2)", "$5") is usually real text, and so
    # are letters of any script bar the box-shaped CJK ones engines read icons as
    if ch in ICON_CJK:
        return True
    return ord(ch) > 127 and (unicodedata.category(ch) in GLYPH_CATEGORIES or ch in BULLETS)


def strip_glyphs(text: str) -> str:
    """``text`` without the non-ASCII symbols (squares, crosses, bullets) glued to its ends."""
    start, end = 0, len(text)
    while start < end and is_glyph(text[start]):
        start += 1
    while end > start and is_glyph(text[end - 1]):
        end -= 1
    return text[start:end]


def is_symbols(text: str) -> bool:
    """True for a word with no letter or digit that is not standalone punctuation like "-"."""
    if any(ch.isalnum() and ch not in ICON_CJK for ch in text):
        return False
    return not all(ch in KEEP_SYMBOLS for ch in text)


def size_limit(text: str) -> float | None:
    """How tall, in capital heights, ``text``'s ink may stand before it counts as an icon.

    Only for one or two letters or digits without descenders; None for any other word, which is
    never judged an icon by its size.
    """
    core = text.strip(QUOTES_AND_BRACKETS)
    if not 1 <= len(core) <= 2 or not core.isalnum() or DESCENDERS.intersection(core):
        return None
    if all(ch in X_HEIGHT_LETTERS for ch in core):
        return LOWER_LIMIT
    return BRACKETED_LIMIT if len(core) < len(text) else UPPER_LIMIT


def ink_height(gray: np.ndarray, word: Word) -> int:
    """Height of the ink in ``word``'s box of a grayscale image (a 2 px margin added).

    The background is the crop's most common gray; rows that differ from it right across the
    crop, widened by the box's height on each side, are the edge of a panel, not ink.
    """
    top, bottom = max(0, word.top - 2), word.bottom + 2
    margin = max(word.height, 4)
    left, right = max(0, word.left - margin), word.right + margin
    crop = gray[top:bottom, left:right].astype(np.int16)
    if crop.size == 0:
        return 0
    background = np.bincount(crop.ravel()).argmax()
    ink = np.abs(crop - background) > INK_CONTRAST
    inside = ink[:, word.left - left : word.right - left + 1].any(axis=1)
    rows = np.flatnonzero(inside & (ink.mean(axis=1) < EDGE_SHARE))
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


def is_icon_sized(gray: np.ndarray, word: Word, cap: float) -> bool:
    """True when ``word`` is one or two letters whose ink is no letter's size on this page."""
    limit = size_limit(word.text)
    if limit is None:
        return False
    ink = ink_height(gray, word)
    return ink >= limit * cap or ink < SLIVER * cap
