"""Reading a screenshot's OCR like a person would: its window title, the words in a region, the
label beside a field, a region's heading, and short excerpts to quote."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from sessiondocs.docgen.diff import Pixels, pixels
from sessiondocs.docgen.lines import Box, Line, box_of, group_lines, split_phrases
from sessiondocs.docgen.model import Frame
from sessiondocs.words import Word

HEADING_RATIO = 1.2  # a line this much taller than the median line reads as a heading
LABEL_ABOVE = 2.5  # a label above a field sits within this many line heights of it


@dataclass(frozen=True)
class Screen:
    """A frame as the generator reads it: its pixels, its text lines and its window title."""

    frame: Frame
    pixels: Pixels
    lines: list[Line]
    title: str
    title_box: Box | None


def read_screen(frame: Frame) -> Screen:
    """Decode ``frame``'s image and read its lines and title (``ValueError`` if unreadable)."""
    lines = group_lines(frame.ocr.words)
    title, title_box = window_title(lines)
    return Screen(frame, pixels(frame.image), lines, title, title_box)


def has_text(text: str) -> bool:
    """Whether ``text`` holds a letter or digit (not only icon glyphs or punctuation)."""
    return any(c.isalnum() for c in text)


def clean(text: str) -> str:
    """``text`` on one line, single-spaced, with double quotes turned into single ones (titles
    quote it in double quotes)."""
    return " ".join(text.replace('"', "'").split())


def clip(text: str, limit: int) -> str:
    """``clean(text)`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:-") + "\u2026"


def name_of(line: Line) -> str:
    """A line's first phrase that has text, without icon glyphs at its ends ("Settings  x")."""
    for phrase in split_phrases(line):
        words = [w.text for w in phrase.words]
        while words and not has_text(words[0]):
            words.pop(0)
        while words and not has_text(words[-1]):
            words.pop()
        if words:
            return clean(" ".join(words))
    return ""


def window_title(lines: Sequence[Line]) -> tuple[str, Box | None]:
    """The title bar's text: the top-most line with text, and its box; ``("", None)`` if none."""
    for line in lines:
        phrases = [p for p in split_phrases(line) if has_text(p.text)]
        if phrases:
            # why: the phrase with the most text, since a title bar also carries an app menu,
            # window buttons or a clock, apart from the title itself
            best = max(phrases, key=lambda p: sum(c.isalnum() for c in p.text))
            return name_of(best), line.box
    return "", None


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share at least one pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _shared_area(a: Box, b: Box) -> int:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, width) * max(0, height)


def words_in(words: Iterable[Word], box: Box, share: float = 0.0) -> list[Word]:
    """The words with text that share more than ``share`` of their area with ``box`` (by
    default, any pixel at all: a clock whose last digit changed still counts)."""
    return [
        w
        for w in words
        if w.text.strip() and _shared_area(box_of(w), box) > share * w.width * w.height
    ]


def heading(words: Sequence[Word]) -> str:
    """What a group of words is called: its tallest line when that stands out as a heading,
    else its top line."""
    lines = [line for line in group_lines(words) if name_of(line)]
    if not lines:
        return ""
    typical = median(line.height for line in lines)
    tallest = max(lines, key=lambda line: line.height)
    chosen = tallest if tallest.height >= HEADING_RATIO * typical else lines[0]
    return name_of(chosen)


def excerpt(lines: Iterable[Line], limit: int = 160, skip: str = "") -> str:
    """The text of ``lines`` joined with " / " and clipped, leaving out the line named ``skip``."""
    texts = [
        clean(line.text)
        for line in lines
        if has_text(line.text) and not (skip and skip in (clean(line.text), name_of(line)))
    ]
    return clip(" / ".join(texts), limit)


@dataclass(frozen=True)
class Label:
    """A field's label, and where the field's own text starts (right of a label beside it, or
    at the left of a label above it)."""

    text: str
    field_left: int


def _rows_of(lines: Sequence[Line], box: Box) -> list[Line]:
    """The lines that share at least half of the shorter height with ``box``'s rows."""
    top, bottom = box[1], box[1] + box[3]
    # why: the shorter of the two, as engines' word boxes can be twice as tall as the ink
    return [
        line
        for line in lines
        if min(bottom, line.box[1] + line.box[3]) - max(top, line.box[1])
        >= 0.5 * min(box[3], line.box[3])
    ]


def _label_words(words: Sequence[Word]) -> list[Word]:
    """The label among the words left of a field: the nearest phrase with a word ending in ":"
    up to that word ("Name:" in "Name: Jane"), else the nearest phrase."""
    phrases = split_phrases(Line(tuple(words)))
    for phrase in reversed(phrases):
        colons = [i for i, w in enumerate(phrase.words) if w.text.endswith(":")]
        if colons:
            return list(phrase.words[: colons[-1] + 1])
    return list(phrases[-1].words)


CARET = "|"  # a text cursor, as OCR reads it beside the word it blinks next to


_CARET_ENDS = re.compile(r"^[|/\\_]*\|[|/\\_]*(?=\w)|(?<=\w)[|/\\_]*\|[|/\\_]*$")


def uncaret(text: str) -> str:
    """``text`` without the text cursor OCR read at its ends ("|Dvorak", "Logistics|", and the
    "/|" or "_|" it sometimes makes of it)."""
    stripped = _CARET_ENDS.sub("", text)
    return stripped if stripped.strip(CARET) else text


def _label_text(words: Sequence[Word]) -> str:
    return clean(" ".join(uncaret(w.text) for w in words)).rstrip(":*").strip()


def label_for(lines: Sequence[Line], box: Box, exclude: Sequence[Word] = ()) -> Label | None:
    """The label of the field at ``box``: beside it on its left, else on the line just above."""
    skip = set(map(id, exclude))
    left, top, width, _ = box
    for line in _rows_of(lines, box):
        before = [w for w in line.words if id(w) not in skip and w.right <= left + 2]
        before = [w for w in before if has_text(w.text)]
        if before:
            words = _label_words(before)
            return Label(_label_text(words), words[-1].right)
    above = [
        line
        for line in lines
        if line.box[1] + line.box[3] <= top + 2
        and top - (line.box[1] + line.box[3]) <= LABEL_ABOVE * line.height
        and line.box[0] < left + width
        and left < line.box[0] + line.box[2]
        and has_text(line.text)
    ]
    if not above:
        return None
    return Label(_label_text(_label_words(above[-1].words)), above[-1].box[0])


def field_text(lines: Sequence[Line], box: Box, label: Label | None) -> str:
    """The text of the field at ``box``: its line's words from the field's start to the box's
    right edge (the whole value, where the changed region may hold only the last word typed)."""
    start = label.field_left if label else box[0]
    words = [
        w
        for line in _rows_of(lines, box)
        for w in line.words
        if w.right > start and w.left < box[0] + box[2]
    ]
    return clean(" ".join(t for w in words if (t := uncaret(w.text)) != CARET))


def nearby(lines: Sequence[Line], box: Box, reach: float = 6.0) -> str:
    """The name of the phrase nearest to ``box`` on its own line, left or right, within
    ``reach`` line heights ("Remember me" beside a tick box); "" when there is none."""
    left, right = box[0], box[0] + box[2]
    best: tuple[float, str] | None = None
    for line in _rows_of(lines, box):
        for phrase in split_phrases(line):
            p_left, p_right = phrase.box[0], phrase.box[0] + phrase.box[2]
            gap = max(p_left - right, left - p_right, 0)
            name = name_of(phrase)
            if name and gap <= reach * line.height and (best is None or gap < best[0]):
                best = (gap, name)
    return best[1] if best else ""
