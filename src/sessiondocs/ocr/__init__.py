"""OCR of screenshots, offline: words with boxes and confidences, and the text as lines.

    from sessiondocs.ocr import read_image
    result = read_image("screen.png")           # the default engine, or $SESSIONDOCS_OCR
    result = read_image(png_bytes, "tesseract")  # a named engine
    later = read_image_after(next_png, png_bytes, result)  # only what changed, where it can
    for word in result.words: ...               # Word(text, left, top, width, height, conf)

Engines: ``tesseract`` and ``rapidocr`` (``ENGINES``); ``DEFAULT_ENGINE`` is the one that
measured better on the synthetic screens of ``sessiondocs.synth`` (bench/bench_sessiondocs_ocr.py).
Bad input raises ``NotAnImageError``, a ValueError; an unknown engine name, a ValueError.

Modules: ``engine`` (choosing and caching engines, decoding input), ``tesseract`` and ``rapid``
(the engines), ``preprocess`` (Tesseract's view of a screenshot), ``recover`` (short words
Tesseract's layout drops), ``icons`` and ``cleanup`` (icons read as text, split words),
``layout`` (reading order), ``metrics`` (character error rate, word accuracy), ``incremental``
(RapidOCR reads a screenshot block by block, and only the blocks an earlier one did not have).
"""

from sessiondocs.ocr.engine import (
    DEFAULT_ENGINE,
    ENGINES,
    ENV_VAR,
    NotAnImageError,
    OcrEngine,
    get_engine,
    load_image,
    read_image,
    read_image_after,
)
from sessiondocs.ocr.metrics import cer, word_accuracy

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "ENV_VAR",
    "NotAnImageError",
    "OcrEngine",
    "cer",
    "get_engine",
    "load_image",
    "read_image",
    "read_image_after",
    "word_accuracy",
]
