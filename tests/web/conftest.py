"""Browser tests of the bankchat web app: the built app (web/bankchat/dist), a real
``python -m bankchat serve`` on a free loopback port over the test bank database, and Debian's
Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.bankchat.conftest import bank_sqlite  # noqa: F401  (the bank the app tests use)
from tests.conftest import ROOT
from tests.e2e.conftest import ServedProcess, free_port, source_env, start_process

ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WEB_DIST = ROOT / "web" / "bankchat" / "dist"


class Bankchat(ServedProcess):
    """A running ``python -m bankchat serve`` that serves the web app at its root."""


def build_web() -> None:
    """Build web/*/dist with ``scripts/build-web`` (a no-op when every build is fresh)."""
    subprocess.run([str(ROOT / "scripts" / "build-web")], check=True, cwd=ROOT)


def start_bankchat(data_dir: Path, bank: Path) -> Bankchat:
    """Start ``python -m bankchat serve`` on a free port over ``bank`` and wait until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"bankchat-{port}.log"
    env = {k: v for k, v in source_env().items() if not k.startswith("BANKCHAT_")}
    env["BANKCHAT_DB_PATH"] = str(bank)
    command = [sys.executable, "-m", "bankchat", "serve", "--port", str(port), "--demo"]
    command += ["--data-dir", str(data_dir)]
    return Bankchat(url, start_process(command, url, log, env=env, timeout=60), log)


@pytest.fixture(scope="session")
def bankchat(
    bank_sqlite: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Bankchat]:
    """bankchat and its web app, served on a fresh data directory with the demo users."""
    build_web()
    assert (WEB_DIST / "index.html").is_file(), "scripts/build-web did not build web/bankchat"
    running = start_bankchat(tmp_path_factory.mktemp("bankchat-web") / "data", bank_sqlite)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright downloads no browser of its own).

    Module-scoped: two Playwright sync drivers must not be alive at once, and other test
    modules here start their own."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (make system)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
