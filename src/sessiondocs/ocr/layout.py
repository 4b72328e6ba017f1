"""Reading order: line fragments an engine found, merged into visual rows, top to bottom.

Engines split a screen into many small pieces (Tesseract's sparse mode makes a "line" of each
button; RapidOCR a box of each cell), and sorting those by their top edge interleaves a row's
pieces whenever their ink starts a pixel apart ("acme" sits lower than "File"). Pieces that
overlap vertically by at least half the shorter one's height form one row; rows read top to
bottom, pieces left to right.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sessiondocs.words import Word

MIN_OVERLAP = 0.5  # share of the shorter piece's height two pieces must share to be one row


@dataclass
class _Row:
    top: int
    bottom: int
    words: list[Word] = field(default_factory=list)

    def overlap(self, top: int, bottom: int) -> float:
        shared = min(self.bottom, bottom) - max(self.top, top)
        shorter = max(1, min(self.bottom - self.top, bottom - top))
        return shared / shorter


def rows_of(fragments: Iterable[Sequence[Word]]) -> list[list[Word]]:
    """Merge line fragments (each a run of words on one line) into rows in reading order."""
    pieces = [list(f) for f in fragments if f]
    pieces.sort(key=lambda f: min(w.top for w in f))
    rows: list[_Row] = []
    for piece in pieces:
        top, bottom = min(w.top for w in piece), max(w.bottom for w in piece)
        # why: only the last few rows can overlap a piece whose top is at or below theirs
        best = max(rows[-4:], key=lambda r: r.overlap(top, bottom), default=None)
        if best is not None and best.overlap(top, bottom) >= MIN_OVERLAP:
            best.top, best.bottom = min(best.top, top), max(best.bottom, bottom)
            best.words += piece
        else:
            rows.append(_Row(top, bottom, piece))
    rows.sort(key=lambda r: (r.top + r.bottom) / 2)
    return [sorted(r.words, key=lambda w: w.left) for r in rows]


def text_of(rows: Iterable[Sequence[Word]]) -> str:
    """The text of rows: words joined by spaces, rows by newlines."""
    return "\n".join(" ".join(w.text for w in row) for row in rows)
