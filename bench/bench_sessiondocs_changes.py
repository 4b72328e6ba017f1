"""sessiondocs: reading only what changed, on the scripted sessions, with RapidOCR.

The frames are those of the documentation quality bench's scripted sessions
(``steps_scenarios.py``: real Tk applications driven by xdotool under Xvfb, captured by the
agent's own capture loop and input recorder), recorded afresh in each run. Two figures:

- **Same words.** Each session read in order with RapidOCR, each frame twice: whole
  (``engine.read``) and only where it differs from the frame before (``engine.read_changed``
  on the previous frame and its read). The count of frames whose words (text and boxes, to the
  pixel), text and icons are the same both ways; the goal is all of them. Also the time of both,
  one frame at a time.
- **Screenshots per minute, upload -> OCR stored**, through a real ``python -m sessiondocs
  serve`` with ``SESSIONDOCS_OCR=rapidocr``: every session's frames are uploaded as one client
  can, round robin over the sessions (frame 1 of each, then frame 2 of each, ...: agents of
  several people at once); the time runs from the first upload to the last result stored. The
  baseline, in the same run: the same frames read whole by the engine directly on two threads
  (one per core), no server. Goal: >= 300 screenshots a minute.

Run it through ``bench/run.py``, or alone: ``python bench/bench_sessiondocs_changes.py
[--quick]`` (``--quick``: three sessions).
"""

from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sessiondocs.conftest import xvfb_display  # noqa: E402

from bench_engine import Result, fresh_dir, say  # noqa: E402
from bench_sessiondocs_pipeline import direct_per_minute, pipeline_per_minute  # noqa: E402
from bench_sessiondocs_steps import record  # noqa: E402
from sessiondocs.ocr import get_engine, load_image  # noqa: E402
from steps_scenarios import HELD_OUT_SCENARIOS, SCENARIOS  # noqa: E402

ENGINE = "rapidocr"
GOAL_PER_MIN = 300.0

Session = tuple[str, list[bytes]]  # a scenario's name and its frames as PNG, in capture order


def recorded(quick: bool, tmp: Path) -> list[Session]:
    scenarios = SCENARIOS[:3] if quick else SCENARIOS + HELD_OUT_SCENARIOS
    sessions = []
    with xvfb_display() as display:
        for scenario in scenarios:
            with tempfile.TemporaryDirectory(prefix=f"{scenario.name}-", dir=tmp) as where:
                frames = [f.read() for f in record(scenario, display, Path(where))]
            sessions.append((scenario.name, frames))
    return sessions


def same_words(sessions: list[Session]) -> tuple[int, int, float, float]:
    """Frames read both ways that read the same, frames compared, and seconds per frame
    whole and in part (the first frame of each session is only ever read whole)."""
    engine = get_engine(ENGINE)
    same = compared = 0
    whole_time = part_time = 0.0
    for _, frames in sessions:
        images = [load_image(png) for png in frames]
        earlier = engine.read(images[0])
        for before, image in itertools.pairwise(images):
            started = time.perf_counter()
            whole = engine.read(image)
            whole_time += time.perf_counter() - started
            started = time.perf_counter()
            part = engine.read_changed(image, before, earlier)  # type: ignore[attr-defined]
            part_time += time.perf_counter() - started
            compared += 1
            same += (part.words, part.text, part.icons) == (whole.words, whole.text, whole.icons)
            earlier = part
    return same, compared, whole_time / compared, part_time / compared


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        say("skipped: needs Xvfb and xdotool (make system)")
        return []
    with fresh_dir(tmp_root) as tmp:
        sessions = recorded(quick, tmp)
        same, compared, whole, part = same_words(sessions)
        frames = [pngs for _, pngs in sessions]
        direct = direct_per_minute([png for pngs in frames for png in pngs], ENGINE)
        served = pipeline_per_minute(frames, tmp / "data", {"SESSIONDOCS_OCR": ENGINE})
    total = sum(len(f) for _, f in sessions)
    met = "met" if served >= GOAL_PER_MIN else "NOT met"
    say(
        f"{len(sessions)} scripted sessions, {total} frames: {same}/{compared} read only where "
        f"they changed give the same words, text and icons as a whole read (goal: all); "
        f"{whole:.3f} s per frame whole, {part:.3f} s in part ({whole / part:.1f}x)"
    )
    say(
        f"sessiondocs pipeline ({ENGINE}): {served:.0f} screenshots/min upload -> OCR stored, vs "
        f"{direct:.0f}/min whole reads alone on 2 threads ({served / direct:.2f}x); "
        f"goal >= {GOAL_PER_MIN:.0f}/min: {met}"
    )
    return [
        Result(
            "sessiondocs reads only what changed: same words",
            "%",
            100 * same / compared,
            100.0,
            same / compared,
            f"{same}/{compared} frames read the same in part and whole; goal: all; "
            f"{whole / part:.1f}x faster in part",
        ),
        Result(
            f"sessiondocs scripted sessions upload -> OCR stored ({ENGINE})",
            "/min",
            served,
            direct,
            served / direct,
            f"vs whole reads alone, 2 threads; goal >= {GOAL_PER_MIN:.0f}/min: {met}",
        ),
    ]


if __name__ == "__main__":
    run("--quick" in sys.argv)
