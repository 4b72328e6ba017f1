"""sessiondocs OCR benchmark: both engines on synthetic UI screenshots with known text.

For each engine (``sessiondocs.ocr``: ``tesseract`` and ``rapidocr``) over 20 synthetic 1280x800
screens (``sessiondocs.synth``, light and dark themes alternating; 4 with ``--quick``):

- character error rate (whitespace-normalized Levenshtein distance over the truth's length) and
  word accuracy (1 - word error rate); goal CER < 1%;
- seconds per image, wall clock, median and p99 (goal < 1.5 s), and CPU seconds (this process
  plus the tesseract child processes; steadier than wall time on a shared machine);
- the baseline, measured in the same run, image by image, interleaved with the engines: the
  plain ``tesseract`` command on the raw PNG with default settings. Ratio = engine / baseline.
  (Its character error rate is mostly reading order: it reads a screen column by column.)

Everything runs pinned to one core (``sched_setaffinity``), Tesseract with one OpenMP thread
and onnxruntime with one intra-op thread, so the figures are a single core's. The affinity and
the environment are restored afterwards.

Run it through ``bench/run.py`` (``make bench``), or alone:
``python bench/bench_sessiondocs_ocr.py [--quick]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from bench_engine import Result
from sessiondocs.ocr import ENGINES, cer, word_accuracy
from sessiondocs.ocr.engine import DEFAULT_ENGINE
from sessiondocs.ocr.rapid import RapidOcrEngine
from sessiondocs.ocr.tesseract import TesseractEngine
from sessiondocs.synth import synthetic_set

CER_GOAL = 0.01
SECONDS_GOAL = 1.5
BASELINE = "tesseract CLI, defaults"


@dataclass
class Tally:
    """One reader's figures over the set."""

    cers: list[float] = field(default_factory=list)
    words: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, truth: str, text: str, wall: float, cpu: float) -> None:
        self.cers.append(cer(truth, text))
        self.words.append(word_accuracy(truth, text))
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def cer(self) -> float:
        return statistics.fmean(self.cers)  # the mean over screens

    def p(self, q: int) -> float:
        return statistics.quantiles(self.wall, n=100)[q - 1] if len(self.wall) > 1 else self.wall[0]


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process (and the processes it starts) to one core, one thread per library."""
    saved_env = os.environ.get("OMP_THREAD_LIMIT")
    saved_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if saved_cpus:
        os.sched_setaffinity(0, {min(saved_cpus)})
    try:
        yield
    finally:
        if saved_cpus:
            os.sched_setaffinity(0, saved_cpus)
        if saved_env is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = saved_env


def tesseract_cli(path: Path) -> str:
    """The baseline: ``tesseract image stdout``, default page segmentation and settings."""
    done = subprocess.run(
        ["tesseract", str(path), "stdout"], capture_output=True, text=True, check=True
    )
    return done.stdout


def measure(images: int, tmp: Path) -> dict[str, Tally]:
    """Read every screen with the baseline and each engine, interleaved, in rotating order."""
    engines = {"tesseract": TesseractEngine(), "rapidocr": RapidOcrEngine(threads=1)}
    screens = synthetic_set(images, seed=1000)
    paths = []
    for n, (image, _, _) in enumerate(screens):
        paths.append(tmp / f"screen{n}.png")
        image.save(paths[-1])
    for engine in engines.values():  # warm up: models load, caches fill
        engine.read(screens[0][0])
    tesseract_cli(paths[0])
    tallies = {name: Tally() for name in [BASELINE, *engines]}
    readers: list[tuple[str, Callable[[int, Image.Image], str]]] = [
        (BASELINE, lambda n, _: tesseract_cli(paths[n])),
        *((name, lambda _, image, e=e: e.read(image).text) for name, e in engines.items()),
    ]
    for n, (image, truth, _) in enumerate(screens):
        for name, read in readers[n % 3 :] + readers[: n % 3]:
            started, cpu = time.perf_counter(), _cpu()
            text = read(n, image)
            tallies[name].add(truth, text, time.perf_counter() - started, _cpu() - cpu)
    return tallies


def report(tallies: dict[str, Tally]) -> list[Result]:
    base = tallies[BASELINE]
    base_wall = statistics.median(base.wall)
    print(
        f"baseline ({BASELINE}): CER {base.cer:.1%}, word accuracy "
        f"{statistics.fmean(base.words):.1%}, {base_wall:.2f} s per image"
    )
    results = []
    for name in ENGINES:
        t = tallies[name]
        wall, cpu = statistics.median(t.wall), statistics.median(t.cpu)
        met = "met" if t.cer < CER_GOAL and wall < SECONDS_GOAL else "NOT met"
        default = " (default)" if name == DEFAULT_ENGINE else ""
        print(
            f"{name}{default}: CER {t.cer:.2%} (worst screen {max(t.cers):.2%}), word accuracy "
            f"{statistics.fmean(t.words):.1%}, {wall:.2f} s per image (p99 {t.p(99):.2f} s, "
            f"CPU {cpu:.2f} s), {wall / base_wall:.2f}x the baseline's time "
            f"(goal CER < 1%, < 1.5 s: {met})"
        )
        results.append(
            Result(
                f"OCR {name} CER",
                "%",
                t.cer * 100,
                base.cer * 100,
                t.cer / base.cer if base.cer else 0.0,
                f"word accuracy {statistics.fmean(t.words):.1%}; goal CER < 1%",
            )
        )
        results.append(
            Result(
                f"OCR {name} per image",
                "s",
                wall,
                base_wall,
                wall / base_wall,
                f"vs {BASELINE}; CPU {cpu:.2f} s; goal CER < 1%, < 1.5 s: {met}",
                t.p(99),
                base.p(99),
            )
        )
    return results


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    images = 4 if quick else 20
    print(f"{images} synthetic 1280x800 screens, light and dark, one core")
    with one_core(), tempfile.TemporaryDirectory(prefix="sessiondocs-ocr-", dir=tmp_root) as tmp:
        return report(measure(images, Path(tmp)))


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        print(result)
