"""The RapidOCR engine: PP-OCR models from the ``rapidocr`` wheel, run by onnxruntime.

Settings, each measured on synthetic UI screens (bench/bench_sessiondocs_ocr.py):

- the text-direction classifier is off: it misreads short menu words;
- the models are named by path, from the wheel's own ``models`` folder, so nothing is ever
  downloaded (rapidocr fetches a model from the network when its configured one is missing);
- recognition reads one crop at a time at its own width, not padded to at least 320 px
  (``rec_img_shape`` width 48 lowers that floor): UI text is mostly short words, and the
  padding was two thirds of the recognizer's work (2.2 s -> 0.8 s per screen on one core, same
  accuracy; its cost is linear in width, so batching gains nothing);
- detection runs at 3/4 scale (0.9 s -> 0.5 s; 11 px text is still found, 2/3 scale loses
  some), while recognition reads its crops from the full-size image;
- a screenshot is read in blocks of rows (``incremental``), each at the whole screen's scale,
  so that a later screenshot can be read only where it changed; no padding is added around a
  wide block (rapidocr pads one wider than 8:1 to a quarter of its width: twice the work);
- word boxes are shrunk to their ink (``fitted``).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sessiondocs.ocr.cleanup import clean, split_icon_sized
from sessiondocs.ocr.icons import INK_CONTRAST
from sessiondocs.ocr.incremental import read_blocks
from sessiondocs.ocr.layout import rows_of, text_of
from sessiondocs.ocr.preprocess import to_rgb
from sessiondocs.words import OcrResult, Word

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
DET_SCALE = 0.75  # detection input size relative to the screenshot
FIT_ROUNDS = 3  # times a word's box is shrunk to its ink, each uncovering more border
BORDER_SHARE = 0.6  # of the engine's box's height: a column inked this far down is a border
FAINT = 4  # ink over less than a quarter of the box's height: too faint to fit the box to
ROW_GAP = 2  # empty rows within one word's letters at most (an "i"'s dot, a colon)
REACH_LETTER = 0.6  # of a word's height: how far past its box its own ink may go on
REACH_GAP = 0.35  # of a word's height: empty columns within a word at most (spaces are wider)


def models_dir() -> Path:
    """Where the installed ``rapidocr`` wheel keeps its bundled models."""
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


class RapidOcrEngine:
    """OCR with RapidOCR: a pool of model instances, one read at a time on each.

    ``workers`` instances (default: one per core), each with one onnxruntime thread, let
    concurrent reads (the pipeline's) use every core; a single read on an idle machine is
    slower than one instance using all cores, but the throughput is higher, as onnxruntime's
    own threads scale poorly on small models.
    """

    name = "rapidocr"

    def __init__(self, threads: int | None = 1, workers: int | None = None) -> None:
        """``threads``: onnxruntime threads per instance (None: its default, all cores);
        ``workers``: instances, created as concurrent reads need them."""
        models = models_dir()
        for model in (DET_MODEL, REC_MODEL):
            if not (models / model).is_file():
                raise RuntimeError(f"rapidocr's bundled model {model} is missing from {models}")
        self._params: dict[str, Any] = {
            "Global.use_cls": False,
            "Global.return_word_box": True,
            "Global.log_level": "error",
            "Global.width_height_ratio": -1,
            "Det.model_path": str(models / DET_MODEL),
            "Det.limit_type": "max",
            "Rec.model_path": str(models / REC_MODEL),
            "Rec.rec_img_shape": [3, 48, 48],
            "Rec.rec_batch_num": 1,
        }
        if threads is not None:
            self._params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            self._params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        self._limit = workers or max(1, len(os.sched_getaffinity(0)))
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._idle.put(self._new())  # why: fail at creation, not on the first read

    def _new(self) -> Any:
        from rapidocr import RapidOCR

        self._made += 1
        return RapidOCR(params=dict(self._params))

    def _take(self) -> Any:
        with self._lock:
            if self._idle.empty() and self._made < self._limit:
                return self._new()
        return self._idle.get()

    def read(self, image: Image.Image) -> OcrResult:
        """Read ``image``: words with boxes in its own pixels, text as rows top to bottom."""
        return self.read_changed(image, None, None)

    def read_changed(
        self, image: Image.Image, earlier: Image.Image | None, earlier_result: OcrResult | None
    ) -> OcrResult:
        """Read ``image`` block by block (``incremental``); with ``earlier`` (a screenshot
        this engine read as ``earlier_result``), only the blocks that differ from it: the
        words are the same as a read of ``image`` alone would give."""
        started = time.perf_counter()
        rgb = to_rgb(image)
        # why: the detector's scale is fixed by the whole screen's longer side, for every block
        limit = max(32, round(max(rgb.size) * DET_SCALE))
        before = None if earlier is None or earlier_result is None else to_rgb(earlier)
        carried = [] if earlier_result is None else [*earlier_result.words, *earlier_result.icons]
        words = read_blocks(rgb, partial(self._read_part, limit), before, carried)
        # why: an icon is told by its size next to the page's capitals, so that is judged on
        # the whole page (a title bar's close cross is the size of the title's capitals)
        ordered = [w for row in rows_of([w] for w in words) for w in row]
        kept, icons = split_icon_sized(ordered, np.asarray(rgb.convert("L")))
        rows = rows_of([w] for w in kept)
        return OcrResult(
            text_of(rows),
            [w for row in rows for w in row],
            self.name,
            time.perf_counter() - started,
            icons,
        )

    def _read_part(self, limit: int, part: Image.Image) -> list[Word]:
        ocr = self._take()
        try:
            # why: the detector reads its size limit on every call; set it per read so the
            # scale (not the absolute size) is fixed, as text size does not grow with screen
            # size. Each instance serves one read at a time, so this per-call state is safe.
            ocr._load_det_model().limit_side_len = limit
            out = ocr(part)
        finally:
            self._idle.put(ocr)
        gray = np.asarray(part.convert("L"))
        lines = [[fitted(w, gray) for w in line] for line in line_words(out)]
        return [w for line in clean(lines) for w in line]


def fitted(word: Word, gray: np.ndarray) -> Word:
    """``word`` with its box fitted to its ink: RapidOCR's boxes reach well beyond the letters
    (a 16 px word gets a 40 px box), which the gaps between words are measured against.

    Each row is measured against its own commonest gray around the box, so text on a lit row
    (a selected list entry) is ink, and a border or highlight row is not. A column inked down
    most of the box is a border; of the runs of inked rows, the one nearest the box's middle
    is the word (the others are the ends of the letters of the lines above and below, or a
    cell's edge). The run is chosen again in the box it gives until nothing changes. Then a
    first or last letter the engine left out is taken back (``_reach``). Faint text (a
    placeholder's light gray) keeps the engine's box."""
    left, top = max(0, word.left), max(0, word.top)
    right, bottom = min(gray.shape[1], word.right), min(gray.shape[0], word.bottom)
    if bottom <= top or right <= left:
        return word
    rows = gray[top:bottom].astype(np.int16)
    # why: each row's commonest gray around the box, a box's height to either side, so that
    # a row the letters' strokes cross (an "e"'s bar) still finds the background
    around = slice(max(0, left - (bottom - top)), right + (bottom - top))
    background = np.array([np.bincount(row[around]).argmax() for row in rows])
    ink = np.abs(rows - background[:, None]) > INK_CONTRAST  # the box's rows, full width
    # why: a column inked down most of the engine's box is a border (a tab's side): letters
    # stand in under half of it
    border = ink.mean(axis=0) >= BORDER_SHARE
    ink[:, border] = False
    box = (left, 0, right, bottom - top)  # columns in the image, rows in ``ink``
    for _ in range(FIT_ROUNDS):
        shrunk = _ink_box(ink, *box)
        if shrunk is None or shrunk == box:
            break
        box = shrunk
    if (box[3] - box[1]) * FAINT < bottom - top:
        return word  # why: too little ink to go by (faint text, a placeholder's light gray)
    x0, y0, x1, y1 = box
    # why: the engine places a word's ends from its recognizer's coarse steps, and can leave
    # out a first or last letter ("invoice" from its "n", the stem of an "N"): the word's
    # ink that goes on just past an end is taken in
    columns = ink[y0:y1].any(axis=0).astype(np.int8)
    columns[border] = _BORDER
    x0 = _reach(columns, x0, -1, y1 - y0)
    x1 = _reach(columns, x1 - 1, 1, y1 - y0) + 1
    return Word(word.text, x0, top + y0, x1 - x0, y1 - y0, word.conf)


_BORDER = 2  # a column inked down most of the engine's box (``columns`` in ``_reach``)


def _reach(columns: np.ndarray, edge: int, step: int, height: int) -> int:
    """The word's last inked column going from ``edge`` (its end as fitted) in direction
    ``step``: over gaps narrower than a space between words, as far as about half a letter.
    Ink that runs on further is not a letter of this word (a background, a border, the next
    word), and then ``edge`` stays."""
    most = round(REACH_LETTER * height)
    gap = max(1, round(REACH_GAP * height))
    reached, blank, column = edge, 0, edge
    while True:
        column += step
        if not 0 <= column < len(columns) or columns[column] == _BORDER:
            return reached
        if columns[column]:
            if abs(column - edge) > most:
                return edge
            reached, blank = column, 0
        else:
            blank += 1
            if blank > gap:
                return reached


def _ink_box(
    ink: np.ndarray, left: int, top: int, right: int, bottom: int
) -> tuple[int, int, int, int] | None:
    part = ink[top:bottom, left:right]
    if part.size == 0:
        return None
    rows = np.flatnonzero(part.any(axis=1))
    if rows.size == 0:
        return None
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > ROW_GAP) + 1)
    middle = (bottom - top) / 2
    rows = min(runs, key=lambda run: max(run[0] - middle, middle - run[-1], 0))
    cols = np.flatnonzero(part[rows[0] : rows[-1] + 1].any(axis=0))
    if cols.size == 0:
        return None
    return (
        left + int(cols[0]),
        top + int(rows[0]),
        left + int(cols[-1]) + 1,
        top + int(rows[-1]) + 1,
    )


def line_words(out: Any) -> list[list[Word]]:
    """RapidOCR's lines as words: its word boxes where it gives them, else split by length."""
    if getattr(out, "txts", None) is None or getattr(out, "boxes", None) is None:
        return []
    groups = list(out.word_results or ())
    lines: list[list[Word]] = []
    g = 0
    for box, text, score in zip(out.boxes, out.txts, out.scores, strict=True):
        # why: rapidocr leaves lines without word boxes out of word_results, so the groups are
        # matched to lines by their text rather than by position
        if g < len(groups) and _matches(groups[g], text):
            lines.append([_word(t, s, b) for t, s, b in groups[g] if str(t).strip()])
            g += 1
        else:
            lines.append(split_line(text, float(score), np.asarray(box, dtype=float)))
    return lines


def _matches(group: Any, text: str) -> bool:
    try:
        items = [(str(t), b) for t, _, b in group]
    except (TypeError, ValueError):
        return False
    joined = "".join("".join(t.split()) for t, _ in items)
    return all(b is not None for _, b in items) and joined == "".join(text.split())


def _word(text: Any, score: Any, box: Any) -> Word:
    pts = np.asarray(box, dtype=float)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    width, height = max(1, int(x1 - x0)), max(1, int(y1 - y0))
    return Word(str(text).strip(), int(x0), int(y0), width, height, _conf(score))


def split_line(text: str, score: float, box: np.ndarray) -> list[Word]:
    """A line's box cut into one box per word, widths in proportion to character counts."""
    x0, y0 = np.floor(box.min(axis=0)).astype(int)
    x1, y1 = np.ceil(box.max(axis=0)).astype(int)
    tokens = text.split()
    if not tokens:
        return []
    per_char = (x1 - x0) / max(1, len(" ".join(tokens)))
    words, offset = [], 0
    for token in tokens:
        left = x0 + round(offset * per_char)
        right = x0 + round((offset + len(token)) * per_char)
        words.append(
            Word(token, int(left), int(y0), max(1, int(right - left)), int(y1 - y0), _conf(score))
        )
        offset += len(token) + 1
    return words


def _conf(score: Any) -> float:
    return round(min(100.0, max(0.0, float(score) * 100.0)), 2)
