"""The offline generator: a session's screenshots turned into numbered steps, with no network.

Frames are read in capture order. Each is compared with the last frame that became a step;
frames with no change beyond noise (or where only a clock ticked) are merged away. What changed
decides the step's wording, checked in this order:

- the title bar's text changed: ``Switch to "<window title>"``;
- the screenshot's size changed: ``Resize "<window title>"``;
- new text on a single line of a small region: ``Type in "<field label>"`` (repeated typing in
  the same field is one step, showing the last screenshot);
- new text elsewhere: ``Open "<heading of the region>"``;
- text gone and none new: ``Close "<heading of what was there>"``;
- only pixels changed (a button pressed, a box ticked): ``Click "<text there>"``.

The first frame is ``Start in "<window title>"``. Everything is deterministic: the same frames
always give the same documentation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sessiondocs.docgen.diff import region_between
from sessiondocs.docgen.lines import Box, Line, group_lines, union_box
from sessiondocs.docgen.model import Documentation, Frame, Step
from sessiondocs.docgen.screen import (
    Screen,
    clean,
    clip,
    excerpt,
    field_text,
    heading,
    label_for,
    nearby,
    overlaps,
    read_screen,
    words_in,
)
from sessiondocs.words import Word

TITLE_CHARS = 60
TEXT_CHARS = 160
TYPING_LINES = 3  # a typed-into region is at most this many text heights tall
CLOCK_FRACTION = 0.01  # a change this small whose words are all times or dates is a clock tick

_CLOCK = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?(?:[AaPp]\.?[Mm]\.?)?|[AaPp]\.?[Mm]\.?|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
)


@dataclass(frozen=True)
class Change:
    """What changed between two screens: where, how much, and which words came and went."""

    box: Box
    fraction: float
    before: list[Word]  # the earlier screen's words inside the box
    after: list[Word]  # the later screen's words inside the box
    added: list[Word]  # words of ``after`` the earlier screen did not have there
    removed: list[Word]  # words of ``before`` the later screen no longer has there
    resized: bool = False  # the screenshots differ in size


def compare(before: Screen, after: Screen) -> Change | None:
    """The change from ``before`` to ``after``, or None when nothing beyond noise changed."""
    box, fraction = region_between(before.pixels, after.pixels)
    if box is None:
        return None
    old = words_in(before.frame.ocr.words, box)
    new = words_in(after.frame.ocr.words, box)
    resized = before.pixels.shape != after.pixels.shape
    return Change(box, fraction, old, new, _missing(new, old), _missing(old, new), resized)


def _key(word: Word) -> str:
    return word.text.strip().casefold()


def _missing(words: Sequence[Word], other: Sequence[Word]) -> list[Word]:
    """The words of ``words`` that ``other`` lacks (as a multiset of texts)."""
    left = Counter(_key(w) for w in other)
    missing = []
    for word in words:
        if left[_key(word)] > 0:
            left[_key(word)] -= 1
        else:
            missing.append(word)
    return missing


def _quoted(text: str) -> str:
    return f'"{clip(text, TITLE_CHARS)}"'


# --- the kinds of step ----------------------------------------------------------------------


def _start(screen: Screen) -> tuple[str, str]:
    if not screen.title:
        return "Start the session", _showing("The session starts", screen)
    where = _quoted(screen.title)
    return f"Start in {where}", _showing(f"The session starts in the {where} window", screen)


def _showing(opening: str, screen: Screen, lines: Sequence[Line] = ()) -> str:
    text = excerpt(lines or screen.lines, TEXT_CHARS, skip=clean(screen.title))
    return f'{opening}, showing "{text}".' if text else f"{opening}."


def _switched(before: Screen, after: Screen, change: Change) -> bool:
    if not after.title or clean(after.title).casefold() == clean(before.title).casefold():
        return False
    # why: OCR may read the same title two ways; only a title bar whose pixels changed counts
    boxes = [b for b in (before.title_box, after.title_box) if b is not None]
    return any(overlaps(change.box, b) for b in boxes)


def _switch(after: Screen, change: Change) -> tuple[str, str]:
    where = _quoted(after.title)
    region = group_lines(change.after) or after.lines
    return f"Switch to {where}", _showing(f"The {where} window comes to the front", after, region)


def _resize(after: Screen) -> tuple[str, str]:
    height, width = after.pixels.shape[:2]
    if not after.title:
        return "Resize the window", f"The screen is now {width} x {height} pixels."
    where = _quoted(after.title)
    return f"Resize {where}", f"The {where} window is now {width} x {height} pixels."


def _clock_only(change: Change) -> bool:
    moved = change.added + change.removed
    # why: a clock replaces one time with another; a date typed into an empty field only adds
    return (
        bool(change.added)
        and bool(change.removed)
        and change.fraction < CLOCK_FRACTION
        and all(_CLOCK.fullmatch(w.text.strip()) for w in moved)
    )


def _typed(change: Change) -> bool:
    if not change.added:
        return False
    lines = group_lines(change.after)
    if len(lines) != 1 or len(group_lines(change.before)) > 1:
        return False
    return change.box[3] <= TYPING_LINES * lines[0].height


def _typing(after: Screen, change: Change) -> tuple[str, str]:
    label = label_for(after.lines, change.box, exclude=change.after)
    text = field_text(after.lines, change.box, label) or group_lines(change.after)[0].text
    text = clip(text, TEXT_CHARS)
    if label is None or not label.text:
        return f"Type {_quoted(text)}", f'Type "{text}".'
    field = _quoted(label.text)
    return f"Type in {field}", f'Type into the {field} field; it now reads "{text}".'


def _open(after: Screen, change: Change) -> tuple[str, str]:
    # why: named by the new words, not the region's: a region that spans the whole window also
    # holds its unchanged title and menu bar
    name = heading(change.added)
    shown = excerpt(group_lines(change.added), TEXT_CHARS, skip=name)
    if not name:
        return "Open the highlighted item", f'New content appears: "{shown}".'
    what = _quoted(name)
    return f"Open {what}", (f'{what} opens, showing "{shown}".' if shown else f"{what} opens.")


def _close(change: Change) -> tuple[str, str]:
    name = heading(change.before) or heading(change.removed)
    if not name:
        return "Close the highlighted item", "The highlighted content closes."
    what = _quoted(name)
    return f"Close {what}", f"{what} closes."


def _click(after: Screen, change: Change) -> tuple[str, str]:
    name = heading(change.after) or nearby(after.lines, change.box)
    if not name:
        return "Click the highlighted area", "The highlighted area changes."
    what = _quoted(name)
    return f"Click {what}", f"Click {what}; the highlighted area changes."


def describe(before: Screen, after: Screen, change: Change) -> tuple[str, str] | None:
    """The step title and description for ``change``, or None when it is not worth a step."""
    if _switched(before, after, change):
        return _switch(after, change)
    if change.resized:
        return _resize(after)
    if _clock_only(change):
        return None
    if _typed(change):
        return _typing(after, change)
    if change.added:
        return _open(after, change)
    if change.removed:
        return _close(change)
    return _click(after, change)


# --- the session ----------------------------------------------------------------------------


def _step(number: int, screen: Screen, text: tuple[str, str], change: Change | None) -> Step:
    frame = screen.frame
    return Step(
        number=number,
        title=text[0],
        description=text[1],
        screenshot_id=frame.screenshot_id,
        filename=frame.filename,
        highlight=change.box if change else None,
        changed_fraction=change.fraction if change else 1.0,
        captured_at=frame.captured_at,
    )


def _continues(previous: Step, step: Step) -> bool:
    """Whether ``step`` is more typing into the field ``previous`` typed into."""
    return (
        step.title.startswith("Type in ")
        and step.title == previous.title
        and previous.highlight is not None
        and step.highlight is not None
        and overlaps(_grown(previous.highlight, 8), step.highlight)
    )


def _grown(box: Box, by: int) -> Box:
    return (box[0] - by, box[1] - by, box[2] + 2 * by, box[3] + 2 * by)


def _merge(previous: Step, step: Step) -> Step:
    assert previous.highlight is not None and step.highlight is not None
    return replace(
        step,
        number=previous.number,
        highlight=union_box([previous.highlight, step.highlight]),
        changed_fraction=max(previous.changed_fraction, step.changed_fraction),
    )


@dataclass
class _Tally:
    frames: int = 0
    unchanged: int = 0
    unreadable: int = 0


def _steps(first: Screen, rest: Iterator[Screen], tally: _Tally) -> list[Step]:
    steps = [_step(1, first, _start(first), None)]
    basis = first
    for screen in rest:
        change = compare(basis, screen)
        text = describe(basis, screen, change) if change else None
        if change is None or text is None:
            tally.unchanged += 1
            continue
        step = _step(len(steps) + 1, screen, text, change)
        if _continues(steps[-1], step):
            steps[-1] = _merge(steps[-1], step)
        else:
            steps.append(step)
        basis = screen
    return steps


def _screens(frames: Sequence[Frame], tally: _Tally) -> Iterator[Screen]:
    """The frames read one at a time in capture order, unreadable ones counted and skipped."""
    # why: lazily, so only two decoded screenshots are in memory however long the session
    for frame in sorted(frames, key=lambda f: (f.captured_at, f.screenshot_id)):
        try:
            yield read_screen(frame)
        except ValueError:
            # why: one corrupt upload must not cost the session its documentation
            tally.unreadable += 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _summary(steps: Sequence[Step], tally: _Tally) -> str:
    if not steps:
        if tally.unreadable:
            return f"No steps: none of the {_plural(tally.frames, 'screenshot')} could be read."
        return "No steps: no screenshots were recorded."
    start = datetime.fromtimestamp(steps[0].captured_at / 1000, tz=UTC)
    end = datetime.fromtimestamp(steps[-1].captured_at / 1000, tz=UTC)
    text = (
        f"{_plural(len(steps), 'step')} recorded on {start:%Y-%m-%d} between {start:%H:%M} "
        f"and {end:%H:%M} UTC, from {_plural(tally.frames, 'screenshot')}"
    )
    notes = []
    if tally.unchanged:
        was = "was" if tally.unchanged == 1 else "were"
        notes.append(f"{tally.unchanged} without a visible change {was} merged")
    if tally.unreadable:
        was = "was" if tally.unreadable == 1 else "were"
        notes.append(f"{tally.unreadable} unreadable {was} skipped")
    return text + (f" ({'; '.join(notes)})." if notes else ".")


def generate(frames: Sequence[Frame], title: str = "") -> Documentation:
    """Step-by-step documentation of a session, written offline from its screenshots and OCR.

    ``title`` defaults to the first screenshot's window title. Unreadable screenshots are
    skipped and counted in the summary; no frames give a documentation with no steps.
    """
    tally = _Tally(frames=len(frames))
    screens = _screens(frames, tally)
    first = next(screens, None)
    steps = _steps(first, screens, tally) if first else []
    doc_title = clean(title) or (first.title if first else "") or "Recorded session"
    return Documentation(doc_title, _summary(steps, tally), steps, engine="offline")
