"""sessiondocs redaction: secrets typed into real applications, checked on every stored frame.

Each scenario of ``steps_scenarios.REDACTION_SCENARIOS`` (a profile form where a person types
an email, a phone, a card number, an IBAN and a password shown in clear; running text with a
phone and an email in it) runs as a Tk application on Xvfb, recorded by the agent's capture
loop and input recorder while xdotool types, as in ``bench_sessiondocs_steps.py``. Every frame
then goes through what the server stores: OCR and redaction (``sessiondocs.redact.redact``).

- **covered**: a secret is leaked in a frame when a run of 5 or more of its letters and digits
  can still be read there: the stored (redacted) image is read again by the OCR, and the
  stored OCR text is searched too. The figure is the share of (frame, secret) pairs where the
  secret was typed and nothing of it can be read; goal 100%.
- **steps from fills**: the documentation written from the stored frames, read back as in the
  steps bench; a step that is no click, typing or key (such as one a redaction box changing
  size produced: "Open \"[phone]\"") counts; goal 0. Steps that match nothing expected are
  printed too.

Needs Xvfb and xdotool; skipped otherwise. ``python bench/bench_sessiondocs_redaction.py``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_engine import Result, fresh_dir, say  # noqa: E402
from bench_sessiondocs_steps import matched, read_title, record  # noqa: E402
from steps_scenarios import REDACTION_SCENARIOS, SECRETS, Scenario  # noqa: E402

RUN = 5  # letters and digits in a row that count as part of a secret showing


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def pieces(secret: str) -> set[str]:
    """Every run of ``RUN`` letters and digits of ``secret`` (punctuation and spaces left out)."""
    plain = _alnum(secret)
    return {plain[i : i + RUN] for i in range(len(plain) - RUN + 1)}


def leaked(secret: str, *texts: str) -> bool:
    """Whether any run of the secret can be read in any of ``texts``."""
    seen = " ".join(_alnum(t) for t in texts)
    return any(piece in seen for piece in pieces(secret))


def stored(frames: list[Any]) -> list[tuple[Any, bytes, Any, Any]]:
    """Each frame as the server stores it: (queued frame, redacted PNG, redacted OCR, OCR read
    of the unredacted frame)."""
    from sessiondocs.ocr import read_image
    from sessiondocs.redact import redact

    out = []
    for frame in frames:
        png = frame.read()
        read = read_image(png)
        redacted_png, redacted_ocr, _ = redact(png, read)
        out.append((frame, redacted_png, redacted_ocr, read))
    return out


def check(scenario: Scenario, display: str, tmp: Path) -> dict[str, Any]:
    """Record ``scenario``, store its frames as the server does, and check every secret."""
    from sessiondocs.docgen import Frame, InputEvent, generate
    from sessiondocs.ocr import read_image

    kept = stored(record(scenario, display, tmp))
    typed = [text for kind, text in scenario.actions if kind == "type"]
    secrets = {name: s for name, s in SECRETS.items() if any(s in t for t in typed)}
    pairs = leaks = 0
    leaks_seen: list[str] = []
    docs_frames = []
    for frame, png, ocr, original in kept:
        again = read_image(png).text
        for name, secret in secrets.items():
            if not leaked(secret, original.text):
                continue  # not on this frame (not typed yet, or unreadable even in clear)
            pairs += 1
            if leaked(secret, again, ocr.text):
                leaks += 1
                leaks_seen.append(f"{frame.filename}: {name}")
        event = InputEvent.from_json(frame.event) if frame.event else None
        docs_frames.append(Frame(frame.filename, frame.filename, frame.capturedAt, png, ocr, event))
    titles = [s.title for s in generate(docs_frames).steps]
    titles = [t for t in titles if read_title(t)[0] != "start"]
    found = matched(scenario.expected, [read_title(t) for t in titles])
    return {
        "pairs": pairs,
        "leaks": leaks,
        "where": leaks_seen,
        "titles": titles,
        "extra": len(titles) - found,
        "fills": sum(read_title(t)[0] == "other" for t in titles),
        "found": found,
    }


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        say("skipped: needs Xvfb and xdotool (make system)")
        return []
    from tests.sessiondocs.conftest import xvfb_display

    pairs = leaks = fills = 0
    with fresh_dir(tmp_root) as root, xvfb_display() as display:
        for scenario in REDACTION_SCENARIOS:
            with tempfile.TemporaryDirectory(dir=root) as tmp:
                got = check(scenario, display, Path(tmp))
            pairs, leaks, fills = pairs + got["pairs"], leaks + got["leaks"], fills + got["fills"]
            say(
                f"{scenario.name:8s} ({scenario.what}): {got['pairs'] - got['leaks']}/"
                f"{got['pairs']} secrets covered on the frames they were on, "
                f"{got['fills']} steps from fills, {got['extra']} steps matching nothing expected"
            )
            for where in got["where"]:
                say(f"    leaked: {where}")
            if got["extra"] or got["found"] < len(scenario.expected):
                for title in got["titles"]:
                    say(f"    {title}")
    covered = (pairs - leaks) / pairs if pairs else 1.0
    say(
        f"secrets covered on every stored frame: {pairs - leaks}/{pairs} = {covered:.0%} "
        f"(goal 100%); steps from fills: {fills} (goal 0)"
    )
    return [
        Result(
            "redaction: secrets covered per frame",
            "%",
            covered * 100,
            100.0,
            covered,
            f"{pairs - leaks}/{pairs}; goal 100%",
        )
    ]


if __name__ == "__main__":
    run("--quick" in sys.argv)
