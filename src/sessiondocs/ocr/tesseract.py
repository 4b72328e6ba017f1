"""The Tesseract engine: the system ``tesseract`` through pytesseract, on a prepared image.

Figures on synthetic UI screens (see bench/bench_sessiondocs_ocr.py) moved from 24% character
error with Tesseract's defaults to under 2% with: sparse-text page segmentation (``--psm 11``;
the default assumes a page of paragraphs and drops or merges UI fragments), background
normalization and a 2x upscale (``preprocess``), one OpenMP thread (its default threading is
~10x slower on 2 cores), and rows rebuilt from word boxes (``layout.rows_of``). A second, small
call reads the short words the sparse layout drops (``recover``).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pytesseract  # type: ignore[import-untyped]
from PIL import Image

from sessiondocs.ocr.cleanup import clean
from sessiondocs.ocr.icons import cap_height
from sessiondocs.ocr.layout import rows_of, text_of
from sessiondocs.ocr.preprocess import SCALE, normalize_background, to_rgb, upscale
from sessiondocs.ocr.recover import blobs, reread
from sessiondocs.words import OcrResult, Word

PAGE_CONFIG = "--psm 11"  # sparse text: find as much text as possible in no particular order
STRIP_CONFIG = "--psm 6"  # the strip of dropped words: a uniform block of text
# why: a blob on the strip is read alone, so a low confidence there means it is not text (the
# corners of a rounded button read as "we" or "ud" at ~50, dropped digits read at 90+)
STRIP_MIN_CONF = 70.0


class TesseractEngine:
    """OCR with Tesseract; safe to call from several threads (each call is its own process)."""

    name = "tesseract"

    def __init__(self, lang: str = "eng") -> None:
        self.lang = lang
        # why: pytesseract runs tesseract with this process's environment and has no other way
        # to pass one; its OpenMP default (a thread per core) is ~10x slower on a small machine
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    def read(self, image: Image.Image) -> OcrResult:
        """Read ``image``: words with boxes in its own pixels, text as rows top to bottom."""
        started = time.perf_counter()
        rgb = to_rgb(image)
        flat = normalize_background(rgb)
        big = upscale(flat)
        found = fragments(self._data(big, PAGE_CONFIG))
        gray = np.asarray(rgb.convert("L"))
        seen = [w for f in found for w in f]
        cap = cap_height(gray, seen)
        if cap is not None:
            missed = blobs(np.asarray(flat), seen, cap)
            strip_words = reread(big, SCALE, missed, self._strip_words)
            found += [[w] for w in strip_words]
        rows = rows_of(clean(found, gray))
        words = [w for row in rows for w in row]
        return OcrResult(text_of(rows), words, self.name, time.perf_counter() - started)

    def _strip_words(self, strip: Image.Image) -> list[Word]:
        words = [w for f in fragments(self._data(strip, STRIP_CONFIG), scale=1) for w in f]
        return [w for w in words if w.conf >= STRIP_MIN_CONF]

    def _data(self, image: Image.Image, config: str) -> dict[str, list[Any]]:
        # why: pytesseract hands the image over as a temporary file in ``image.format``; BMP
        # writes in 4 ms where PNG compression of a 2560x1600 image takes ~50 ms
        image.format = "BMP"
        try:
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                image, lang=self.lang, config=config, output_type=pytesseract.Output.DICT
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise RuntimeError(
                "the tesseract program is not installed (Debian: apt-get install tesseract-ocr)"
            ) from exc
        return data


def fragments(data: dict[str, list[Any]], scale: int = SCALE) -> list[list[Word]]:
    """Tesseract's lines (block, paragraph, line) as words, boxes divided by ``scale``."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for i, raw in enumerate(data["text"]):
        text, conf = str(raw).strip(), float(data["conf"][i])
        if not text or conf < 0:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        right, bottom = left + int(data["width"][i]), top + int(data["height"][i])
        # why: floor the start and ceil the end, so the box still covers the ink at 1x
        x0, y0, x1, y1 = left // scale, top // scale, -(-right // scale), -(-bottom // scale)
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(Word(text, x0, y0, x1 - x0, y1 - y0, min(conf, 100.0)))
    return [sorted(words, key=lambda w: w.left) for words in lines.values()]
