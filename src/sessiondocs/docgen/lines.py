"""OCR words grouped into visual lines and phrases, for reading values and labels off a screen.

A line is the words whose boxes overlap vertically by at least half the shorter one's height
(the rule ``sessiondocs.ocr`` uses for its reading order); a phrase is a run of a line's words
with no wide gap between neighbours, so a form's label and its value far to the right, or two
table columns, are not read as one value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import median

from sessiondocs.words import Word

Box = tuple[int, int, int, int]  # (left, top, width, height) in image pixels

MIN_OVERLAP = 0.5  # share of the shorter height two words must share to be on one line
PHRASE_GAP = 2.5  # a gap wider than this many line heights ends a phrase


@dataclass(frozen=True)
class Line:
    """Words on one visual line, left to right."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        """The box around all the words."""
        return union_box(box_of(w) for w in self.words)

    @property
    def height(self) -> float:
        """The median word height: a line's text size, robust to one tall icon."""
        return float(median(w.height for w in self.words))


def box_of(word: Word) -> Box:
    """A word's box as a (left, top, width, height) tuple."""
    return (word.left, word.top, word.width, word.height)


def union_box(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all ``boxes`` (at least one)."""
    items = list(boxes)
    left = min(b[0] for b in items)
    top = min(b[1] for b in items)
    right = max(b[0] + b[2] for b in items)
    bottom = max(b[1] + b[3] for b in items)
    return (left, top, right - left, bottom - top)


def _overlap(a_top: int, a_bottom: int, b_top: int, b_bottom: int) -> float:
    shared = min(a_bottom, b_bottom) - max(a_top, b_top)
    return shared / max(1, min(a_bottom - a_top, b_bottom - b_top))


def group_lines(words: Iterable[Word]) -> list[Line]:
    """``words`` (blank ones dropped) grouped into lines, top to bottom, each left to right."""
    items = sorted((w for w in words if w.text.strip()), key=lambda w: (w.top + w.bottom, w.left))
    rows: list[tuple[int, int, list[Word]]] = []
    for word in items:
        # why: sorted by centre, so only the last few lines can still overlap this word
        best = max(
            range(max(0, len(rows) - 4), len(rows)),
            key=lambda i: _overlap(rows[i][0], rows[i][1], word.top, word.bottom),
            default=None,
        )
        if best is not None and _overlap(*rows[best][:2], word.top, word.bottom) >= MIN_OVERLAP:
            top, bottom, members = rows[best]
            members.append(word)
            rows[best] = (min(top, word.top), max(bottom, word.bottom), members)
        else:
            rows.append((word.top, word.bottom, [word]))
    rows.sort(key=lambda r: r[0] + r[1])
    return [Line(tuple(sorted(r[2], key=lambda w: w.left))) for r in rows]


def split_phrases(
    line: Line, gap: float = PHRASE_GAP, cut: Callable[[Word, Word], bool] | None = None
) -> list[Line]:
    """``line`` cut wherever the space between two neighbours exceeds ``gap`` line heights, or
    where ``cut(before, word)`` says so."""
    limit = gap * line.height
    phrases: list[list[Word]] = [[line.words[0]]]
    for before, word in zip(line.words, line.words[1:], strict=False):
        if word.left - before.right > limit or (cut is not None and cut(before, word)):
            phrases.append([word])
        else:
            phrases[-1].append(word)
    return [Line(tuple(p)) for p in phrases]


def phrases_of(words: Iterable[Word]) -> list[Line]:
    """Every phrase of ``words``, in reading order."""
    return [phrase for line in group_lines(words) for phrase in split_phrases(line)]
