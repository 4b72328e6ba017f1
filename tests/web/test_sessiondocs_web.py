"""The sessiondocs web app (web/sessiondocs, React + convex/react) in Chromium against a real
``sessiondocs serve --demo``: nothing shows before signing in; the capture agent's HTTP calls
show up live, OCR and documentation render, exports download; sessions are shared with people
and by links that stop working when revoked; device tokens and invitations are shown once; and
the pages fit a phone."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.web.conftest import ARTIFACTS, DESKTOP, PHONE, build_web
from tests.web.sessiondocs_support import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    PASSWORD,
    Sessiondocs,
    draw_screen,
    start_sessiondocs,
)

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


def sign_in(page: Page, server: Sessiondocs, email: str = DEMO_EMAIL, password: str = "") -> Page:
    """Sign in with the form, as a person would (the demo administrator by default)."""
    page.goto(server.url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(
        password or (DEMO_PASSWORD if email == DEMO_EMAIL else PASSWORD)
    )
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


@pytest.fixture
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    """A desktop browser context, signed out."""
    context = chromium.new_context(viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext, server: Sessiondocs) -> Page:
    """A desktop page signed in as the demo administrator."""
    return sign_in(browser_context.new_page(), server)


@pytest.fixture
def phone(chromium: Browser, server: Sessiondocs) -> Iterator[Page]:
    """A phone-sized page signed in as the demo administrator."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield sign_in(context.new_page(), server)
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
    # why: a phone's browser widens its layout viewport (innerWidth) to content that overflows
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    viewport = page.viewport_size
    width = min(inner, viewport["width"]) if viewport else inner
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"


# --- signing in ----------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_only_the_sign_in_page(
    browser_context: BrowserContext, server: Sessiondocs, documented: Documented
) -> None:
    page = browser_context.new_page()
    for path in ["/", f"/sessions/{documented.session_id}", "/devices", "/people"]:
        page.goto(f"{server.url}{path}")
        expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        expect(page.locator("li.session-row, li.shot, li.step")).to_have_count(0)
        body = page.locator("body").inner_text()
        assert documented.title not in body and "PC-TEST" not in body, path
    save_artifact(page, "sessiondocs-sign-in-desktop.png")


def test_a_wrong_password_is_refused_with_a_message(
    browser_context: BrowserContext, server: Sessiondocs
) -> None:
    page = browser_context.new_page()
    page.goto(server.url)
    page.get_by_label("Email").fill("nobody@people.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_the_demo_account_button_fills_the_form_and_signing_out_ends_every_tab(
    browser_context: BrowserContext, server: Sessiondocs
) -> None:
    page = browser_context.new_page()
    page.goto(server.url)
    page.get_by_role("button", name="Use the demo account").click()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("banner")).to_contain_text(DEMO_EMAIL)
    other_tab = browser_context.new_page()
    other_tab.goto(f"{server.url}/devices")
    expect(other_tab.get_by_role("heading", name="Devices", level=1)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(other_tab.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_a_token_about_to_run_out_is_refreshed_on_the_next_visit(
    page: Page, server: Sessiondocs
) -> None:
    read = "() => JSON.parse(localStorage.getItem('sessiondocs.session'))"
    before = page.evaluate(read)
    page.evaluate(
        "s => localStorage.setItem('sessiondocs.session', JSON.stringify(s))",
        {**before, "expiresAt": int(time.time() * 1000)},
    )

    page.reload()

    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
    after = page.evaluate(read)
    assert after["refreshToken"] != before["refreshToken"]  # rotated: the old one is used up
    assert after["expiresAt"] > time.time() * 1000 + 60_000
    assert after["id"] == before["id"]  # the same sign-in


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
    assert server.refusal("query", "sessions:getSession", {"sessionId": session_id}) == "not_found"


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


def test_the_export_buttons_download_the_documentation_when_signed_in(
    page: Page, server: Sessiondocs, documented: Documented
) -> None:
    open_session(page, server, documented.session_id)
    exports = page.get_by_role("group", name="Export the documentation")
    expected = {
        "Export PDF": ".pdf",
        "Export HTML": ".html",
        "Export Markdown (ZIP)": ".zip",
        "Export .md": ".md",
    }
    for label, extension in expected.items():
        with page.expect_download() as started:
            exports.get_by_role("button", name=label).click()
        download = started.value
        assert download.suggested_filename == f"Create-an-invoice{extension}", label
        content = Path(download.path()).read_bytes()
        if extension == ".zip":
            assert content.startswith(b"PK")
        elif extension == ".pdf":
            assert content.startswith(b"%PDF-")
        else:
            assert documented.title in content.decode()
        if extension == ".md":  # one file that stands alone: its images are in it
            assert "](data:image/png;base64," in content.decode()
            assert "images/step-" not in content.decode()
    expect(exports.get_by_role("button", name="Export HTML")).to_be_enabled()
    expect(page.get_by_role("alert")).to_have_count(0)
    save_artifact(page, "sessiondocs-session-desktop.png")


def test_an_export_url_without_a_sign_in_is_not_found(
    page: Page, server: Sessiondocs, documented: Documented
) -> None:
    answer = page.request.get(
        f"{server.url}/http/export?sessionId={documented.session_id}&format=md"
    )
    assert answer.status == 404


def test_the_session_page_loads_directly_from_its_url_in_dark_mode(
    chromium: Browser, server: Sessiondocs, documented: Documented
) -> None:
    context = chromium.new_context(viewport=DESKTOP, color_scheme="dark")
    page = sign_in(context.new_page(), server)
    try:
        open_session(page, server, documented.session_id)
        expect(page.locator("li.step")).to_have_count(documented.steps)
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert background == "rgb(17, 19, 23)"
        save_artifact(page, "sessiondocs-session-desktop-dark.png")
    finally:
        context.close()


# --- sharing -------------------------------------------------------------------------------


def open_share_panel(page: Page) -> Locator:
    page.get_by_role("button", name="Share", exact=True).click()
    panel = page.get_by_role("region", name=re.compile("^Share"))
    expect(panel.get_by_role("heading", name="People")).to_be_visible()
    return panel


def share_with(panel: Locator, email: str, access: str) -> None:
    panel.get_by_label("Email").fill(email)
    panel.get_by_label("Access", exact=True).select_option(label=access)
    panel.get_by_role("button", name="Add").click()
    expect(panel.get_by_role("list", name="People this session is shared with")).to_contain_text(
        email
    )


def test_a_session_shared_for_reading_shows_in_the_readers_list_without_rename_or_delete(
    page: Page, chromium: Browser, server: Sessiondocs
) -> None:
    reader = server.new_person("reader")
    session_id = record_session(server, "Read me", [FORM])
    open_session(page, server, session_id)
    share_with(open_share_panel(page), reader, "Can read")
    save_artifact(page, "sessiondocs-share-desktop.png")

    context = chromium.new_context(viewport=DESKTOP)
    try:
        theirs = sign_in(context.new_page(), server, reader)
        row = theirs.locator(f"li.session-row[data-session-id='{session_id}']")
        expect(row.get_by_role("link", name="Read me")).to_be_visible()
        expect(row).to_contain_text("Shared with you (read)")
        expect(row.get_by_role("button")).to_have_count(0)  # no Rename, no Delete
        save_artifact(theirs, "sessiondocs-list-shared-with-you-desktop.png")

        row.get_by_role("link", name="Read me").click()
        expect(theirs.get_by_role("heading", name="Read me", level=1)).to_be_visible()
        expect(shot_card(theirs, "001.png").locator(".thumb img")).to_be_visible()
        for name in ["Rename", "Delete", "Share", "Complete session", "Regenerate"]:
            expect(theirs.get_by_role("button", name=re.compile(f"^{name}"))).to_have_count(0)
        expect(theirs.get_by_label("Upload screenshots")).to_have_count(0)
        as_reader = server.as_person(server.sign_in(reader, PASSWORD)["token"])
        rename = {"sessionId": session_id, "title": "Mine"}
        assert as_reader.refusal("mutation", "sessions:renameSession", rename) == "forbidden"
        mark_page(theirs)

        page.get_by_role("button", name=f"Stop sharing with {reader}").click()

        expect(
            theirs.get_by_text("This session does not exist or is not shared with you")
        ).to_be_visible()
        assert_not_reloaded(theirs)
    finally:
        context.close()


def test_a_session_shared_for_editing_can_be_renamed_but_not_deleted_or_shared(
    page: Page, chromium: Browser, server: Sessiondocs
) -> None:
    editor = server.new_person("editor")
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-E", "title": "Edit me"})
    open_session(page, server, session_id)
    share_with(open_share_panel(page), editor, "Can edit")

    context = chromium.new_context(viewport=DESKTOP)
    try:
        theirs = sign_in(context.new_page(), server, editor)
        row = theirs.locator(f"li.session-row[data-session-id='{session_id}']")
        expect(row).to_contain_text("Shared with you (edit)")
        expect(row.get_by_role("button", name="Delete Edit me")).to_have_count(0)
        row.get_by_role("button", name="Rename Edit me").click()
        row.get_by_label("Title").fill("Edited")
        row.get_by_label("Title").press("Enter")
        expect(row.get_by_role("link", name="Edited")).to_be_visible()

        expect(page.get_by_role("heading", name="Edited", level=1)).to_be_visible()  # live
        open_session(theirs, server, session_id)
        expect(theirs.get_by_label("Upload screenshots")).to_be_visible()
        expect(theirs.get_by_role("button", name="Share", exact=True)).to_have_count(0)
    finally:
        context.close()


def test_a_session_that_is_not_shared_with_you_says_so(
    chromium: Browser, server: Sessiondocs, documented: Documented
) -> None:
    stranger = server.new_person("stranger")
    context = chromium.new_context(viewport=DESKTOP)
    try:
        page = sign_in(context.new_page(), server, stranger)
        expect(page.get_by_text("No sessions yet")).to_be_visible()
        for session_id in [documented.session_id, "no-such-session"]:
            page.goto(f"{server.url}/sessions/{session_id}")
            expect(
                page.get_by_text("This session does not exist or is not shared with you")
            ).to_be_visible()
            expect(page.get_by_role("heading", name=documented.title)).to_have_count(0)
    finally:
        context.close()


def test_a_share_link_shows_the_session_to_anyone_until_the_owner_revokes_it(
    page: Page, chromium: Browser, server: Sessiondocs, documented: Documented
) -> None:
    open_session(page, server, documented.session_id)
    panel = open_share_panel(page)
    panel.get_by_role("button", name="Create a share link").click()
    link = panel.get_by_role("textbox", name="New share link")
    url = link.input_value()
    assert re.fullmatch(rf"{re.escape(server.url)}/shared/[\w-]+", url), url

    anonymous = chromium.new_context(viewport=DESKTOP)
    try:
        visitor = anonymous.new_page()
        visitor.goto(url)
        expect(visitor.get_by_role("heading", name=documented.title, level=1)).to_be_visible()
        expect(visitor.get_by_text("Shared by link, read-only")).to_be_visible()
        expect(visitor.locator("li.step")).to_have_count(documented.steps)
        card = shot_card(visitor, "001.png")
        expect(card.locator(".thumb img")).to_be_visible()
        card.get_by_text("OCR text").click()
        expect(card.locator(".ocr-text pre")).to_contain_text(re.compile("invoice", re.I))
        expect(
            visitor.get_by_role("button", name=re.compile("^(Rename|Delete|Regenerate)"))
        ).to_have_count(0)
        href = visitor.get_by_role("link", name="Export HTML").get_attribute("href")
        exported = visitor.request.get(f"{server.url}{href}")
        assert exported.status == 200 and documented.title in exported.text()
        save_artifact(visitor, "sessiondocs-shared-desktop.png")
        mark_page(visitor)

        panel.get_by_role("list", name="Share links").get_by_role(
            "button", name=re.compile("^Revoke")
        ).first.click()

        expect(visitor.get_by_role("heading", name="This link no longer works")).to_be_visible()
        expect(visitor.locator("li.step, li.shot")).to_have_count(0)
        assert_not_reloaded(visitor)
        assert visitor.request.get(f"{server.url}{href}").status == 404
        expect(link).to_have_count(0)  # the owner's copy of the revoked link is gone too
    finally:
        anonymous.close()


# --- devices and people --------------------------------------------------------------------


def test_a_device_token_is_shown_once_with_the_agent_commands_and_can_be_revoked(
    page: Page, server: Sessiondocs
) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Devices").click()
    page.get_by_label("Device name").fill("Front desk PC")
    page.get_by_role("button", name="Create token").click()

    token = page.get_by_role("textbox", name="Device token").input_value()
    assert token.startswith("sdd_")
    commands = page.get_by_role("textbox", name="On that PC, run (login asks for the token)")
    commands = commands.input_value()
    assert commands.splitlines() == [
        f"python -m sessiondocs agent login --url {server.url}",
        f"python -m sessiondocs agent --url {server.url}",
    ]
    device = server.as_person(token)
    assert device.mutation("sessions:createSession", {"pcName": "FRONT-DESK"})
    row = page.locator("li[data-device='Front desk PC']")
    expect(row).to_contain_text("Added")
    save_artifact(page, "sessiondocs-devices-desktop.png")

    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("textbox", name="Device token")).to_have_count(0)
    page.reload()
    expect(row).to_be_visible()
    assert token not in page.content()

    row.get_by_role("button", name="Revoke Front desk PC").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke token").click()
    expect(row).to_have_count(0)
    refused = device.refusal("mutation", "sessions:createSession", {"pcName": "X"})
    assert refused == "unauthenticated"


def test_an_invited_person_accepts_the_link_and_an_admin_can_disable_them(
    page: Page, chromium: Browser, server: Sessiondocs
) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="People").click()
    page.get_by_label("Email").fill("Newcomer@Example.org")
    page.get_by_role("button", name="Invite", exact=True).click()
    url = page.get_by_role("textbox", name="Invitation link").input_value()
    assert re.fullmatch(rf"{re.escape(server.url)}/invite/[\w-]+", url), url
    pending = page.locator("li[data-invite='newcomer@example.org']")
    expect(pending.get_by_role("button", name=re.compile("^Revoke"))).to_be_visible()
    save_artifact(page, "sessiondocs-people-desktop.png")

    context = chromium.new_context(viewport=DESKTOP)
    try:
        newcomer = context.new_page()
        newcomer.goto(url)
        expect(newcomer.get_by_label("Email")).to_have_value("newcomer@example.org")
        newcomer.get_by_label("Password").fill("short")
        newcomer.get_by_role("button", name="Create account").click()
        expect(newcomer.get_by_role("heading", name="Join sessiondocs")).to_be_visible()
        assert newcomer.get_by_label("Password").evaluate("input => !input.validity.valid")
        newcomer.get_by_label("Password").fill(PASSWORD)
        newcomer.get_by_role("button", name="Create account").click()
        expect(newcomer.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
        expect(newcomer.get_by_role("banner")).to_contain_text("newcomer@example.org")
        expect(newcomer.get_by_role("link", name="People")).to_have_count(0)  # not an admin

        expect(pending).to_have_count(0)  # used: no longer pending, live
        account = page.locator("li[data-user='newcomer@example.org']")
        account.get_by_role("button", name="Disable newcomer@example.org").click()
        expect(account).to_contain_text("Disabled")
        expect(newcomer.get_by_role("heading", name="Your account is disabled")).to_be_visible()

        newcomer.goto(url)  # a used invitation cannot be used again
        expect(newcomer.get_by_text("This invitation was already used")).to_be_visible()
    finally:
        context.close()


def test_a_revoked_invitation_link_says_so(
    page: Page, chromium: Browser, server: Sessiondocs
) -> None:
    invite = server.mutation("users:inviteUser", {"email": "late@example.org"})
    page.goto(f"{server.url}/people")
    page.get_by_role("button", name="Revoke the invitation of late@example.org").click()
    expect(page.locator("li[data-invite='late@example.org']")).to_have_count(0)

    context = chromium.new_context(viewport=DESKTOP)
    try:
        visitor = context.new_page()
        visitor.goto(f"{server.url}/invite/{invite['token']}")
        expect(visitor.get_by_text("This invitation was revoked")).to_be_visible()
        expect(visitor.get_by_role("button", name="Create account")).to_have_count(0)
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


def phone_context(chromium: Browser) -> BrowserContext:
    return chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)


def test_the_sign_in_page_fits_a_phone_screen(chromium: Browser, server: Sessiondocs) -> None:
    context = phone_context(chromium)
    try:
        page = context.new_page()
        page.goto(server.url)
        expect(page.get_by_role("button", name="Use the demo account")).to_be_visible()
        assert_fits_width(page)
        save_artifact(page, "sessiondocs-sign-in-phone.png")
    finally:
        context.close()


def test_the_devices_and_people_pages_fit_a_phone_screen(phone: Page, server: Sessiondocs) -> None:
    phone.goto(f"{server.url}/devices")
    phone.get_by_label("Device name").fill("A PC with a rather long name at the back office")
    phone.get_by_role("button", name="Create token").click()
    expect(phone.get_by_role("textbox", name="Device token")).to_be_visible()
    assert_fits_width(phone)
    save_artifact(phone, "sessiondocs-devices-phone.png")

    phone.goto(f"{server.url}/people")
    phone.get_by_label("Email").fill("someone.with.a.long.address@example.org")
    phone.get_by_role("button", name="Invite", exact=True).click()
    expect(phone.get_by_role("textbox", name="Invitation link")).to_be_visible()
    assert_fits_width(phone)
    save_artifact(phone, "sessiondocs-people-phone.png")


def test_the_share_panel_and_the_shared_view_fit_a_phone_screen(
    phone: Page, chromium: Browser, server: Sessiondocs, documented: Documented
) -> None:
    open_session(phone, server, documented.session_id)
    panel = open_share_panel(phone)
    share_with(panel, "a.colleague.with.a.long.address@example.org", "Can edit")
    panel.get_by_role("button", name="Create a share link").click()
    url = panel.get_by_role("textbox", name="New share link").input_value()
    assert_fits_width(phone)
    save_artifact(phone, "sessiondocs-share-phone.png")

    context = phone_context(chromium)
    try:
        visitor = context.new_page()
        visitor.goto(url)
        expect(visitor.locator("li.step")).to_have_count(documented.steps)
        assert_fits_width(visitor)
        save_artifact(visitor, "sessiondocs-shared-phone.png")
    finally:
        context.close()


# --- search ----------------------------------------------------------------------------------


def test_search_finds_words_on_screenshots_live_and_opens_the_screenshot(
    page: Page, server: Sessiondocs, documented: Documented
) -> None:
    page.goto(server.url)
    mark_page(page)
    search = page.get_by_role("search")
    box = search.get_by_label("Find a step, or words seen on a screenshot")
    box.fill("narwhal cens")
    expect(search).to_contain_text("Nothing found")
    # a screenshot read while the search is open shows up in it, without a reload
    session_id = record_session(server, "Narwhal report", [["Narwhal census", "Print"]])
    result = search.get_by_role("link", name=re.compile(r"Screenshot 001\.png"))
    expect(result).to_be_visible(timeout=OCR_TIMEOUT)
    expect(search).to_contain_text("Narwhal report")
    expect(search.locator("mark")).to_have_text(["Narwhal", "census"])
    assert_not_reloaded(page)
    save_artifact(page, "sessiondocs-search-desktop.png")
    result.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session_id}#shot-"))
    target = page.locator("li.shot[data-filename='001.png']")
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()


def test_search_finds_a_step_of_the_documentation_and_opens_it(
    page: Page, server: Sessiondocs, documented: Documented
) -> None:
    page.goto(server.url)
    search = page.get_by_role("search")
    search.get_by_label("Find a step, or words seen on a screenshot").fill("acme corporation")
    # other sessions of this server may hold the words too: the result of this one
    step_link = page.get_by_role("link", name=re.compile(r"^Step \d+:"))
    result = search.get_by_role("listitem").filter(has_text=documented.title).filter(has=step_link)
    step = result.first.get_by_role("link")
    expect(step).to_be_visible()
    step.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{documented.session_id}#step-\d+"))
    expect(page.locator("li.step:focus")).to_be_in_viewport()
    save_artifact(page, "sessiondocs-search-step-desktop.png")
