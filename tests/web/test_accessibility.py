"""Accessibility of both web apps in Chromium: readable text contrast (WCAG 2 AA) on every main
page in the light and the dark theme, a name for every input, button, link and image, and the
chat, the result table, the sign-in form, the session pages and sharing used from the keyboard
with the focus drawn."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.accessibility_support import (
    contrast_failures,
    describe_contrast,
    tab_to,
    unnamed_elements,
    unringed,
)
from tests.web.conftest import DESKTOP, Bankchat
from tests.web.sessiondocs_support import Sessiondocs
from tests.web.test_bankchat_web import (
    ADMIN,
    ANSWER_MS,
    AUDITOR,
    GROUPING,
    answers,
    ask,
    sign_in,
)
from tests.web.test_sessiondocs_web import (  # noqa: F401  (fixtures: the server, a documented session)
    Documented,
    documented,
    open_session,
    open_share_panel,
    server,
    share_with,
    shot_card,
)
from tests.web.test_sessiondocs_web import sign_in as sign_in_to_sessiondocs

pytestmark = pytest.mark.slow

THEMES = ["light", "dark"]
NOT_UNDERSTOOD = "what will the weather be tomorrow"

NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(chromium: Browser) -> Iterator[NewContext]:
    """Open desktop browser contexts in a colour scheme; closed after the test."""
    contexts: list[BrowserContext] = []

    def open_one(color_scheme: str = "light") -> BrowserContext:
        context = chromium.new_context(viewport=DESKTOP, color_scheme=color_scheme)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_one
    for context in contexts:
        context.close()


def assert_readable(failures: dict[str, list[dict[str, Any]]]) -> None:
    assert not any(failures.values()), "text below WCAG AA contrast:\n" + describe_contrast(
        failures
    )


# --- bankchat ------------------------------------------------------------------------------


@contextmanager
def preferred_theme(page: Page, theme: str) -> Iterator[None]:
    """The signed-in user's theme preference set to ``theme``, and back to light afterwards
    (the preference is saved with the user, whom other tests share)."""

    def choose(wanted: str) -> None:
        html = page.locator("html")
        if html.get_attribute("data-theme") != wanted:
            page.get_by_role("button", name=f"Switch to {wanted} theme").click()
        expect(html).to_have_attribute("data-theme", wanted)

    choose(theme)
    try:
        yield
    finally:
        choose("light")


def show(page: Page, link: str, heading: str) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("^Loading"))).to_have_count(0)


@pytest.mark.parametrize("theme", THEMES)
def test_bankchat_text_is_readable_on_every_main_page(
    bankchat: Bankchat, new_context: NewContext, theme: str
) -> None:
    page = new_context(theme).new_page()  # signed out, the app follows the system's scheme
    page.goto(bankchat.url)
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    failures = {"sign-in": contrast_failures(page)}

    admin = sign_in(new_context(), bankchat, ADMIN)
    with preferred_theme(admin, theme):
        answer = ask(admin, GROUPING)
        expect(answer.locator("code.hljs .hljs-keyword").first).to_be_visible()
        expect(answer.locator("tbody tr").first).to_be_visible()
        expect(answer.locator("canvas[role=img]")).to_be_visible()
        answer.get_by_role("button", name="Save as favorite").click()
        answer.get_by_role("button", name="Share with a team").click()
        ask(admin, NOT_UNDERSTOOD)
        failures["chat"] = contrast_failures(admin)
        admin.get_by_role("button", name=re.compile("^Notifications")).click()
        expect(admin.get_by_role("region", name="Notifications")).to_be_visible()
        failures["notifications"] = contrast_failures(admin)
        admin.keyboard.press("Escape")
        show(admin, "History", "Query history")
        failures["history"] = contrast_failures(admin)
        show(admin, "Analytics", "Analytics")
        failures["analytics"] = contrast_failures(admin)

    auditor = sign_in(new_context(), bankchat, AUDITOR)
    with preferred_theme(auditor, theme):
        show(auditor, "Audit log", "Audit log")
        log = auditor.get_by_role("table", name="Audit entries")
        expect(log.locator("tbody tr").first).to_be_visible()
        failures["audit log"] = contrast_failures(auditor)
    assert_readable(failures)


def test_bankchat_inputs_buttons_and_images_have_names(
    bankchat: Bankchat, new_context: NewContext
) -> None:
    page = new_context().new_page()
    page.goto(bankchat.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    problems = {"sign-in": unnamed_elements(page)}

    admin = sign_in(new_context(), bankchat, ADMIN)
    answer = ask(admin, GROUPING)
    answer.get_by_role("button", name="Save as favorite").click()
    answer.get_by_role("button", name="Share with a team").click()
    admin.get_by_role("button", name=re.compile("^Notifications")).click()
    problems["chat"] = unnamed_elements(admin)
    admin.keyboard.press("Escape")
    for link, heading in [
        ("History", "Query history"),
        ("Teams", "Teams"),
        ("Analytics", "Analytics"),
    ]:
        show(admin, link, heading)
        problems[link] = unnamed_elements(admin)

    auditor = sign_in(new_context(), bankchat, AUDITOR)
    show(auditor, "Audit log", "Audit log")
    problems["audit log"] = unnamed_elements(auditor)
    assert not any(problems.values()), problems


def test_bankchat_question_box_is_reached_with_tab_and_enter_sends(
    bankchat: Bankchat, new_context: NewContext
) -> None:
    page = sign_in(new_context(), bankchat, ADMIN)
    page.reload()  # the focus starts from the top: header, sidebar, then the chat
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    stops = tab_to(page, "textarea#question", limit=200)
    page.keyboard.type(GROUPING)
    page.keyboard.press("Enter")

    expect(answers(page)).to_have_count(1, timeout=ANSWER_MS)
    expect(answers(page).last.locator("tbody tr").first).to_be_visible()
    assert not unringed(stops), f"focus not drawn on {unringed(stops)}"


def test_bankchat_sortable_headers_are_reached_with_tab_and_sort_with_enter_and_space(
    bankchat: Bankchat, new_context: NewContext
) -> None:
    page = sign_in(new_context(), bankchat, ADMIN)
    table = ask(page, GROUPING).locator("table")
    first_row = table.locator("tbody tr").first
    unsorted = first_row.inner_text()

    # why: the question box (focused after sending) comes right after the newest answer
    stops = tab_to(page, "button.sort", key="Shift+Tab")
    header = table.locator("th").filter(has=page.locator("button.sort:focus"))
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(first_row).not_to_have_text(unsorted)
    ascending = first_row.inner_text()
    page.keyboard.press("Space")
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(first_row).not_to_have_text(ascending)
    assert not unringed(stops), f"focus not drawn on {unringed(stops)}"


# --- sessiondocs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unreadable(server: Sessiondocs) -> str:  # noqa: F811
    """A session whose one screenshot could not be read: its error and counts show in red."""
    session_id = server.mutation("sessions:createSession", {"pcName": "PC-BAD", "title": "Bad"})
    server.upload(session_id, "broken.png", b"not a png at all", time.time() * 1000)
    server.wait_for_ocr(session_id)
    return str(session_id)


@pytest.fixture(scope="module")
def disabled_person(server: Sessiondocs) -> str:  # noqa: F811
    """A person an administrator disabled: the People page shows them in red."""
    email = server.new_person("disabled")
    users = server.query("users:listUsers", {})
    user_id = next(user["_id"] for user in users if user["email"] == email)
    server.mutation("users:setActive", {"userId": user_id, "isActive": False})
    return email


def show_sessiondocs_page(page: Page, link: str) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=link, level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("^Loading"))).to_have_count(0)


def owner_pages(
    page: Page,
    server: Sessiondocs,  # noqa: F811
    session_id: str,
) -> Iterator[tuple[str, str]]:
    """Walk the owner's pages with their one-time secrets shown, yielding each page's name:
    the share panel (with a person and a new link), Devices (a new token) and People (a new
    invitation). The pair's second item is the link or token the page shows."""
    open_session(page, server, session_id)
    panel = open_share_panel(page)
    share_with(panel, f"reader-{time.monotonic_ns()}@example.org", "Can read")
    panel.get_by_role("button", name="Create a share link").click()
    link = panel.get_by_role("textbox", name="New share link").input_value()
    yield "share panel", link

    show_sessiondocs_page(page, "Devices")
    page.get_by_label("Device name").fill("Audit PC")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_role("textbox", name="Device token").input_value()
    yield "devices", token

    show_sessiondocs_page(page, "People")
    page.get_by_label("Email").fill(f"invited-{time.monotonic_ns()}@example.org")
    page.get_by_role("button", name="Invite", exact=True).click()
    invitation = page.get_by_role("textbox", name="Invitation link").input_value()
    yield "people", invitation


def sign_in_refused(page: Page, server: Sessiondocs) -> None:  # noqa: F811
    """The sign-in page with its error shown (an unknown email, so no account is throttled)."""
    page.goto(server.url)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()


def open_shared(page: Page, url: str, steps: int) -> None:
    page.goto(url)
    expect(page.locator("li.step")).to_have_count(steps)
    expect(page.locator("li.shot .thumb img").first).to_be_visible()


def open_invitation(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("button", name="Create account")).to_be_visible()


@pytest.mark.parametrize("color_scheme", THEMES)
def test_sessiondocs_text_is_readable_on_every_main_page(
    server: Sessiondocs,  # noqa: F811
    documented: Documented,  # noqa: F811
    unreadable: str,
    disabled_person: str,
    new_context: NewContext,
    color_scheme: str,
) -> None:
    page = new_context(color_scheme).new_page()
    sign_in_refused(page, server)
    failures = {"sign-in": contrast_failures(page)}

    sign_in_to_sessiondocs(page, server)
    expect(page.get_by_role("link", name=documented.title)).to_be_visible()
    failures["sessions"] = contrast_failures(page)

    open_session(page, server, unreadable)
    expect(page.get_by_role("alert")).to_contain_text("OCR failed")
    failures["unreadable session"] = contrast_failures(page)

    open_session(page, server, documented.session_id)
    expect(page.locator("li.step")).to_have_count(documented.steps)
    card = shot_card(page, "001.png")
    card.get_by_text("OCR text").click()
    expect(card.locator(".ocr-text pre")).to_be_visible()
    failures["session"] = contrast_failures(page)
    card.get_by_role("button", name=re.compile("^Enlarge")).click()
    expect(page.get_by_role("dialog", name="001.png").get_by_role("img")).to_be_visible()
    failures["enlarged screenshot"] = contrast_failures(page)
    page.keyboard.press("Escape")

    links = {}
    for name, secret in owner_pages(page, server, documented.session_id):
        if name == "people":
            expect(page.get_by_text("Disabled", exact=True)).to_be_visible()
        failures[name] = contrast_failures(page)
        links[name] = secret

    visitor = new_context(color_scheme).new_page()
    open_shared(visitor, links["share panel"], documented.steps)
    failures["shared by link"] = contrast_failures(visitor)
    open_invitation(visitor, links["people"])
    failures["invitation"] = contrast_failures(visitor)
    assert_readable(failures)


def test_sessiondocs_inputs_buttons_and_images_have_names(
    server: Sessiondocs,  # noqa: F811
    documented: Documented,  # noqa: F811
    new_context: NewContext,
) -> None:
    page = new_context().new_page()
    sign_in_refused(page, server)
    problems = {"sign-in": unnamed_elements(page)}
    sign_in_to_sessiondocs(page, server)
    expect(page.get_by_role("link", name=documented.title)).to_be_visible()
    problems["sessions"] = unnamed_elements(page)
    open_session(page, server, documented.session_id)
    expect(page.locator("li.step")).to_have_count(documented.steps)
    problems["session"] = unnamed_elements(page)
    links = {}
    for name, secret in owner_pages(page, server, documented.session_id):
        problems[name] = unnamed_elements(page)
        links[name] = secret

    visitor = new_context().new_page()
    open_shared(visitor, links["share panel"], documented.steps)
    problems["shared by link"] = unnamed_elements(visitor)
    open_invitation(visitor, links["people"])
    problems["invitation"] = unnamed_elements(visitor)
    assert not any(problems.values()), problems


def test_sessiondocs_sign_in_form_is_used_from_the_keyboard(
    server: Sessiondocs,  # noqa: F811
    new_context: NewContext,
) -> None:
    page = new_context().new_page()
    page.goto(server.url)
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()

    stops = tab_to(page, "input[type=email]")
    page.keyboard.type("demo@sessiondocs.example")
    stops += tab_to(page, "input[type=password]")
    page.keyboard.type("livebase-demo")
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert not unringed(stops), f"focus not drawn on {unringed(stops)}"


def test_sessiondocs_session_link_is_reached_with_tab_and_opened_with_enter(
    server: Sessiondocs,  # noqa: F811
    documented: Documented,  # noqa: F811
    new_context: NewContext,
) -> None:
    page = sign_in_to_sessiondocs(new_context().new_page(), server)
    expect(page.get_by_role("link", name=documented.title)).to_be_visible()

    stops = tab_to(page, f"a[href$='/sessions/{documented.session_id}']")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(f"/sessions/{documented.session_id}$"))
    expect(page.get_by_role("heading", name=documented.title, level=1)).to_be_visible()
    assert not unringed(stops), f"focus not drawn on {unringed(stops)}"


def test_sessiondocs_thumbnail_opens_with_enter_and_closes_with_escape(
    server: Sessiondocs,  # noqa: F811
    documented: Documented,  # noqa: F811
    new_context: NewContext,
) -> None:
    page = sign_in_to_sessiondocs(new_context().new_page(), server)
    open_session(page, server, documented.session_id)
    thumbnail = shot_card(page, "001.png").get_by_role("button", name=re.compile("^Enlarge"))
    expect(thumbnail).to_be_visible()

    stops = tab_to(page, "button.thumb")
    expect(thumbnail).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("img")).to_be_visible()
    page.keyboard.press("Escape")

    expect(dialog).to_have_count(0)
    expect(thumbnail).to_be_focused()  # back where the user was
    assert not unringed(stops), f"focus not drawn on {unringed(stops)}"


def test_sessiondocs_share_panel_opens_and_makes_a_link_from_the_keyboard(
    server: Sessiondocs,  # noqa: F811
    documented: Documented,  # noqa: F811
    new_context: NewContext,
) -> None:
    page = sign_in_to_sessiondocs(new_context().new_page(), server)
    open_session(page, server, documented.session_id)
    share = page.get_by_role("button", name="Share", exact=True)
    expect(share).to_be_visible()

    stops = tab_to(page, "button[aria-controls=share-panel]")
    page.keyboard.press("Enter")
    expect(share).to_have_attribute("aria-expanded", "true")
    stops += tab_to(page, "#share-panel .share-links > button")
    page.keyboard.press("Enter")

    expect(page.get_by_role("textbox", name="New share link")).to_be_visible()
    assert not unringed(stops), f"focus not drawn on {unringed(stops)}"
