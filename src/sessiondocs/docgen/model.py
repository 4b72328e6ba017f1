"""What the generator reads (``Frame``) and writes (``Step``, ``Documentation``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessiondocs.docgen.lines import Box
from sessiondocs.words import OcrResult

CLICK = "click"
KEY = "key"
EVENT_KINDS = (CLICK, KEY)


@dataclass(frozen=True)
class InputEvent:
    """What the person did just before a screenshot was taken, as the capture agent recorded it:
    a mouse click (where, which button) or a key that acts (Enter, Tab, Escape, a shortcut),
    never a typed character. The frame captured just before it shows the screen it acted on."""

    kind: str  # CLICK or KEY
    at: float  # ms since the epoch
    x: int | None = None  # a click's position, in the screenshot's pixels
    y: int | None = None
    button: str = ""  # a click's button: "left", "right" or "middle"
    key: str = ""  # a key's name: "Enter", "Tab", "Escape", "Ctrl+S"
    window: str = ""  # the title of the window under the pointer, or with the focus

    def to_json(self) -> dict[str, Any]:
        """The event as JSON, leaving out what it does not have."""
        data: dict[str, Any] = {"kind": self.kind, "at": self.at}
        if self.x is not None and self.y is not None:
            data["x"], data["y"] = self.x, self.y
        for name in ("button", "key", "window"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputEvent:
        """The event ``to_json`` wrote; ValueError for anything else."""
        kind = data.get("kind")
        if kind not in EVENT_KINDS:
            raise ValueError(f"an input event's kind is one of {', '.join(EVENT_KINDS)}")
        x, y = data.get("x"), data.get("y")
        if kind == CLICK and (x is None or y is None):
            raise ValueError("a click has a position (x and y)")
        if kind == KEY and not data.get("key"):
            raise ValueError("a key event names its key")
        return cls(
            kind=kind,
            at=float(data.get("at", 0.0)),
            x=None if x is None else int(x),
            y=None if y is None else int(y),
            button=str(data.get("button", "")),
            key=str(data.get("key", "")),
            window=str(data.get("window", "")),
        )


@dataclass(frozen=True)
class Frame:
    """One screenshot of a session: its PNG, when it was taken (ms since epoch), its OCR, and
    the input event it was taken just after, when the agent recorded one."""

    screenshot_id: str
    filename: str
    captured_at: float
    image: bytes
    ocr: OcrResult
    event: InputEvent | None = None


@dataclass(frozen=True)
class Step:
    """One numbered step: what to do, what happens, and the screenshot that shows it.

    ``highlight`` is the changed region (left, top, width, height) in the screenshot's pixels,
    or None when the whole screen is the point (the first step); ``changed_fraction`` is the
    share of the screen's pixels that changed (0..1).
    """

    number: int
    title: str
    description: str
    screenshot_id: str
    filename: str
    highlight: Box | None
    changed_fraction: float
    captured_at: float
    marker: tuple[int, int] | None = None  # where the step's click landed, in its screenshot

    def to_json(self) -> dict[str, Any]:
        """The step as JSON (snake_case keys; ``highlight`` a list or None)."""
        return {
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "screenshot_id": self.screenshot_id,
            "filename": self.filename,
            "highlight": list(self.highlight) if self.highlight is not None else None,
            "changed_fraction": self.changed_fraction,
            "captured_at": self.captured_at,
            "marker": list(self.marker) if self.marker is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        """The step ``to_json`` wrote; optional fields may be missing."""
        box = data.get("highlight")
        return cls(
            number=int(data["number"]),
            title=str(data["title"]),
            description=str(data.get("description", "")),
            screenshot_id=str(data["screenshot_id"]),
            filename=str(data.get("filename", "")),
            highlight=_box(box) if box else None,
            changed_fraction=float(data.get("changed_fraction", 0.0)),
            captured_at=float(data.get("captured_at", 0.0)),
            marker=_point(data.get("marker")),
        )


def _point(values: Any) -> tuple[int, int] | None:
    if not values:
        return None
    x, y = (int(v) for v in values)
    return (x, y)


def _box(values: Any) -> Box:
    left, top, width, height = (int(v) for v in values)
    return (left, top, width, height)


@dataclass(frozen=True)
class Documentation:
    """A session's documentation: a title, a one-line summary and the numbered steps.

    ``engine`` is "offline" for the generator's own wording, or the name of the language model
    that rewrote it.
    """

    title: str
    summary: str
    steps: list[Step] = field(default_factory=list)
    engine: str = "offline"

    def to_json(self) -> dict[str, Any]:
        """The documentation as JSON, its steps included."""
        return {
            "title": self.title,
            "summary": self.summary,
            "steps": [step.to_json() for step in self.steps],
            "engine": self.engine,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Documentation:
        """The documentation ``to_json`` wrote."""
        return cls(
            title=str(data.get("title", "")),
            summary=str(data.get("summary", "")),
            steps=[Step.from_json(s) for s in data.get("steps", [])],
            engine=str(data.get("engine", "offline")),
        )
