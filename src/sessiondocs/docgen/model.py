"""What the generator reads (``Frame``) and writes (``Step``, ``Documentation``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessiondocs.docgen.lines import Box
from sessiondocs.words import OcrResult


@dataclass(frozen=True)
class Frame:
    """One screenshot of a session: its PNG, when it was taken (ms since epoch), its OCR."""

    screenshot_id: str
    filename: str
    captured_at: float
    image: bytes
    ocr: OcrResult


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
        )


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
