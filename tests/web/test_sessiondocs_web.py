"""The sessiondocs web app (web/sessiondocs, React + convex/react) in Chromium against a real
``sessiondocs serve``: the capture agent's HTTP calls show up live, OCR and documentation render,
exports download, and the pages fit a phone."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import ARTIFACTS, DESKTOP, PHONE, build_web
from tests.web.sessiondocs_support import Sessiondocs, draw_screen, start_sessiondocs

pytestmark = pytest.mark.slow

OCR_TIMEOUT = 30_000  # ms: real OCR runs on the server
WINDOW = "Invoices - Accounting"
FORM = ["New invoice", "Customer:", "Amount:", "Save"]


@dataclass
class Documented:
    """A completed session whose documentation is ready."""

    session_id: str
    title: str
    steps: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sessiondocs]:
    build_web()
    running = start_sessiondocs(tmp_path_factory.mktemp("sessiondocs") / "data")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def record_session(server: Sessiondocs, title: str, screens: list[list[str]]) -> str:
    """A session made the way the agent makes one: created, then one upload per screen."""
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-TEST", "title": title})
    start = time.time() * 1000
    for n, lines in enumerate(screens):
        server.upload(session_id, f"{n + 1:03}.png", draw_screen(WINDOW, lines), start + n * 1000)
    return str(session_id)


def invoice_screens() -> list[list[str]]:
    return [
        FORM,
        ["New invoice", "Customer: Acme Corporation", "Amount:", "Save"],
        ["New invoice", "Customer: Acme Corporation", "Amount: 120.00", "Save"],
    ]


@pytest.fixture(scope="module")
def documented(server: Sessiondocs) -> Documented:
    title = "Create an invoice"
    session_id = record_session(server, title, invoice_screens())
    # why: completing earlier writes the documentation twice (now, and again once all are read)
    server.wait_for_ocr(session_id)
    server.mutation("sessions:completeSession", {"sessionId": session_id})
    doc = server.wait_for_documentation(session_id)
    return Documented(session_id, title, len(doc["steps"]))


def open_session(page: Page, server: Sessiondocs, session_id: str) -> None:
    page.goto(f"{server.url}/sessions/{session_id}")
    expect(page.get_by_role("heading", name="Screenshots", exact=True)).to_be_visible()


def mark_page(page: Page) -> None:
    """Tag the loaded document; ``assert_not_reloaded`` fails if it was loaded again since."""
    page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def save_artifact(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def shot_card(page: Page, filename: str):
    return page.locator(f"li.shot[data-filename='{filename}']")


def assert_fits_width(page: Page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"


# --- sessions list -------------------------------------------------------------------------


def test_a_session_the_agent_starts_appears_in_the_open_list_without_a_reload(
    page: Page, server: Sessiondocs
) -> None:
    page.goto(server.url)
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    mark_page(page)

    session_id = server.mutation(
        "sessions:createSession", {"pcName": "PC-FRONT-DESK", "title": "Book a meeting room"}
    )

    row = page.locator(f"li.session-row[data-session-id='{session_id}']")
    expect(row.get_by_role("link", name="Book a meeting room")).to_be_visible()
    expect(row).to_contain_text("PC-FRONT-DESK")
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("0 screenshots")
    expect(row).to_contain_text("No documentation yet")
    assert_not_reloaded(page)
    save_artifact(page, "sessiondocs-list-desktop.png")


def test_new_session_creates_a_session_and_opens_its_page(page: Page, server: Sessiondocs) -> None:
    page.goto(server.url)
    page.get_by_label("PC name").fill("Reception laptop")
    page.get_by_label("Title (optional)").fill("Scan a parcel")
    page.get_by_role("button", name="New session").click()

    expect(page.get_by_role("heading", name="Scan a parcel", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sessions/[^/]+$"))
    expect(page.get_by_label("Upload screenshots")).to_be_visible()


def test_renaming_a_session_in_the_list_shows_its_new_title(
    page: Page, server: Sessiondocs
) -> None:
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-R", "title": "Old name"})
    page.goto(server.url)
    row = page.locator(f"li.session-row[data-session-id='{session_id}']")
    row.get_by_role("button", name="Rename Old name").click()
    row.get_by_label("Title").fill("Approve a holiday request")
    row.get_by_label("Title").press("Enter")

    expect(row.get_by_role("link", name="Approve a holiday request")).to_be_visible()


def test_deleting_a_session_asks_first_then_removes_it(page: Page, server: Sessiondocs) -> None:
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-D", "title": "Doomed"})
    page.goto(server.url)
    row = page.locator(f"li.session-row[data-session-id='{session_id}']")
    row.get_by_role("button", name="Delete Doomed").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cannot be undone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()

    row.get_by_role("button", name="Delete Doomed").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete session").click()

    expect(row).to_have_count(0)
    assert server.query("sessions:getSession", {"sessionId": session_id}) is None


# --- session page --------------------------------------------------------------------------


def test_an_uploaded_screenshot_appears_live_then_its_ocr_text(
    page: Page, server: Sessiondocs
) -> None:
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-OCR", "title": "Read"})
    open_session(page, server, session_id)
    mark_page(page)

    image = draw_screen("Quarterly report", ["Revenue grew in every region", "Export to PDF"])
    server.upload(session_id, "001.png", image, time.time() * 1000)

    card = shot_card(page, "001.png")
    thumbnail = card.locator(".thumb img")
    expect(thumbnail).to_be_visible()
    expect(card).to_have_attribute("data-status", "done", timeout=OCR_TIMEOUT)
    assert thumbnail.evaluate("img => img.naturalWidth") == 900
    card.get_by_text("OCR text").click()
    expect(card.locator(".ocr-text pre")).to_contain_text(re.compile("revenue", re.IGNORECASE))
    expect(card).to_contain_text("OCR done")
    assert_not_reloaded(page)


def test_screenshots_chosen_in_the_file_input_are_uploaded_in_order(
    page: Page, server: Sessiondocs
) -> None:
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-UP", "title": "Manual"})
    open_session(page, server, session_id)

    page.get_by_label("Upload screenshots").set_input_files(
        [
            {"name": "first.png", "mimeType": "image/png", "buffer": draw_screen(WINDOW, FORM)},
            {"name": "second.png", "mimeType": "image/png", "buffer": draw_screen("Mail", [])},
        ]
    )

    expect(page.locator("li.shot")).to_have_count(2)
    expect(shot_card(page, "first.png").locator(".thumb img")).to_be_visible()
    expect(shot_card(page, "second.png")).to_have_attribute(
        "data-status", "done", timeout=OCR_TIMEOUT
    )
    shots = server.query("screenshots:listBySession", {"sessionId": session_id})
    assert {shot["filename"] for shot in shots} == {"first.png", "second.png"}


def test_a_chosen_file_named_like_an_earlier_screenshot_is_kept_under_a_new_name(
    page: Page, server: Sessiondocs
) -> None:
    session_id = record_session(server, "Same names", [FORM])
    open_session(page, server, session_id)
    expect(shot_card(page, "001.png")).to_be_visible()

    page.get_by_label("Upload screenshots").set_input_files(
        {"name": "001.png", "mimeType": "image/png", "buffer": draw_screen("Mail", ["Inbox"])}
    )

    expect(shot_card(page, "001 (2).png")).to_be_visible()
    expect(page.locator("li.shot")).to_have_count(2)


def test_a_thumbnail_enlarges_on_click_and_escape_closes_it(
    page: Page, server: Sessiondocs
) -> None:
    session_id = record_session(server, "Enlarge", [FORM])
    open_session(page, server, session_id)

    shot_card(page, "001.png").get_by_role("button", name=re.compile("^Enlarge")).click()
    dialog = page.get_by_role("dialog", name="001.png")
    expect(dialog.get_by_role("img")).to_be_visible()
    page.keyboard.press("Escape")

    expect(dialog).to_have_count(0)


def test_a_screenshot_that_cannot_be_read_shows_its_error_and_a_retry(
    page: Page, server: Sessiondocs
) -> None:
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-BAD", "title": "Bad"})
    server.upload(session_id, "broken.png", b"not a png at all", time.time() * 1000)
    open_session(page, server, session_id)

    card = shot_card(page, "broken.png")
    expect(card).to_have_attribute("data-status", "failed", timeout=OCR_TIMEOUT)
    expect(card.get_by_role("alert")).to_contain_text("OCR failed after 3 attempts")
    card.get_by_role("button", name="Retry").click()

    expect(card).to_have_attribute("data-status", "failed", timeout=OCR_TIMEOUT)
    expect(card.get_by_role("button", name="Retry")).to_be_enabled()
    expect(card.get_by_role("alert")).to_have_count(1)  # the OCR error; none from the retry


def test_completing_a_session_renders_its_documentation_steps_with_highlights(
    page: Page, server: Sessiondocs
) -> None:
    session_id = record_session(server, "Enter an invoice", invoice_screens())
    open_session(page, server, session_id)
    for n in (1, 2, 3):
        expect(shot_card(page, f"00{n}.png")).to_have_attribute(
            "data-status", "done", timeout=OCR_TIMEOUT
        )
    mark_page(page)

    page.get_by_role("button", name="Complete session").click()

    steps = page.locator("li.step")
    expect(steps.first).to_be_visible(timeout=OCR_TIMEOUT)
    expect(page.get_by_text("Documentation ready")).to_be_visible()
    assert steps.count() >= 2
    expect(steps.nth(1).get_by_role("heading", level=4)).to_contain_text("Customer")
    box = steps.nth(1).locator(".highlight-box").bounding_box()
    image = steps.nth(1).locator(".highlighted img").bounding_box()
    assert box is not None and image is not None
    assert image["x"] <= box["x"] and box["x"] + box["width"] <= image["x"] + image["width"]
    assert image["y"] <= box["y"] and box["y"] + box["height"] <= image["y"] + image["height"]
    assert_not_reloaded(page)


def test_the_export_links_download_the_documentation(
    page: Page, server: Sessiondocs, documented: Documented
) -> None:
    open_session(page, server, documented.session_id)
    expected = {
        "Export HTML": "text/html",
        "Export Markdown (ZIP)": "application/zip",
        "Export .md": "text/markdown",
    }
    for label, media_type in expected.items():
        link = page.get_by_role("link", name=label)
        href = link.get_attribute("href")
        assert href is not None
        response = page.request.get(f"{server.url}{href}")
        assert response.status == 200, label
        assert response.headers["content-type"].startswith(media_type)
        assert "attachment" in response.headers["content-disposition"]
        if label == "Export HTML":
            assert documented.title in response.text()
    save_artifact(page, "sessiondocs-session-desktop.png")


def test_the_session_page_loads_directly_from_its_url_in_dark_mode(
    chromium: Browser, server: Sessiondocs, documented: Documented
) -> None:
    context = chromium.new_context(viewport=DESKTOP, color_scheme="dark")
    page = context.new_page()
    try:
        open_session(page, server, documented.session_id)
        expect(page.locator("li.step")).to_have_count(documented.steps)
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert background == "rgb(17, 19, 23)"
        save_artifact(page, "sessiondocs-session-desktop-dark.png")
    finally:
        context.close()


# --- phone ---------------------------------------------------------------------------------


def test_the_sessions_list_fits_a_phone_screen(
    phone: Page, server: Sessiondocs, documented: Documented
) -> None:
    phone.goto(server.url)
    expect(phone.get_by_role("link", name=documented.title)).to_be_visible()
    assert_fits_width(phone)
    save_artifact(phone, "sessiondocs-list-phone.png")


def test_the_session_page_fits_a_phone_screen(
    phone: Page, server: Sessiondocs, documented: Documented
) -> None:
    open_session(phone, server, documented.session_id)
    expect(phone.locator("li.step")).to_have_count(documented.steps)
    expect(phone.locator("li.shot .thumb img").first).to_be_visible()
    assert_fits_width(phone)
    save_artifact(phone, "sessiondocs-session-phone.png")
