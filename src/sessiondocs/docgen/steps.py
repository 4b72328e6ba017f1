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

The first frame is ``Start in "<window title>"``.

A frame the capture agent took just after an input event it recorded is a step of that action,
named by what the event says rather than guessed from pixels:

- a click: ``Click "<label under the pointer>"``, the label read from the frame before it (the
  screen the click landed on), which is the step's screenshot, with the spot marked; what the
  click caused (a window, a dialog, a message such as "Invoice INV-2041 saved") is told in the
  same step;
- a key that acts (Enter, Tab, Escape, a shortcut): ``Press "<key>"``, with what it caused.

Descriptions quote at most a few short lines, never the whole screen's text, and a highlight
never cuts across a word. Everything is deterministic: the same frames always give the same
documentation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from sessiondocs.docgen.diff import region_between
from sessiondocs.docgen.lines import Box, Line, box_of, group_lines, split_phrases, union_box
from sessiondocs.docgen.model import CLICK, Documentation, Frame, InputEvent, Step
from sessiondocs.docgen.screen import (
    Screen,
    clean,
    clip,
    excerpt,
    field_text,
    heading,
    label_for,
    name_of,
    nearby,
    overlaps,
    read_screen,
    uncaret,
    words_in,
)
from sessiondocs.words import Word

TITLE_CHARS = 60
TEXT_CHARS = 160
SHOWN_CHARS = 80  # what a step quotes of new content: a few short lines at most
SHOWN_LINES = 3
CARET_WIDTH = 4  # pixels: a change no wider is a text cursor blinking
LABEL_GAP = 0.8  # a wider gap (in line heights) parts two controls' labels: "OK" | "Cancel"
HOVER_REACH = 4  # pixels: a change around where the next click lands is the pointer hovering
EDGE_LEVELS = 48  # a column this much darker or lighter than both sides of a gap is a border
BACKGROUND_LEVELS = 8  # words whose backgrounds differ by this many grays label two things
CLICK_REACH = 6.0  # a label beside the spot clicked (a tick box's) is at most this many
# line heights away on its row
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
    # why: a blinking text cursor comes and goes beside a word; the word is the same
    return uncaret(word.text.strip()).casefold()


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
        return "Start the session", "The session starts here."
    where = _quoted(screen.title)
    return f"Start in {where}", f"The session starts in the {where} window."


def _shown(lines: Sequence[Line], skip: str = "") -> str:
    """A short quote of new content: its first few lines, never a whole screen's text."""
    kept = [line for line in lines if not (skip and skip in (clean(line.text), name_of(line)))]
    return excerpt(kept[:SHOWN_LINES], SHOWN_CHARS)


def _switched(before: Screen, after: Screen, change: Change) -> bool:
    if not after.title or clean(after.title).casefold() == clean(before.title).casefold():
        return False
    # why: OCR may read the same title two ways; only a title bar whose pixels changed counts
    boxes = [b for b in (before.title_box, after.title_box) if b is not None]
    return any(overlaps(change.box, b) for b in boxes)


def _switch(after: Screen) -> tuple[str, str]:
    where = _quoted(after.title)
    return f"Switch to {where}", f"The {where} window comes to the front."


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


def _caret_only(change: Change) -> bool:
    """Whether only a text cursor blinked: a sliver no wider than a cursor changed. The OCR
    may read the word beside it differently then ("Janal" for "Jana|"), but no character is
    that thin once typed: typing also moves the cursor, and the change spans both."""
    return change.box[2] <= CARET_WIDTH


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
    return (
        f"Type {_quoted(clip(text, TITLE_CHARS // 2))} into {field}",
        f'Type "{text}" into the {field} field.',
    )


def _typed_field(title: str) -> str | None:
    """The field a typing step's title names (``Type "x" into "Name"`` -> ``"Name"``)."""
    if not title.startswith("Type "):
        return None
    _, into, field = title.rpartition(" into ")
    return field if into else None


def _opens(change: Change) -> str:
    """What new content is, in words: ``"Settings" opens, showing "Name: / OK Cancel".``"""
    # why: named by the new words, not the region's: a region that spans the whole window also
    # holds its unchanged title and menu bar
    name = heading(change.added)
    shown = _shown(group_lines(change.added), skip=name)
    if not name:
        return f'New content appears: "{shown}".' if shown else "New content appears."
    what = _quoted(name)
    return f'{what} opens, showing "{shown}".' if shown else f"{what} opens."


def _open(change: Change) -> tuple[str, str]:
    name = heading(change.added)
    title = f"Open {_quoted(name)}" if name else "Open the highlighted item"
    return title, _opens(change)


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
        return _switch(after)
    if change.resized:
        return _resize(after)
    if _clock_only(change) or _caret_only(change):
        return None
    if _typed(change):
        return _typing(after, change)
    if change.added:
        return _open(change)
    if change.removed:
        return _close(change)
    return _click(after, change)


# --- steps of a recorded input event ---------------------------------------------------------

# a new line holding one of these words reads as a message the app showed ("Invoice saved")
_MESSAGE_WORDS = frozenset(
    [
        "saved",
        "created",
        "sent",
        "deleted",
        "removed",
        "updated",
        "added",
        "uploaded",
        "exported",
        "imported",
        "copied",
        "moved",
        "renamed",
        "submitted",
        "published",
        "scheduled",
        "changed",
        "applied",
        "done",
        "complete",
        "completed",
        "success",
        "successful",
        "successfully",
        "failed",
        "error",
        "invalid",
        "required",
        "denied",
    ]
)


def _message(change: Change) -> str:
    """A confirmation or error line with new words in it, quoted whole as it reads ("Invoice
    INV-2041 saved", though "Invoice" was on the screen before); "" if none."""
    added = set(map(id, change.added))
    for line in group_lines(change.after):
        words = [w.text.strip(".,!:;").casefold() for w in line.words]
        new = [w for w in line.words if id(w) in added]
        if len(words) >= 2 and new and _MESSAGE_WORDS.intersection(words):
            return clip(line.text, TEXT_CHARS)
    return ""


def effect(before: Screen, after: Screen) -> tuple[str, Change | None]:
    """What an action caused, from the screen it acted on to the one just after, in a
    sentence or two ("" when nothing visible changed), and the change."""
    change = compare(before, after)
    if change is None:
        return "", None
    parts = []
    switched = _switched(before, after, change)
    if switched:
        # why: after an action, a new title may be a new window or a new view in the same
        # one; this says only what is certain
        parts.append(f"The window now shows {_quoted(after.title)}.")
    message = _message(change)
    if message:
        parts.append(f'A message says "{message}".')
    elif not switched and not change.resized and not _clock_only(change):
        if change.added:
            parts.append(_opens(change))
        elif change.removed:
            parts.append(_close(change)[1])
    return " ".join(parts), change


def target_at(screen: Screen, x: int, y: int) -> tuple[str, Box | None, bool]:
    """What a click at ``(x, y)`` landed on: the phrase under the pointer, else the nearest
    phrase on its row within reach (a tick box's label on its right, a field's on its left),
    else the label of the field there; with that text's box, and whether the text is a
    field's label left of the spot. ``("", None, False)`` when nothing readable is near."""
    best: tuple[float, str, Box] | None = None
    for line in screen.lines:
        top, height = line.box[1], line.box[3]
        # why: a button's padding lies around its label: a click a little above or below it
        # still pressed it
        if not top - height <= y <= top + 2 * height:
            continue
        for phrase in labels_of(line, screen):
            name = name_of(phrase).strip("[]|{}()").strip()
            if not name or not any(c.isalnum() for c in name):
                continue
            left, width = phrase.box[0], phrase.box[2]
            dx = max(left - x, x - (left + width), 0)
            dy = max(top - y, y - (top + height), 0)
            distance = dx + 2 * dy
            if dx <= CLICK_REACH * line.height and (best is None or distance < best[0]):
                best = (distance, name, phrase.box)
    if best is not None:
        box = best[2]
        return best[1], box, box[0] + box[2] < x
    label = label_for(screen.lines, (x, y, 1, 1))
    if label is not None and label.text:
        return label.text, None, True
    return "", None, False


def labels_of(line: Line, screen: Screen) -> list[Line]:
    """A line's words grouped by the control they label: two buttons or tabs side by side
    ("OK  Cancel", "General | Advanced"), or a menu drawn over other text, read as one phrase;
    their labels part at a gap wider than a space, at a border drawn between them, or where
    the background changes (a menu's entry next to the text it covers)."""

    def parted(a: Word, b: Word) -> bool:
        return _border_between(screen, a, b, line) or _backgrounds_differ(screen, a, b, line)

    return split_phrases(line, LABEL_GAP, parted)


def _backgrounds_differ(screen: Screen, left: Word, right: Word, line: Line) -> bool:
    """Whether two words stand on different backgrounds: each one's commonest gray, over the
    line's height."""
    top, bottom = line.box[1], line.box[1] + line.box[3]

    def background(word: Word) -> int:
        band = screen.pixels[top:bottom, max(0, word.left) : word.right]
        if band.size == 0:
            return -1
        gray = band.mean(axis=2).astype(np.int64).ravel()
        return int(np.bincount(gray).argmax())

    one, other = background(left), background(right)
    return one >= 0 and other >= 0 and abs(one - other) >= BACKGROUND_LEVELS


def _border_between(screen: Screen, left: Word, right: Word, line: Line) -> bool:
    """Whether a vertical line is drawn between two words: a column of the gap, over the
    line's height, that stands out from the background on both sides of it."""
    x0, x1 = left.right + 1, right.left - 1
    top, bottom = line.box[1], line.box[1] + line.box[3]
    if x1 - x0 < 3 or bottom - top < 4:
        return False
    band = screen.pixels[top:bottom, x0:x1].astype(np.int16)
    columns = band.mean(axis=0)  # the mean colour of each column of the gap
    background = np.median(columns, axis=0)
    standing_out = np.abs(columns - background).max(axis=1) >= EDGE_LEVELS
    return bool(standing_out[1:-1].any())


def _surest(screens: Sequence[Screen], x: int, y: int) -> tuple[str, Box | None, bool]:
    """``target_at`` on the screen clicked on, or on the one before it when that reads the
    same control (the same spot) with more confidence: a menu entry or a button lit up under
    the pointer reads worse than it did a moment before."""
    found = []
    for screen in screens:
        target = target_at(screen, x, y)
        found.append((target, _confidence(screen, target[1])))
    first, sure = found[0]
    for other, other_sure in found[1:]:
        box, other_box = first[1], other[1]
        if (
            other[0]
            and box is not None
            and other_box is not None
            and overlaps(box, other_box)
            and other_sure > sure
        ):
            first, sure = other, other_sure
    return first


def _confidence(screen: Screen, box: Box | None) -> float:
    """How sure the OCR was of the label read in ``box``: its least sure word's confidence
    (0 when there is none)."""
    if box is None:
        return 0.0
    words = words_in(screen.frame.ocr.words, box, share=0.5)
    return min((w.conf for w in words), default=0.0)


def _acted(
    number: int, before: Screen, after: Screen, event: InputEvent, earlier: Screen | None = None
) -> Step:
    """The step of one recorded input event, from the screen it acted on to the one after
    (``earlier``: the screen before that one, when there is one)."""
    caused, change = effect(before, after)
    if event.kind == CLICK and event.x is not None and event.y is not None:
        screens = [before] if earlier is None else [before, earlier]
        name, _, beside = _surest(screens, event.x, event.y)
        button = "" if event.button in ("", "left") else f"{event.button.capitalize()}-click"
        verb = button or "Click"
        if name and beside and not button:
            title = f"Click into {_quoted(name)}"  # the field right of its label
        elif name:
            title = f"{verb} {_quoted(name)}"
        elif event.window:
            title = f"{verb} in {_quoted(event.window)}"
        else:
            title = f"{verb} the marked spot"
        said = f"{title}."
        # why: the ring where the click landed marks the spot; an outline as well would
        # crowd the label it is meant to show
        shown, highlight, marker = before, None, (event.x, event.y)
    else:
        title, said = f"Press {_quoted(event.key)}", f"Press {clean(event.key)}."
        shown, marker = after, None
        highlight = whole_words(change.box, after.lines) if change else None
    return Step(
        number=number,
        title=title,
        description=" ".join(p for p in (said, caused) if p),
        screenshot_id=shown.frame.screenshot_id,
        filename=shown.frame.filename,
        highlight=highlight,
        changed_fraction=change.fraction if change else 0.0,
        captured_at=shown.frame.captured_at,
        marker=marker,
    )


def whole_words(box: Box, lines: Sequence[Line]) -> Box:
    """``box`` grown to take in every word it cuts across, so an outline around it never
    crosses a word it is meant to show."""
    grown = box
    for _ in range(3):  # why: taking in a word can reach into another; a few rounds settle it
        cut = [box_of(w) for line in lines for w in line.words if overlaps(grown, box_of(w))]
        wider = union_box([grown, *cut])
        if wider == grown:
            break
        grown = wider
    return grown


# --- the session ----------------------------------------------------------------------------


def _step(number: int, screen: Screen, text: tuple[str, str], change: Change | None) -> Step:
    frame = screen.frame
    return Step(
        number=number,
        title=text[0],
        description=text[1],
        screenshot_id=frame.screenshot_id,
        filename=frame.filename,
        highlight=whole_words(change.box, screen.lines) if change else None,
        changed_fraction=change.fraction if change else 1.0,
        captured_at=frame.captured_at,
    )


def _continues(previous: Step, step: Step) -> bool:
    """Whether ``step`` is more typing into the field ``previous`` typed into: both type, at
    the same place (the label read beside the newer words may take in the older ones)."""
    return (
        _typed_field(step.title) is not None
        and _typed_field(previous.title) is not None
        and previous.highlight is not None
        and step.highlight is not None
        and overlaps(_grown(previous.highlight, 8), step.highlight)
    )


def _grown(box: Box, by: int) -> Box:
    return (box[0] - by, box[1] - by, box[2] + 2 * by, box[3] + 2 * by)


def _merge(previous: Step, step: Step, screen: Screen, change: Change) -> Step:
    """One typing step for both: the field's whole text now, under the label of the region
    typed into from the start."""
    assert previous.highlight is not None and step.highlight is not None
    box = union_box([previous.highlight, step.highlight])
    words = words_in(screen.frame.ocr.words, box)
    title, description = _typing(screen, replace(change, box=box, after=words, added=words))
    return replace(
        step,
        number=previous.number,
        title=title,
        description=description,
        highlight=box,
        changed_fraction=max(previous.changed_fraction, step.changed_fraction),
    )


@dataclass
class _Tally:
    frames: int = 0
    unchanged: int = 0
    unreadable: int = 0
    first: float = 0.0  # capture times (ms) of the session's first and last screenshots
    last: float = 0.0


def _hovering(change: Change, upcoming: InputEvent | None) -> bool:
    """Whether ``change`` is only the pointer hovering over what it clicks next (a button or
    menu entry lit up under it): new pixels at the click's spot, no text typed."""
    if upcoming is None or upcoming.kind != CLICK or upcoming.x is None or upcoming.y is None:
        return False
    if _typed(change):
        return False
    left, top, width, height = _grown(change.box, HOVER_REACH)
    return left <= upcoming.x < left + width and top <= upcoming.y < top + height


def _steps(
    first: Screen, rest: Iterator[tuple[Screen, InputEvent | None]], tally: _Tally
) -> list[Step]:
    steps = [_step(1, first, _start(first), None)]
    basis = first  # the screen the last step left
    previous = first  # the screen just before this one: what a recorded action acted on
    earlier: Screen | None = None  # the one before that
    for screen, upcoming in rest:
        event = screen.frame.event
        if event is not None:
            steps.append(_acted(len(steps) + 1, previous, screen, event, earlier))
            basis = previous = screen
            earlier = None
            continue
        earlier, previous = previous, screen
        change = compare(basis, screen)
        if change is not None and _hovering(change, upcoming):
            # why: the click that follows is the step; what lit up under the pointer is not
            tally.unchanged += 1
            continue
        text = describe(basis, screen, change) if change else None
        if change is None or text is None:
            tally.unchanged += 1
            continue
        step = _step(len(steps) + 1, screen, text, change)
        if _continues(steps[-1], step):
            steps[-1] = _merge(steps[-1], step, screen, change)
        elif _typed_into_clicked(steps[-1], step):
            # why: "Type 'x' into 'Customer'" says all that clicking into it did
            steps[-1] = replace(step, number=steps[-1].number)
        else:
            steps.append(step)
        basis = screen
    return steps


def _typed_into_clicked(previous: Step, step: Step) -> bool:
    """Whether ``step`` types into the field ``previous`` clicked into."""
    field = _typed_field(step.title)
    return field is not None and previous.title == f"Click into {field}"


def _screens(frames: Sequence[Frame], tally: _Tally) -> Iterator[tuple[Screen, InputEvent | None]]:
    """The frames read one at a time in capture order, unreadable ones counted and skipped,
    each with the input event of the frame after it (what the person does next)."""
    # why: lazily, so only two decoded screenshots are in memory however long the session
    ordered = sorted(frames, key=lambda f: (f.captured_at, f.screenshot_id))
    for i, frame in enumerate(ordered):
        upcoming = ordered[i + 1].event if i + 1 < len(ordered) else None
        try:
            yield read_screen(frame), upcoming
        except ValueError:
            # why: one corrupt upload must not cost the session its documentation
            tally.unreadable += 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def duration(ms: float) -> str:
    """A span of time in words: "45 s", "1 min 38 s", "1 h 5 min"."""
    seconds = max(0, round(ms / 1000))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def _span(first_ms: float, last_ms: float) -> str:
    """When a session ran: its day, first and last screenshot times (UTC) and its length."""
    start = datetime.fromtimestamp(first_ms / 1000, tz=UTC)
    end = datetime.fromtimestamp(last_ms / 1000, tz=UTC)
    if end.date() != start.date():
        return f"from {start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC"
    if last_ms - first_ms < 1000:
        return f"on {start:%Y-%m-%d} at {start:%H:%M:%S} UTC"
    return (
        f"on {start:%Y-%m-%d} from {start:%H:%M:%S} to {end:%H:%M:%S} UTC "
        f"({duration(last_ms - first_ms)})"
    )


def _summary(steps: Sequence[Step], tally: _Tally) -> str:
    if not steps:
        if tally.unreadable:
            return f"No steps: none of the {_plural(tally.frames, 'screenshot')} could be read."
        return "No steps: no screenshots were recorded."
    text = (
        f"{_plural(len(steps), 'step')} recorded {_span(tally.first, tally.last)}, "
        f"from {_plural(tally.frames, 'screenshot')}"
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
    times = [frame.captured_at for frame in frames]
    tally = _Tally(frames=len(frames), first=min(times, default=0), last=max(times, default=0))
    screens = _screens(frames, tally)
    first = next(screens, None)
    steps = _steps(first[0], screens, tally) if first else []
    doc_title = clean(title) or (first[0].title if first else "") or "Recorded session"
    return Documentation(doc_title, _summary(steps, tally), steps, engine="offline")
