"""Choosing an OCR engine and reading an image with it.

Two engines read screenshots offline: ``tesseract`` (the system Tesseract 5 through pytesseract)
and ``rapidocr`` (PP-OCR models shipped inside the ``rapidocr`` wheel, on onnxruntime). Each is
created once per process and shared: ``get_engine`` caches it, and its ``read`` may be called
from several threads.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from PIL import Image, UnidentifiedImageError

from sessiondocs.words import OcrResult

ENGINES: tuple[str, ...] = ("tesseract", "rapidocr")
ENV_VAR = "SESSIONDOCS_OCR"

# RapidOCR is the default: it reads more accurately, and the documentation written from its
# words names more of what the user did (bench/README.md). Measured on 20 synthetic screens,
# both themes (bench/bench_sessiondocs_ocr.py), and on 16 scripted sessions
# (bench/bench_sessiondocs_changes.py, bench/bench_sessiondocs_steps.py):
#   rapidocr   CER 0.07-0.12%, word accuracy 99.2%; a session's screenshots are read only
#              where they changed (``read_image_after``): 589-725 a minute through the
#              pipeline on 2 cores; documentation steps 30/30 scripted, 13/14 held out. A whole
#              read of a screen full of text takes 1.7-1.9 s on one core (55-71 such unrelated
#              screens a minute through the pipeline)
#   tesseract  CER 0.42%, word accuracy 97.0%, 0.9-1.1 s per whole screen, 119 a minute
#              through the pipeline; documentation steps 29/30 scripted, 10/14 held out.
#              SESSIONDOCS_OCR=tesseract chooses it where whole reads of dense screens
#              must be fast.
DEFAULT_ENGINE = "rapidocr"

ImageSource = str | Path | bytes | bytearray | memoryview | Image.Image
# why: a screenshot of an 8K screen is 33 M pixels; a file announcing far more is an attack or
# an accident, and decoding it would take gigabytes
MAX_PIXELS = 80_000_000


@runtime_checkable
class OcrEngine(Protocol):
    """What every engine does: read one image into words, boxes and text."""

    name: str

    def read(self, image: Image.Image) -> OcrResult:
        """Read ``image``; boxes are in its pixels, text is its rows top to bottom."""
        ...


class NotAnImageError(ValueError):
    """The bytes or file given to ``read_image`` do not decode as an image."""


_engines: dict[str, OcrEngine] = {}
_engines_lock = threading.Lock()


def engine_name(name: str | None = None) -> str:
    """The engine ``name`` stands for: itself, else ``$SESSIONDOCS_OCR``, else the default."""
    chosen = name or os.environ.get(ENV_VAR) or DEFAULT_ENGINE
    if chosen not in ENGINES:
        where = f"{ENV_VAR}={chosen!r}" if not name else repr(chosen)
        raise ValueError(f"unknown OCR engine {where}; expected one of: {', '.join(ENGINES)}")
    return chosen


def get_engine(name: str | None = None) -> OcrEngine:
    """The shared engine called ``name`` (None: ``$SESSIONDOCS_OCR`` or ``DEFAULT_ENGINE``).

    Created on first use and cached, so models load once per process. Raises ValueError for a
    name not in ``ENGINES``.
    """
    chosen = engine_name(name)
    with _engines_lock:
        if chosen not in _engines:
            _engines[chosen] = _create(chosen)
        return _engines[chosen]


def _create(name: str) -> OcrEngine:
    if name == "tesseract":
        from sessiondocs.ocr.tesseract import TesseractEngine

        return TesseractEngine()
    from sessiondocs.ocr.rapid import RapidOcrEngine

    return RapidOcrEngine()


def load_image(source: ImageSource) -> Image.Image:
    """Decode ``source`` (a path, encoded PNG/JPEG/... bytes, or an image) into an image.

    Raises NotAnImageError (a ValueError) when it is not a readable image.
    """
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, bytes | bytearray | memoryview):
        data, label = bytes(source), f"{len(source)} bytes"
    elif isinstance(source, str | Path):
        try:
            data, label = Path(source).read_bytes(), str(source)
        except OSError as exc:
            raise NotAnImageError(f"not an image: {source} ({exc.strerror or exc})") from exc
    else:
        raise TypeError(f"expected a path, bytes or a PIL image, got {type(source).__name__}")
    try:
        image = Image.open(io.BytesIO(data))
        too_large = image.width * image.height > MAX_PIXELS
        if not too_large:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise NotAnImageError(f"not an image: {label} ({exc})") from exc
    except Image.DecompressionBombError as exc:
        raise NotAnImageError(f"not an image: {label} is too large to read ({exc})") from exc
    if too_large:
        size = f"{image.width}x{image.height}"
        raise NotAnImageError(f"not an image: {label} is {size}, too large to read")
    return image


def read_image(source: ImageSource, engine: str | None = None) -> OcrResult:
    """OCR ``source`` (a path, encoded image bytes, or a PIL image) with ``engine``.

    ``engine`` None means ``$SESSIONDOCS_OCR`` or ``DEFAULT_ENGINE``. Raises NotAnImageError (a
    ValueError) for anything that is not a readable image, ValueError for an unknown engine.
    """
    ocr = get_engine(engine)
    return ocr.read(load_image(source))


def read_image_after(
    source: ImageSource,
    earlier: ImageSource,
    earlier_result: OcrResult,
    engine: str | None = None,
) -> OcrResult:
    """``read_image(source, engine)``, reading only what differs from ``earlier`` (an earlier
    screenshot of the same screen, which this engine read as ``earlier_result``) where the
    engine can (RapidOCR: ``incremental``); the words are the same either way. ``earlier``
    that is not a readable image is ignored."""
    ocr = get_engine(engine)
    image = load_image(source)
    read_changed = getattr(ocr, "read_changed", None)
    if read_changed is None or earlier_result.engine != ocr.name:
        return ocr.read(image)
    try:
        before = load_image(earlier)
    except NotAnImageError:
        return ocr.read(image)
    result: OcrResult = read_changed(image, before, earlier_result)
    return result
