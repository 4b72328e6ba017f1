"""What the sessiondocs browser tests drive: a real ``sessiondocs serve --demo`` on a free
loopback port (serving the built web app), called over HTTP as a signed-in person, and drawn
screenshots.

The server admits sign-ups in ``SIGNUP_DOMAIN`` without an invitation, so tests can make more
people. The browser, viewports and the web build come from tests/web/conftest.py."""

from __future__ import annotations

import dataclasses
import io
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont

from tests.e2e.conftest import ServedProcess, free_port, source_env, start_process

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEMO_EMAIL = "demo@sessiondocs.example"  # what ``serve --demo`` adds: an administrator
DEMO_PASSWORD = "livebase-demo"
SIGNUP_DOMAIN = "people.test"
PASSWORD = "correct horse battery"  # every person tests sign up
_people = itertools.count(1)


@dataclass
class Sessiondocs(ServedProcess):
    """A running ``python -m sessiondocs serve --demo``; calls carry ``token`` (a signed-in
    person's, the demo administrator's unless made with ``as_person``)."""

    token: str = ""

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """The session /api/auth/signin answers (token, refreshToken, expiresAt, ...)."""
        response = httpx.post(
            f"{self.url}/api/auth/signin", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def new_person(self, name: str) -> str:
        """Sign up a new person in the allowed domain (password ``PASSWORD``); their email."""
        email = f"{name}-{next(_people)}@{SIGNUP_DOMAIN}"
        response = httpx.post(
            f"{self.url}/api/auth/signup", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return email

    def as_person(self, token: str) -> Sessiondocs:
        """The same server, called with ``token`` (a person's or a device's)."""
        return dataclasses.replace(self, token=token)

    def _post(self, kind: str, path: str, args: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.post(
            f"{self.url}/api/{kind}",
            json={"path": path, "args": args, "format": "json"},
            headers=headers,
        )

    def call(self, kind: str, path: str, args: dict[str, Any]) -> Any:
        """Run a public query or mutation over HTTP; its value, or AssertionError with the body."""
        response = self._post(kind, path, args)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        return body["value"]

    def refusal(self, kind: str, path: str, args: dict[str, Any]) -> str:
        """The error code of a call that must fail: its ConvexError's, or "unauthenticated"
        when the server refused the token itself (HTTP 401)."""
        response = self._post(kind, path, args)
        if response.status_code == 401:
            return "unauthenticated"
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "error", body
        return str(body["errorData"]["code"])

    def mutation(self, path: str, args: dict[str, Any]) -> Any:
        return self.call("mutation", path, args)

    def query(self, path: str, args: dict[str, Any]) -> Any:
        return self.call("query", path, args)

    def upload(self, session_id: str, filename: str, image: bytes, captured_at: float) -> str:
        """Upload and register one PNG, as the agent does; the screenshot's ID."""
        upload_url = self.mutation("screenshots:generateUploadUrl", {})
        stored = httpx.post(upload_url, content=image, headers={"Content-Type": "image/png"})
        stored.raise_for_status()
        return str(
            self.mutation(
                "screenshots:registerScreenshot",
                {
                    "sessionId": session_id,
                    "filename": filename,
                    "storageId": stored.json()["storageId"],
                    "capturedAt": captured_at,
                },
            )
        )

    def wait_for_ocr(self, session_id: str, timeout: float = 30) -> None:
        """Wait until every screenshot of the session is read (done or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.query("sessions:getSession", {"sessionId": session_id})["counts"]
            if counts["pending"] == counts["processing"] == 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"the screenshots of {session_id} were not read in {timeout} s")

    def wait_for_documentation(self, session_id: str, timeout: float = 45) -> dict[str, Any]:
        """The session's documentation once it is ready (AssertionError if it failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            doc = self.query("docs:getDocumentation", {"sessionId": session_id})
            if doc is not None and doc["status"] != "generating":
                assert doc["status"] == "ready", doc
                return dict(doc)
            time.sleep(0.2)
        raise AssertionError(f"no documentation for {session_id} after {timeout} s")


def start_sessiondocs(data_dir: Path) -> Sessiondocs:
    """Start ``python -m sessiondocs serve --demo`` (serving web/sessiondocs/dist), wait for it,
    and sign in as the demo administrator."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"sessiondocs-{port}.log"
    env = source_env(
        SESSIONDOCS_RETRY_MS="100",
        SESSIONDOCS_LLM="offline",
        SESSIONDOCS_SIGNUP_DOMAINS=SIGNUP_DOMAIN,
    )
    command = [sys.executable, "-m", "sessiondocs", "serve", "--port", str(port), "--demo"]
    command += ["--data-dir", str(data_dir)]
    running = Sessiondocs(url, start_process(command, url, log, env=env), log)
    try:
        running.token = running.sign_in(DEMO_EMAIL, DEMO_PASSWORD)["token"]
    except BaseException:
        running.stop()
        raise
    return running


def draw_screen(title: str, lines: list[str], size: tuple[int, int] = (900, 560)) -> bytes:
    """A PNG of a plain application window: a title bar, then ``lines`` of 18 px text."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 18)
    draw.rectangle((0, 0, size[0], 44), fill=(34, 58, 120))
    draw.text((16, 12), title, font=font, fill="white")
    for row, line in enumerate(lines):
        draw.text((24, 80 + row * 36), line, font=font, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
