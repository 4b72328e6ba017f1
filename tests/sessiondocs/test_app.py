"""The sessiondocs backend end to end: a real server, real uploads, real OCR, real documents."""

from __future__ import annotations

import io
import itertools
import os
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pypdfium2
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import ROOT
from tests.e2e.conftest import RunningServer, start_server

APP = ROOT / "src" / "sessiondocs" / "functions"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def screen(title: str, lines: list[str], size: tuple[int, int] = (800, 500)) -> bytes:
    """A window-like screenshot: a title bar and lines of body text, as PNG."""
    image = Image.new("RGB", size, "#f4f4f5")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 18)
    draw.rectangle((0, 0, size[0], 40), fill="#1f2937")
    draw.text((16, 10), title, fill="#ffffff", font=font)
    for i, line in enumerate(lines):
        draw.text((24, 70 + i * 36), line, fill="#111827", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


_PEOPLE = itertools.count()
SIGNUP_DOMAIN = "docs.test"  # the servers here let this domain sign up
PASSWORD = "long enough password"


def sign_up(url: str, email: str) -> str:
    """A new account (its domain is allowed); its access token."""
    answer = httpx.post(f"{url}/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


class Client:
    """The HTTP API as a signed-in person (or, with a device token, an agent) uses it."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, timeout=30, headers=headers)

    def call(self, kind: str, path: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"path": path, "args": args or {}, "format": "json"}
        return self.http.post(f"/api/{kind}", json=body).json()

    def ok(self, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
        answer = self.call(kind, path, args)
        assert answer["status"] == "success", answer
        return answer["value"]

    def upload(self, data: bytes, content_type: str = "image/png") -> str:
        url = self.ok("mutation", "screenshots:generateUploadUrl")
        answer = httpx.post(url, content=data, headers={"Content-Type": content_type})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["storageId"])

    def add(self, session: str, name: str, data: bytes, at: float) -> str:
        storage_id = self.upload(data)
        return str(
            self.ok(
                "mutation",
                "screenshots:registerScreenshot",
                {"sessionId": session, "filename": name, "storageId": storage_id, "capturedAt": at},
            )
        )

    def wait(self, what: str, check: Any, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    def doc(self, session: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.ok(
            "query", "docs:getDocumentation", {"sessionId": session}
        )
        return found

    def ready_doc(self, session: str, what: str = "the documentation") -> dict[str, Any]:
        return self.wait(what, lambda: (d := self.doc(session)) and d["status"] == "ready" and d)

    def shots(self, session: str) -> list[dict[str, Any]]:
        return list(self.ok("query", "screenshots:listBySession", {"sessionId": session}))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    os.environ["SESSIONDOCS_RETRY_MS"] = "100"
    os.environ["SESSIONDOCS_SIGNUP_DOMAINS"] = SIGNUP_DOMAIN
    try:
        running = start_server(APP, tmp_path_factory.mktemp("sessiondocs") / "data")
    finally:
        del os.environ["SESSIONDOCS_RETRY_MS"]
        del os.environ["SESSIONDOCS_SIGNUP_DOMAINS"]
    yield running
    running.stop()


@pytest.fixture
def client(server: RunningServer, request: pytest.FixtureRequest) -> Iterator[Client]:
    """A person of their own for each test."""
    email = f"person{next(_PEOPLE)}@{SIGNUP_DOMAIN}"
    client = Client(server.url, sign_up(server.url, email))
    yield client
    client.http.close()


def blob_count(server: RunningServer) -> int:
    return sum(1 for p in (server.data_dir / "storage").rglob("*") if p.is_file())


def test_a_session_is_uploaded_read_and_documented(client: Client, server: RunningServer) -> None:
    session = client.ok(
        "mutation", "sessions:createSession", {"pcName": "ACCOUNTS-PC", "redact": False}
    )
    frames = [
        screen("Invoices - Ledger", ["Welcome back", "Open the invoice list"]),
        screen("Invoices - Ledger", ["Welcome back", "Invoice 2041 selected", "Total 1250"]),
        screen("Settings", ["Notifications", "Save changes"]),
    ]
    for i, frame in enumerate(frames):
        client.add(session, f"{i + 1:04d}.png", frame, 1_700_000_000_000 + i * 5000)
    shots = client.wait(
        "OCR of every screenshot",
        lambda: (s := client.shots(session)) and all(x["status"] == "done" for x in s) and s,
    )
    assert [s["filename"] for s in shots] == ["0001.png", "0002.png", "0003.png"]
    texts = [s["ocr"]["text"] for s in shots]
    assert "Ledger" in texts[0] and "invoice" in texts[0].lower()
    assert "2041" in texts[1]
    assert "Notifications" in texts[2]
    full = client.ok("query", "screenshots:getOcr", {"screenshotId": shots[1]["_id"]})
    words = {w["text"] for w in full["words"]}
    assert "2041" in words
    assert all(0 <= w["conf"] <= 100 and w["width"] > 0 for w in full["words"])
    # the image is served back as uploaded (no redaction asked)
    served = httpx.get(shots[0]["url"])
    assert served.status_code == 200 and served.content == frames[0]

    listed = client.ok("query", "sessions:listSessions")
    mine = next(s for s in listed if s["sessionId"] == session)
    assert mine["status"] == "active" and mine["pcName"] == "ACCOUNTS-PC"
    assert mine["counts"]["screenshots"] == 3 and mine["counts"]["done"] == 3

    client.ok("mutation", "sessions:completeSession", {"sessionId": session})
    doc = client.ready_doc(session, "the documentation")
    assert doc["steps"], doc
    assert [s["number"] for s in doc["steps"]] == list(range(1, len(doc["steps"]) + 1))
    assert {s["screenshotId"] for s in doc["steps"]} <= {s["_id"] for s in shots}
    assert "1." in doc["content"] or "Step 1" in doc["content"]
    assert client.ok("query", "sessions:getSession", {"sessionId": session})["status"] == (
        "completed"
    )

    exported = client.http.get("/http/export", params={"sessionId": session, "format": "md"})
    assert exported.status_code == 200
    # the stored Markdown, with each step's image link replaced by the image itself
    pictures = re.findall(r"\]\((data:image/png;base64,[^)]+)\)", exported.text)
    assert len(pictures) == len(doc["steps"])
    unembedded = re.sub(r"\]\(data:image/png;base64,[^)]+\)", "]()", exported.text)
    assert unembedded == re.sub(r"\]\(images/step-\d+\.png\)", "]()", doc["content"])
    pdf = client.http.get("/http/export", params={"sessionId": session, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert len(pypdfium2.PdfDocument(pdf.content)) >= len(doc["steps"])  # a page per step
    html = client.http.get("/http/export", params={"sessionId": session, "format": "html"})
    assert html.status_code == 200 and "data:image/png;base64," in html.text
    assert "attachment" in html.headers["content-disposition"]
    packed = client.http.get("/http/export", params={"sessionId": session, "format": "zip"})
    names = zipfile.ZipFile(io.BytesIO(packed.content)).namelist()
    assert "index.md" in names and any(n.startswith("images/") for n in names)


def test_redaction_keeps_only_the_redacted_image_and_text(
    client: Client, server: RunningServer
) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "HR-PC"})
    before = blob_count(server)
    frame = screen("Customer record", ["Email jane.doe@example.com", "Card 4111 1111 1111 1111"])
    client.add(session, "0001.png", frame, 1_700_000_000_000)
    [shot] = client.wait(
        "OCR", lambda: (s := client.shots(session)) and s[0]["status"] == "done" and s
    )
    assert shot["redacted"] is True
    assert set(shot["redactions"]) >= {"email", "card"}
    text = shot["ocr"]["text"]
    assert "jane.doe" not in text and "4111" not in text
    assert "[email]" in text and "[card]" in text
    full = client.ok("query", "screenshots:getOcr", {"screenshotId": shot["_id"]})
    assert not any("example.com" in w["text"] or "4111" in w["text"] for w in full["words"])
    served = httpx.get(shot["url"]).content
    assert served != frame
    image = Image.open(io.BytesIO(served)).convert("RGB")
    email_row = [image.getpixel((x, 70 + 10)) for x in range(90, 300)]
    assert sum(1 for p in email_row if p == (0, 0, 0)) > 150, "the email is covered with black"
    # the original upload is gone: one blob for the one screenshot
    assert blob_count(server) == before + 1


def test_an_unreadable_screenshot_is_retried_then_marked_failed(client: Client) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "BROKEN-PC"})
    storage_id = client.upload(b"this is not a png", "image/png")
    shot_id = client.ok(
        "mutation",
        "screenshots:registerScreenshot",
        {"sessionId": session, "filename": "bad.png", "storageId": storage_id},
    )
    [shot] = client.wait(
        "the failure", lambda: (s := client.shots(session)) and s[0]["status"] == "failed" and s
    )
    assert shot["attempts"] == 3
    assert "image" in shot["error"].lower()
    # completing the session still documents it (the failure is shown, not dropped)
    client.ok("mutation", "sessions:completeSession", {"sessionId": session})
    doc = client.ready_doc(session, "the documentation")
    assert doc["steps"] == []
    # a manual retry runs it again (and fails again, recorded)
    client.ok("mutation", "screenshots:retry", {"screenshotId": shot_id})
    client.wait(
        "the second failure",
        lambda: (
            client.shots(session)[0]["status"] == "failed"
            and client.shots(session)[0]["attempts"] == 3
        ),
    )


def test_registering_is_idempotent_per_file_name(client: Client, server: RunningServer) -> None:
    session = client.ok(
        "mutation",
        "sessions:createSession",
        {"pcName": "DUP-PC", "sessionId": "agent-session-1", "redact": False},
    )
    assert session == "agent-session-1"
    again = client.ok(
        "mutation", "sessions:createSession", {"pcName": "DUP-PC", "sessionId": "agent-session-1"}
    )
    assert again == session
    frame = screen("Retry", ["Same file twice"])
    first = client.add(session, "0001.png", frame, 1)
    before = blob_count(server)
    second = client.add(session, "0001.png", frame + b"", 1)
    assert first == second and len(client.shots(session)) == 1
    assert blob_count(server) == before  # the duplicate upload's blob was not kept


@pytest.mark.parametrize(
    ("path", "args", "code"),
    [
        ("sessions:createSession", {"pcName": "  "}, "bad_request"),
        ("sessions:createSession", {"pcName": "x", "sessionId": "../etc"}, "bad_request"),
        ("sessions:completeSession", {"sessionId": "nope"}, "not_found"),
        ("screenshots:listBySession", {"sessionId": "nope"}, "not_found"),
    ],
)
def test_bad_input_is_refused_with_its_reason(
    client: Client, path: str, args: dict[str, Any], code: str
) -> None:
    kind = "query" if "list" in path else "mutation"
    answer = client.call(kind, path, args)
    assert answer["status"] == "error"
    assert answer["errorData"]["code"] == code
    assert "Traceback" not in answer["errorMessage"]


def test_wrong_files_and_closed_sessions_are_refused_and_change_nothing(client: Client) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "STRICT-PC"})
    text_id = client.upload(b"hello", "text/plain")
    answer = client.call(
        "mutation",
        "screenshots:registerScreenshot",
        {"sessionId": session, "filename": "a.txt", "storageId": text_id},
    )
    assert answer["status"] == "error" and "PNG" in answer["errorData"]["message"]
    client.ok("mutation", "sessions:completeSession", {"sessionId": session})
    png_id = client.upload(screen("Late", ["after the end"]))
    answer = client.call(
        "mutation",
        "screenshots:registerScreenshot",
        {"sessionId": session, "filename": "late.png", "storageId": png_id},
    )
    assert answer["status"] == "error" and answer["errorData"]["code"] == "session_completed"
    assert client.shots(session) == []


def test_regenerate_on_demand_and_delete(client: Client, server: RunningServer) -> None:
    session = client.ok(
        "mutation", "sessions:createSession", {"pcName": "REGEN-PC", "redact": False}
    )
    client.add(session, "0001.png", screen("Editor", ["Draft one"]), 1_000)
    client.wait("OCR", lambda: client.shots(session)[0]["status"] == "done")
    client.ok("mutation", "docs:regenerate", {"sessionId": session})
    first = client.ready_doc(session, "a document while the session is active")
    assert len(first["steps"]) == 1
    client.add(
        session, "0002.png", screen("Editor", ["Draft one", "Second paragraph added"]), 2_000
    )
    client.wait("OCR", lambda: all(s["status"] == "done" for s in client.shots(session)))
    client.ok("mutation", "docs:regenerate", {"sessionId": session})
    client.wait(
        "the regenerated document",
        lambda: (
            (d := client.doc(session))
            and d["status"] == "ready"
            and d["generatedAt"] > first["generatedAt"]
            and len(d["steps"]) == 2
        ),
    )
    before = blob_count(server)
    client.ok("mutation", "sessions:deleteSession", {"sessionId": session})
    for path in ("sessions:getSession", "docs:getDocumentation"):
        gone = client.call("query", path, {"sessionId": session})
        assert gone["status"] == "error" and gone["errorData"]["code"] == "not_found"
    assert blob_count(server) == before - 2


def test_export_of_a_session_without_documentation_is_404(server: RunningServer) -> None:
    answer = httpx.get(f"{server.url}/http/export", params={"sessionId": "nope", "format": "md"})
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    answer = httpx.get(f"{server.url}/http/export", params={"sessionId": "x", "format": "docx"})
    assert answer.status_code == 400 and "md, zip, html, pdf" in answer.json()["message"]


def test_the_ocr_cli_prints_text_words_and_engine(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    image = tmp_path / "shot.png"
    image.write_bytes(screen("Quarterly report", ["Revenue 4200", "Export as PDF"]))
    done = subprocess.run(
        [sys.executable, "-m", "sessiondocs", "ocr", str(image), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    data = json.loads(done.stdout)
    assert data["engine"] in ("tesseract", "rapidocr")
    assert "Revenue" in data["text"] and "4200" in data["text"]
    assert {"text", "left", "top", "width", "height", "conf"} <= set(data["words"][0])
    bad = subprocess.run(
        [sys.executable, "-m", "sessiondocs", "ocr", str(tmp_path / "missing.png")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_a_refused_upload_can_be_discarded_but_a_used_file_cannot(
    client: Client, server: RunningServer
) -> None:
    session = client.ok(
        "mutation", "sessions:createSession", {"pcName": "DISCARD-PC", "redact": False}
    )
    before = blob_count(server)
    orphan = client.upload(b"not wanted", "text/plain")
    assert blob_count(server) == before + 1
    assert client.ok("mutation", "screenshots:discardUpload", {"storageId": orphan}) is True
    assert blob_count(server) == before
    assert client.ok("mutation", "screenshots:discardUpload", {"storageId": orphan}) is False
    shot_id = client.add(session, "0001.png", screen("Kept", ["in use"]), 1)
    [shot] = client.shots(session)
    assert shot["_id"] == shot_id
    assert client.ok("mutation", "screenshots:discardUpload", {"storageId": shot["fileId"]}) is (
        False
    )
    assert httpx.get(shot["url"]).status_code == 200


def test_completing_while_screenshots_are_read_documents_once_all_are_read(
    client: Client,
) -> None:
    session = client.ok(
        "mutation", "sessions:createSession", {"pcName": "EARLY-PC", "redact": False}
    )
    for i in range(3):
        client.add(session, f"{i:04d}.png", screen(f"Window {i}", [f"Line number {i}"]), i * 1000)
    client.ok("mutation", "sessions:completeSession", {"sessionId": session})
    doc = client.ready_doc(session, "the documentation")
    # written once, after the last screenshot was read: every screenshot is in it
    assert all(s["status"] == "done" for s in client.shots(session))
    assert len(doc["steps"]) == 3


def test_with_redaction_on_the_unredacted_upload_is_never_listed(client: Client) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "PRIVATE-PC"})
    frame = screen("Payroll", ["Contact payroll@example.com"])
    client.add(session, "0001.png", frame, 1)
    seen_urls = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        [shot] = client.shots(session)
        if shot["status"] != "done":
            assert shot["url"] is None and "fileId" not in shot, shot
        else:
            seen_urls.add(shot["url"])
            break
        time.sleep(0.02)
    [url] = seen_urls
    assert httpx.get(url).content != frame


def test_a_file_of_another_screenshot_is_refused_and_a_late_retry_is_answered(
    client: Client, server: RunningServer
) -> None:
    first = client.ok("mutation", "sessions:createSession", {"pcName": "OWNER-PC"})
    other = client.ok("mutation", "sessions:createSession", {"pcName": "THIEF-PC"})
    storage_id = client.upload(screen("Owned", ["Private text"]))
    register = {"sessionId": first, "filename": "0001.png", "storageId": storage_id}
    shot_id = client.ok("mutation", "screenshots:registerScreenshot", register)
    # another session cannot take (or delete) that file by naming it
    stolen = client.call(
        "mutation",
        "screenshots:registerScreenshot",
        {"sessionId": other, "filename": "x.png", "storageId": storage_id},
    )
    assert stolen["status"] == "error" and stolen["errorData"]["code"] == "bad_request"
    client.wait("OCR", lambda: client.shots(first)[0]["status"] == "done")
    # redaction replaced the upload; the agent's late retry still gets its screenshot back
    assert client.ok("mutation", "screenshots:registerScreenshot", register) == shot_id
    [shot] = client.shots(first)
    assert httpx.get(shot["url"]).status_code == 200


def person(tester: Any) -> Any:
    """``tester`` acting as a person with an account."""
    signup = {
        "email": "pat@docs.test",
        "subject": "pat",
        "tokenIdentifier": "test|pat",
        "admittedByPolicy": True,
    }
    tester.mutation("users:admitSignup", signup)
    return tester.as_user(issuer="test", subject="pat", email="pat@docs.test")


def test_a_read_that_died_with_its_server_is_read_again(tmp_path: Path) -> None:
    from livebase.testing import AppTester

    with AppTester(APP, tmp_path) as tester:
        t = person(tester)
        session = t.mutation("sessions:createSession", {"pcName": "CRASH-PC"})
        storage = t.runtime.storage.store_bytes(screen("Crash", ["mid read"]), "image/png")
        shot_id = t.mutation(
            "screenshots:registerScreenshot",
            {"sessionId": session, "filename": "0001.png", "storageId": storage},
        )
        assert t.mutation("pipeline:claim", {"screenshotId": shot_id}) is not None
        # a fresh claim is left alone; retry refuses it
        assert t.mutation("pipeline:requeueStale") == 0
        with pytest.raises(Exception, match="processing, not failed"):
            t.mutation("screenshots:retry", {"screenshotId": shot_id})
        # the server died: the claim grows old
        t.runtime.transact(lambda txn: txn.patch(shot_id, {"claimedAt": 0.0}))
        assert t.mutation("pipeline:requeueStale") == 1
        [shot] = t.query("screenshots:listBySession", {"sessionId": session})
        assert shot["status"] == "pending"


def test_only_the_latest_documentation_request_is_stored(tmp_path: Path) -> None:
    from livebase.testing import AppTester

    with AppTester(APP, tmp_path) as tester:
        t = person(tester)
        session = t.mutation("sessions:createSession", {"pcName": "RACE-PC"})
        t.mutation("docs:regenerate", {"sessionId": session})
        t.mutation("docs:regenerate", {"sessionId": session})
        stale = {
            "sessionId": session,
            "title": "old",
            "summary": "old",
            "content": "old run",
            "steps": [],
            "engine": "offline",
        }
        t.mutation("docs:store", {**stale, "generation": 1})
        assert t.query("docs:getDocumentation", {"sessionId": session})["status"] == "generating"
        t.mutation("docs:store", {**stale, "generation": 2, "content": "new run"})
        doc = t.query("docs:getDocumentation", {"sessionId": session})
        assert doc["status"] == "ready" and doc["content"] == "new run"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"kind": "key", "at": 1.0, "key": "a"}, "never as typed text"),
        ({"kind": "key", "at": 1.0}, "needs the key's name"),
        ({"kind": "click", "at": 1.0, "x": 5.0}, "needs its position"),
        ({"kind": "click", "at": 1.0, "x": -5.0, "y": 3.0}, "not negative"),
        ({"kind": "scroll", "at": 1.0}, "event"),
    ],
)
def test_a_recorded_event_that_is_not_one_is_refused_and_nothing_is_registered(
    client: Client, event: dict[str, Any], message: str
) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "EVENTS-PC"})
    storage_id = client.upload(screen("Ledger", ["Invoices"]))
    args = {"sessionId": session, "filename": "0001.png", "storageId": storage_id, "event": event}
    answer = client.call("mutation", "screenshots:registerScreenshot", args)
    assert answer["status"] == "error", answer
    said = answer.get("errorData", {}).get("message") or answer["errorMessage"]
    assert message in said, answer
    assert client.shots(session) == []


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        ([[10, 10, 50]], "four whole numbers"),
        ([[10.5, 10, 50, 20]], "four whole numbers"),
        ([[10, 10, 0, 20]], "not a box on a screen"),
        ([[-1, 10, 50, 20]], "not a box on a screen"),
        ([[10, 10, 50, 20]] * 65, "At most 64"),
    ],
)
def test_password_field_boxes_that_are_not_boxes_are_refused_and_nothing_is_registered(
    client: Client, boxes: list[list[float]], message: str
) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "FIELDS-PC"})
    storage_id = client.upload(screen("Ledger", ["Invoices"]))
    args = {"sessionId": session, "filename": "0001.png", "storageId": storage_id,
            "secretBoxes": boxes}  # fmt: skip
    answer = client.call("mutation", "screenshots:registerScreenshot", args)
    assert answer["status"] == "error", answer
    said = answer.get("errorData", {}).get("message") or answer["errorMessage"]
    assert "secretBoxes" in said and message in said, answer
    assert client.shots(session) == []


def test_a_recorded_click_is_kept_with_its_screenshot_and_its_window_title_redacted(
    client: Client,
) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "EVENTS-PC"})
    storage_id = client.upload(screen("Ledger", ["Invoices"]))
    event = {"kind": "click", "at": 1.0, "x": 40.0, "y": 60.0, "button": "left",
             "window": "Inbox - jane.doe@example.com - Mail"}  # fmt: skip
    args = {"sessionId": session, "filename": "0001.png", "storageId": storage_id, "event": event}
    client.ok("mutation", "screenshots:registerScreenshot", args)
    [shot] = client.shots(session)
    assert shot["event"] == {**event, "window": "Inbox - [email] - Mail"}


@pytest.mark.slow
def test_rapidocr_reads_only_what_changed_and_stores_what_a_whole_read_gives(
    tmp_path: Path,
) -> None:
    from sessiondocs.ocr import read_image

    os.environ["SESSIONDOCS_OCR"] = "rapidocr"
    os.environ["SESSIONDOCS_SIGNUP_DOMAINS"] = SIGNUP_DOMAIN
    try:
        running = start_server(APP, tmp_path / "data")
    finally:
        del os.environ["SESSIONDOCS_OCR"]
        del os.environ["SESSIONDOCS_SIGNUP_DOMAINS"]
    try:
        client = Client(running.url, sign_up(running.url, f"rapid@{SIGNUP_DOMAIN}"))
        session = client.ok("mutation", "sessions:createSession", {"pcName": "LEDGER-PC"})
        frames = [
            screen("Invoices - Ledger", ["Customer Dvorak Logistics", "Amount 4200"]),
            screen("Invoices - Ledger", ["Customer Dvorak Logistics", "Amount 4250"]),
            screen("Invoices - Ledger", ["Customer Dvorak Logistics", "Amount 4250", "Saved"]),
        ]
        for i, frame in enumerate(frames):
            client.add(session, f"{i + 1:04d}.png", frame, 1_700_000_000_000 + i * 5000)
            # why: each is read after the one before, so that one is there to compare with
            client.wait(f"OCR of screenshot {i + 1}", lambda n=i + 1: _done(client, session, n))
        for shot, frame in zip(client.shots(session), frames, strict=True):
            stored = client.ok("query", "screenshots:getOcr", {"screenshotId": shot["_id"]})
            whole = read_image(frame, "rapidocr")
            assert stored["engine"] == "rapidocr"
            assert stored["words"] == [w.to_json() for w in whole.words]
            assert stored["text"] == whole.text
        assert "4250" in stored["text"] and "Saved" in stored["text"]
        client.http.close()
    finally:
        running.stop()


def _done(client: Client, session: str, count: int) -> bool:
    shots = client.shots(session)
    return len(shots) == count and all(s["status"] == "done" for s in shots)


def test_search_finds_steps_and_screenshots_in_the_sessions_a_person_may_see(
    client: Client, server: RunningServer
) -> None:
    session = client.ok("mutation", "sessions:createSession", {"pcName": "AP-PC", "redact": False})
    frames = [
        screen("Ledger", ["Open the supplier list"]),
        screen("Ledger", ["Supplier Kowalczyk selected", "Export invoice"]),
    ]
    for i, frame in enumerate(frames):
        client.add(session, f"{i + 1:04d}.png", frame, 1_700_000_000_000 + i * 5000)
    client.wait(
        "OCR of every screenshot",
        lambda: (s := client.shots(session)) and all(x["status"] == "done" for x in s),
    )
    # a word read off the second screenshot, typed in part (the last word is a prefix)
    found = client.ok("query", "search:search", {"text": "kowalcz"})
    assert [(r["kind"], r["filename"]) for r in found] == [("screenshot", "0002.png")]
    snippet = found[0]["snippet"]
    assert [snippet["text"][a:b] for a, b in snippet["matches"]] == ["Kowalczyk"]
    assert found[0]["sessionId"] == session and found[0]["sessionTitle"] == "Session on AP-PC"
    client.ok("mutation", "sessions:completeSession", {"sessionId": session})
    doc = client.ready_doc(session)
    word = re.findall(r"[A-Za-z]{5,}", doc["steps"][0]["title"])[-1]
    steps = [r for r in client.ok("query", "search:search", {"text": word}) if r["kind"] == "step"]
    assert steps and steps[0]["stepNumber"] == 1 and steps[0]["sessionId"] == session
    # someone else sees nothing of it until it is shared with them
    other = Client(server.url, sign_up(server.url, f"person{next(_PEOPLE)}@{SIGNUP_DOMAIN}"))
    try:
        assert other.ok("query", "search:search", {"text": "kowalczyk"}) == []
        email = other.ok("query", "users:me")["email"]
        client.ok(
            "mutation", "shares:shareWith", {"sessionId": session, "email": email, "access": "read"}
        )
        assert [
            r["sessionId"] for r in other.ok("query", "search:search", {"text": "kowalczyk"})
        ] == [session]
    finally:
        other.http.close()
