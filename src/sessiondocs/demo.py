"""A demo session for a fresh sessiondocs: seven screenshots of someone creating an invoice.

The frames are drawn here (a window with a title bar, a toolbar, a form), uploaded through the
same HTTP API the capture agent uses, with the clicks a recording agent would have recorded
(on "New invoice" and on "Save"), read by the real OCR pipeline and documented when the
session completes. ``seed(url)`` does nothing when the server already has sessions.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SIZE = (1280, 800)
DEMO_PC = "DEMO-PC"
DEMO_TITLE = "Create an invoice in Ledger"


@dataclass(frozen=True)
class Screen:
    """One drawn screen: window title, toolbar buttons, a heading and labelled fields."""

    title: str
    heading: str
    buttons: tuple[str, ...] = ("New invoice", "Customers", "Reports", "Settings")
    fields: tuple[tuple[str, str], ...] = ()
    lines: tuple[str, ...] = ()
    pressed: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


_LIST = (
    "INV-2039  Novak Trading   1,250.00 CZK  Paid",
    "INV-2040  Horak s.r.o.   830.00 CZK  Due",
)
_VALUES = (
    ("Customer", "Dvorak Logistics"),
    ("Email", "billing@dvorak-logistics.cz"),
    ("Amount", "4,200.00"),
    ("Due date", "2026-12-15"),
)


def _form(filled: int) -> Screen:
    """The new-invoice form with its first ``filled`` fields typed in."""
    fields = tuple((label, value if i < filled else "") for i, (label, value) in enumerate(_VALUES))
    return Screen("New invoice - Ledger", "New invoice", pressed="New invoice", fields=fields)


# one action per frame, as a recorder captures them: open the form, fill each field, save
FLOW = (
    Screen("Invoices - Ledger", "Invoices", lines=_LIST),
    *(_form(filled) for filled in range(len(_VALUES) + 1)),
    Screen(
        "Invoices - Ledger",
        "Invoices",
        lines=(*_LIST, "INV-2041  Dvorak Logistics   4,200.00 CZK  Draft"),
        notes=("Invoice INV-2041 saved",),
    ),
)

_FONT_SIZE = 16
_BUTTON_ROW = (50, 84)  # the toolbar buttons' top and bottom
_FIELDS_TOP = 160
_FIELD_PITCH = 56


def _font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, _FONT_SIZE)


def button_center(screen: Screen, label: str) -> tuple[int, int]:
    """Where a person clicks the toolbar button ``label`` (or the form's "Save") on ``screen``."""
    font = _font()
    if label == "Save" and screen.fields:
        y = _FIELDS_TOP + len(screen.fields) * _FIELD_PITCH
        return 240, y + 26
    x = 16
    for name in screen.buttons:
        width = int(font.getlength(name)) + 28
        if name == label:
            return x + width // 2, (_BUTTON_ROW[0] + _BUTTON_ROW[1]) // 2
        x += width + 12
    raise ValueError(f"no button {label!r} on {screen.title!r}")


def clicks() -> dict[int, dict[str, Any]]:
    """The clicks recorded with the flow: the frame index each was captured just after, and
    the event (as the agent uploads it; ``at`` is filled in when uploaded)."""
    new_invoice = button_center(FLOW[0], "New invoice")
    save = button_center(FLOW[len(_VALUES) + 1], "Save")
    return {
        1: {"kind": "click", "x": new_invoice[0], "y": new_invoice[1], "button": "left",
            "window": FLOW[0].title},
        len(FLOW) - 1: {"kind": "click", "x": save[0], "y": save[1], "button": "left",
                        "window": FLOW[len(_VALUES) + 1].title},
    }  # fmt: skip


def render(screen: Screen) -> bytes:
    """``screen`` as a 1280x800 PNG."""
    image = Image.new("RGB", SIZE, "#f8fafc")
    draw = ImageDraw.Draw(image)
    font = _font()
    bold = ImageFont.truetype(BOLD, 22)
    draw.rectangle((0, 0, SIZE[0], 36), fill="#1e293b")
    draw.text((16, 8), screen.title, fill="#f8fafc", font=font)
    x = 16
    for label in screen.buttons:
        width = int(draw.textlength(label, font=font)) + 28
        fill = "#2563eb" if label == screen.pressed else "#e2e8f0"
        ink = "#ffffff" if label == screen.pressed else "#0f172a"
        draw.rounded_rectangle((x, _BUTTON_ROW[0], x + width, _BUTTON_ROW[1]), radius=6, fill=fill)
        draw.text((x + 14, 58), label, fill=ink, font=font)
        x += width + 12
    draw.text((32, 110), screen.heading, fill="#0f172a", font=bold)
    y = _FIELDS_TOP
    for label, value in screen.fields:
        draw.text((32, y + 8), label, fill="#334155", font=font)
        draw.rectangle((180, y, 620, y + 36), outline="#94a3b8", fill="#ffffff")
        draw.text((192, y + 8), value, fill="#0f172a", font=font)
        y += _FIELD_PITCH
    if screen.fields:
        draw.rounded_rectangle((180, y + 8, 300, y + 44), radius=6, fill="#16a34a")
        draw.text((214, y + 16), "Save", fill="#ffffff", font=font)
    for line in screen.lines:
        draw.text((32, y), line, fill="#0f172a", font=font)
        y += 36
    for note in screen.notes:
        draw.rounded_rectangle((860, 720, 1260, 770), radius=8, fill="#dcfce7")
        draw.text((880, 734), note, fill="#14532d", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _call(http: httpx.Client, kind: str, path: str, args: dict) -> Any:
    answer = http.post(f"/api/{kind}", json={"path": path, "args": args, "format": "json"})
    answer.raise_for_status()
    body = answer.json()
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body.get('errorMessage')}")
    return body.get("value")


def sign_in(url: str, email: str, password: str) -> str:
    """An access token for ``email`` from the server's password provider."""
    answer = httpx.post(
        f"{url}/api/auth/signin", json={"email": email, "password": password}, timeout=30
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def seed(url: str, *, force: bool = False) -> str | None:
    """Upload the demo session, as the demo person, to the server at ``url`` unless they have
    sessions; its ID. The server must have been started with ``--demo``."""
    from sessiondocs.accounts import DEMO_EMAIL, DEMO_PASSWORD

    token = sign_in(url, DEMO_EMAIL, DEMO_PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
        sessions = _call(http, "query", "sessions:listSessions", {})
        # why: only a finished demo session counts; one cut off halfway is recorded again
        if not force and any(
            s["pcName"] != DEMO_PC or s["status"] == "completed" for s in sessions
        ):
            return None
        session = str(
            _call(
                http,
                "mutation",
                "sessions:createSession",
                {"pcName": DEMO_PC, "title": DEMO_TITLE, "redact": True},
            )
        )
        start = time.time() * 1000
        recorded = clicks()
        for number, screen in enumerate(FLOW, start=1):
            captured_at = start + number * 4000
            event = recorded.get(number - 1)
            upload_url = str(_call(http, "mutation", "screenshots:generateUploadUrl", {}))
            stored = httpx.post(
                upload_url, content=render(screen), headers={"Content-Type": "image/png"}
            )
            stored.raise_for_status()
            _call(
                http,
                "mutation",
                "screenshots:registerScreenshot",
                {
                    "sessionId": session,
                    "filename": f"{number:04d}.png",
                    "storageId": stored.json()["storageId"],
                    "capturedAt": captured_at,
                    # why: the agent takes the frame after a click a moment after it
                    **({"event": {**event, "at": captured_at - 400}} if event else {}),
                },
            )
        _call(http, "mutation", "sessions:completeSession", {"sessionId": session})
        return session
