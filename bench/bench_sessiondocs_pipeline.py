"""sessiondocs pipeline throughput: screenshots per minute from upload to OCR text stored.

A real ``python -m sessiondocs serve`` gets N synthetic 1280x800 screenshots uploaded and
registered as fast as one client can; the figure is N over the time from the first upload to
the last OCR result stored. Baseline, in the same run: the same images read by the same
default engine called directly, two threads (one per core), no server, no storage, no
database. Goal: at least 60 screenshots a minute on this 2-core machine.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import start_server  # noqa: E402
from tests.sessiondocs.conftest import SIGNUP_DOMAIN, Account  # noqa: E402

from bench_engine import Result  # noqa: E402
from sessiondocs.ocr import get_engine, read_image  # noqa: E402
from sessiondocs.synth import render_screen  # noqa: E402

APP = ROOT / "src" / "sessiondocs" / "functions"
GOAL_PER_MIN = 60.0
CAPTURED = 1_700_000_000_000  # the first screenshot's capture time (ms); each next one 1 s later


def _pngs(count: int) -> list[bytes]:
    out = []
    for i in range(count):
        image, _ = render_screen(1000 + i, "dark" if i % 2 else "light")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def _call(http: httpx.Client, kind: str, path: str, args: dict[str, Any]) -> Any:
    body = http.post(f"/api/{kind}", json={"path": path, "args": args, "format": "json"}).json()
    if body["status"] != "success":
        raise RuntimeError(f"{path}: {body}")
    return body["value"]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set while the block runs, as it was afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                del os.environ[key]
            else:
                os.environ[key] = value


def pipeline_per_minute(
    sessions: list[list[bytes]], data_dir: Path, environment: dict[str, str] | None = None
) -> float:
    """Screenshots a minute from the first upload to the last OCR result stored, through a
    real server (started with ``environment`` set): one session per list of PNGs, uploaded as
    one client can, round robin over the sessions (frame 1 of each, then frame 2 of each...)."""
    with _environment({"SESSIONDOCS_SIGNUP_DOMAINS": SIGNUP_DOMAIN, **(environment or {})}):
        server = start_server(APP, data_dir)
    try:
        token = Account.sign_up(server.url, f"bench@{SIGNUP_DOMAIN}").token
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, timeout=60, headers=headers) as http:
            ids = [
                _call(
                    http, "mutation", "sessions:createSession", {"pcName": "BENCH", "redact": False}
                )
                for _ in sessions
            ]
            total = sum(len(pngs) for pngs in sessions)
            started = time.perf_counter()
            for i in range(max(len(pngs) for pngs in sessions)):
                for session, pngs in zip(ids, sessions, strict=True):
                    if i < len(pngs):
                        _upload(http, session, i, pngs[i])
            while True:
                shots = [
                    shot
                    for session in ids
                    for shot in _call(
                        http, "query", "screenshots:listBySession", {"sessionId": session}
                    )
                ]
                if len(shots) == total and all(s["status"] in ("done", "failed") for s in shots):
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            failed = [s for s in shots if s["status"] != "done"]
            if failed:
                raise RuntimeError(f"{len(failed)} screenshots failed: {failed[0]['error']}")
    finally:
        server.stop()
    return total / elapsed * 60


def _upload(http: httpx.Client, session: str, i: int, png: bytes) -> None:
    url = _call(http, "mutation", "screenshots:generateUploadUrl", {})
    stored = http.post(url, content=png, headers={"Content-Type": "image/png"})
    _call(
        http,
        "mutation",
        "screenshots:registerScreenshot",
        {
            "sessionId": session,
            "filename": f"{i:04d}.png",
            "storageId": stored.json()["storageId"],
            "capturedAt": CAPTURED + i * 1000,
        },
    )


def direct_per_minute(pngs: list[bytes], engine: str | None = None) -> float:
    """Screenshots a minute read whole by ``engine`` (the default: None) on two threads."""
    read_image(pngs[0], engine)  # load the engine's models before timing
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda png: read_image(png, engine), pngs))
    return len(pngs) / (time.perf_counter() - started) * 60


def run(quick: bool, tmp_root: str | None = None) -> list[Result]:
    count = 8 if quick else 40
    pngs = _pngs(count)
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        direct = direct_per_minute(pngs)
        served = pipeline_per_minute([pngs], Path(tmp) / "data")
    met = "met" if served >= GOAL_PER_MIN else "NOT met"
    print(
        f"sessiondocs pipeline ({get_engine().name}): {served:.0f} screenshots/min upload -> OCR "
        f"stored, vs {direct:.0f}/min OCR alone on 2 threads ({served / direct:.2f}x); "
        f"goal >= {GOAL_PER_MIN:.0f}/min: {met}"
    )
    return [
        Result(
            f"sessiondocs upload -> OCR stored ({count} x 1280x800)",
            "/min",
            served,
            direct,
            served / direct,
            f"vs the engine alone, 2 threads; goal >= 60/min: {met}",
        )
    ]


if __name__ == "__main__":
    run("--quick" in sys.argv)
