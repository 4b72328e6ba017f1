"""The Tesseract engine: the system ``tesseract`` through pytesseract, on a prepared image.

Figures on synthetic UI screens (see bench/bench_sessiondocs_ocr.py) moved from 24% character
error with Tesseract's defaults to under 2% with: sparse-text page segmentation (``--psm 11``;
the default assumes a page of paragraphs and drops or merges UI fragments), background
normalization and a 2x upscale (``preprocess.for_tesseract``), one OpenMP thread (its default
threading is ~10x slower on 2 cores), and rows rebuilt from word boxes (``layout.rows_of``).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pytesseract
from PIL import Image

from sessiondocs.ocr.cleanup import clean
from sessiondocs.ocr.layout import rows_of, text_of
from sessiondocs.ocr.preprocess import SCALE, for_tesseract, to_rgb
from sessiondocs.words import OcrResult, Word

CONFIG = "--psm 11"


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
        prepared = for_tesseract(rgb)
        # why: pytesseract hands the image over as a temporary file in ``image.format``; BMP
        # writes in 4 ms where PNG compression of a 2560x1600 image takes ~50 ms
        prepared.format = "BMP"
        try:
            data = pytesseract.image_to_data(
                prepared, lang=self.lang, config=CONFIG, output_type=pytesseract.Output.DICT
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise RuntimeError(
                "the tesseract program is not installed (Debian: apt-get install tesseract-ocr)"
            ) from exc
        rows = rows_of(clean(fragments(data), np.asarray(rgb.convert("L"))))
        words = [w for row in rows for w in row]
        return OcrResult(text_of(rows), words, self.name, time.perf_counter() - started)


def fragments(data: dict[str, list[Any]]) -> list[list[Word]]:
    """Tesseract's lines (block, paragraph, line) as words in original-image pixels."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for i, raw in enumerate(data["text"]):
        text, conf = str(raw).strip(), float(data["conf"][i])
        if not text or conf < 0:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        right, bottom = left + int(data["width"][i]), top + int(data["height"][i])
        # why: floor the start and ceil the end, so the box still covers the ink at 1x
        x0, y0, x1, y1 = left // SCALE, top // SCALE, -(-right // SCALE), -(-bottom // SCALE)
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(Word(text, x0, y0, x1 - x0, y1 - y0, min(conf, 100.0)))
    return [sorted(words, key=lambda w: w.left) for words in lines.values()]
