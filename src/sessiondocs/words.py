"""What OCR reads off a screenshot: words with boxes and confidences, shared by every stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    """One recognized word: its text, its box in image pixels, and a confidence in 0..100."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Word:
        return cls(
            text=str(data["text"]),
            left=int(data["left"]),
            top=int(data["top"]),
            width=int(data["width"]),
            height=int(data["height"]),
            conf=float(data["conf"]),
        )


@dataclass(frozen=True)
class OcrResult:
    """An image's text (lines joined with newlines, top to bottom), its words, and the engine."""

    text: str
    words: list[Word] = field(default_factory=list)
    engine: str = ""
    seconds: float = 0.0
    # what the engine read but judged icons by their size on this page (not in ``words``):
    # kept so that a later screenshot read in part (ocr.incremental) can judge them again
    icons: list[Word] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [w.to_json() for w in self.words],
            "engine": self.engine,
            "seconds": self.seconds,
            "icons": [w.to_json() for w in self.icons],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OcrResult:
        return cls(
            text=str(data.get("text", "")),
            words=[Word.from_json(w) for w in data.get("words", [])],
            engine=str(data.get("engine", "")),
            seconds=float(data.get("seconds", 0.0)),
            icons=[Word.from_json(w) for w in data.get("icons", [])],
        )
