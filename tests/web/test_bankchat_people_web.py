"""Who gets into the bankchat web app now that sign-up is closed, in Chromium against a real
``bankchat serve``: the administrator's People page (roles, disabling, one-time invitation
links), accepting an invitation, the page of an account with no role that becomes the app as
soon as an administrator grants one, and team invitations answered by the invitee. Screenshots
go to test-artifacts/web/."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import free_port, source_env, start_process
from tests.web.accessibility_support import contrast_failures, describe_contrast, unnamed_elements
from tests.web.conftest import DESKTOP, PHONE, Bankchat, build_web
from tests.web.test_bankchat_web import (
    ADMIN,
    ANALYST,
    ANSWER_MS,
    AUDITOR,
    ask,
    assert_fits,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow

SIGNUP_DOMAIN = "newcomers.example"  # may sign up on the `open_bankchat` server
NEW_PASSWORD = "a long new password"
INVITED_TITLE = "You are invited to a team: answer in Teams"


def new_email(domain: str = "example.org") -> str:
    return f"person-{uuid.uuid4().hex[:8]}@{domain}"


@pytest.fixture(scope="module")
def open_bankchat(
    bank_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bankchat]:
    """A second bankchat, with the demo users, where emails of SIGNUP_DOMAIN sign up
    themselves (and get no role); like tests.web.conftest.start_bankchat otherwise."""
    build_web()
    data_dir = tmp_path_factory.mktemp("bankchat-open") / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in source_env().items() if not k.startswith("BANKCHAT_")}
    env["BANKCHAT_DB_PATH"] = str(bank_sqlite)
    env["BANKCHAT_SIGNUP_DOMAINS"] = SIGNUP_DOMAIN
    command = [sys.executable, "-m", "bankchat", "serve", "--port", str(port), "--demo"]
    command += ["--data-dir", str(data_dir)]
    log = data_dir.parent / f"bankchat-{port}.log"
    running = Bankchat(url, start_process(command, url, log, env=env, timeout=60), log)
    try:
        yield running
    finally:
        running.stop()


class Contexts:
    """Opens browser contexts (each its own storage: another person or device) and collects
    the errors their pages log."""

    def __init__(self, chromium: Browser) -> None:
        self.chromium = chromium
        self.opened: list[BrowserContext] = []
        self.errors: list[str] = []
        self.expected: list[str] = []

    def __call__(self, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
        context = self.chromium.new_context(viewport=viewport)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: self.errors.append(str(error.error)))
        context.on("console", lambda message: self._console(message.type, message.text))
        self.opened.append(context)
        return context

    def expect_error(self, text: str) -> None:
        """A refusal the test provokes: the convex client logs it as an error."""
        self.expected.append(text)

    def _console(self, kind: str, text: str) -> None:
        # why: Chromium logs every 4xx answer; a refused sign-in or sign-up is expected here
        refused = text.startswith("Failed to load resource") and re.search(
            r"status of 40[13]", text
        )
        if kind == "error" and not refused and not any(e in text for e in self.expected):
            self.errors.append(text)


@pytest.fixture
def open_context(chromium: Browser) -> Iterator[Contexts]:
    """Browser contexts, closed after the test; none of their pages may have logged an
    error the test did not expect."""
    contexts = Contexts(chromium)
    yield contexts
    for context in contexts.opened:
        context.close()
    assert not contexts.errors, f"errors in the browser: {contexts.errors}"


def open_people(page: Page) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()


def invite(page: Page, email: str, roles: list[str]) -> str:
    """On the People page: invite ``email`` with ``roles``; the one-time link it shows."""
    open_people(page)
    page.get_by_label("Email", exact=True).fill(email)
    choice = page.get_by_role("group", name="Roles of the new account")
    for role in roles:
        choice.get_by_role("checkbox", name=role, exact=True).check()
    page.get_by_role("button", name="Create invitation link").click()
    expect(page.get_by_role("status").filter(has_text=f"Invitation for {email}")).to_be_visible()
    link = page.get_by_label("Invitation link")
    expect(link).to_be_focused()
    return link.input_value()


def roles_of(page: Page, email: str):
    return page.get_by_role("group", name=f"Roles of {email}")


def fill_new_account(page: Page, password: str = NEW_PASSWORD, name: str = "") -> None:
    if name:
        page.get_by_label("Your name (optional)").fill(name)
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Create my account").click()


def sign_up(page: Page, server: Bankchat, email: str) -> None:
    """Make an account from the sign-in page's "create one" link."""
    page.goto(server.url)
    page.get_by_role("link", name="create one").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email").fill(email)
    fill_new_account(page)


def assert_readable(page: Page, name: str) -> None:
    failures = contrast_failures(page)
    assert not failures, describe_contrast({name: failures})


def test_an_invited_person_signs_up_from_the_link_and_asks_as_an_analyst(bankchat, open_context):
    admin_context = open_context()
    admin_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=bankchat.url)
    admin = sign_in(admin_context, bankchat, ADMIN)
    email = new_email()
    link = invite(admin, email, ["analyst"])
    assert re.fullmatch(re.escape(bankchat.url) + r"/invite/[\w-]{20,}", link), link
    admin.get_by_role("button", name="Copy link").click()
    expect(admin.get_by_text("Link copied.")).to_be_visible()
    assert admin.evaluate("navigator.clipboard.readText()") == link
    pending = admin.get_by_role("list", name="Pending invitations")
    expect(pending.get_by_text(email, exact=True)).to_be_visible()
    expect(pending).to_contain_text("analyst")
    assert_fits(admin)
    screenshot(admin, "people-desktop")

    newcomer = open_context(PHONE).new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    expect(newcomer.get_by_label("Email")).to_have_value(email)
    assert_fits(newcomer)
    assert_readable(newcomer, "invitation")
    screenshot(newcomer, "invitation-phone")
    fill_new_account(newcomer, name="Nina Newcomer")
    expect(newcomer.get_by_role("button", name="Sign out")).to_be_visible()
    expect(newcomer).to_have_url(bankchat.url + "/")
    answer = ask(newcomer, "How many clients are there?")
    expect(answer.locator("tbody tr").first).to_be_visible(timeout=ANSWER_MS)
    nav = newcomer.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="People")).to_have_count(0)

    # the administrator's page follows live: the invitation is used, the account is listed
    expect(pending.get_by_text(email, exact=True)).to_have_count(0)
    expect(roles_of(admin, email).get_by_role("checkbox", name="analyst")).to_be_checked()
    expect(roles_of(admin, email).get_by_role("checkbox", name="admin")).not_to_be_checked()

    newcomer.goto(link)  # signed in: the link is for a new account
    expect(newcomer.get_by_role("heading", name="You are already signed in")).to_be_visible()
    newcomer.get_by_role("button", name="Go to the app").click()
    expect(newcomer.get_by_label("Your question")).to_be_visible()

    again = open_context().new_page()  # someone else, signed out
    again.goto(link)
    expect(again.get_by_role("heading", name="Invitation already used")).to_be_visible()
    expect(again.get_by_role("button", name="Create my account")).to_have_count(0)


def test_a_revoked_or_unknown_invitation_link_says_it_cannot_be_used(bankchat, open_context):
    admin = sign_in(open_context(), bankchat, ADMIN)
    email = new_email()
    link = invite(admin, email, ["teller"])
    pending = admin.get_by_role("list", name="Pending invitations")
    pending.get_by_role("button", name=f"Revoke the invitation for {email}").click()
    expect(pending.get_by_text(email, exact=True)).to_have_count(0)

    visitor = open_context(PHONE).new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Invitation withdrawn")).to_be_visible()
    expect(visitor.get_by_text("Ask them for a new link")).to_be_visible()
    assert_fits(visitor)
    visitor.goto(bankchat.url + "/invite/not-a-real-token")
    expect(visitor.get_by_role("heading", name="Invitation not found")).to_be_visible()
    visitor.get_by_role("link", name="Go to sign-in").click()
    expect(visitor.get_by_role("button", name="Sign in")).to_be_visible()


def test_sign_up_is_refused_to_an_email_outside_the_allowed_domains(open_bankchat, open_context):
    page = open_context().new_page()
    sign_up(page, open_bankchat, new_email("elsewhere.example"))
    expect(page.get_by_role("alert")).to_contain_text(
        "Sign-up is closed here: ask an administrator for an invitation"
    )
    page.get_by_label("Repeat the password").fill("something else")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ")


def test_an_account_without_a_role_waits_and_becomes_the_app_when_granted_one(
    open_bankchat, open_context
):
    email = new_email(SIGNUP_DOMAIN)
    page = open_context(PHONE).new_page()
    sign_up(page, open_bankchat, email)
    expect(page.get_by_role("heading", name="No role yet")).to_be_visible()
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    expect(page.get_by_text("an administrator must grant you one")).to_be_visible()
    assert_fits(page)
    assert_readable(page, "no role")
    screenshot(page, "no-role-phone")
    page.evaluate("window.__sameDocument = true")

    admin = sign_in(open_context(), open_bankchat, ADMIN)
    open_people(admin)
    row = admin.get_by_role("listitem").filter(has=roles_of(admin, email))
    expect(row).to_contain_text("No role")
    roles_of(admin, email).get_by_role("checkbox", name="analyst").check()
    expect(row).not_to_contain_text("No role")

    expect(page.get_by_label("Your question")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "the tab was reloaded"


def test_a_disabled_account_is_shut_out_at_once_and_let_back_in(open_bankchat, open_context):
    email = new_email(SIGNUP_DOMAIN)
    page = open_context().new_page()
    sign_up(page, open_bankchat, email)
    expect(page.get_by_role("heading", name="No role yet")).to_be_visible()

    admin = sign_in(open_context(), open_bankchat, ADMIN)
    open_people(admin)
    admin.get_by_role("button", name=f"Disable {email}").click()
    expect(page.get_by_role("heading", name="Account disabled")).to_be_visible()
    row = admin.get_by_role("listitem").filter(has=roles_of(admin, email))
    expect(row).to_contain_text("Disabled")
    admin.get_by_role("button", name=f"Enable {email}").click()
    expect(page.get_by_role("heading", name="No role yet")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_an_administrator_cannot_take_away_their_own_admin_role(bankchat, open_context):
    admin = sign_in(open_context(), bankchat, ADMIN)
    open_people(admin)
    # the convex client logs the refused call; its words reach the person from the data
    open_context.expect_error("[CONVEX M(users:setRoles)]")
    mine = roles_of(admin, ADMIN).get_by_role("checkbox", name="admin")
    expect(mine).to_be_checked()
    mine.click()
    expect(admin.get_by_role("alert")).to_contain_text("You cannot take away your own admin role")
    expect(mine).to_be_checked()
    expect(admin.get_by_role("button", name=f"Disable {ADMIN}")).to_have_count(0)


def test_a_team_invitation_is_answered_by_the_invitee_in_another_context(bankchat, open_context):
    owner = sign_in(open_context(), bankchat, ANALYST)
    invitee = sign_in(open_context(PHONE), bankchat, AUDITOR)
    team = f"Audit desk {uuid.uuid4().hex[:6]}"
    owner.get_by_role("link", name="Teams").click()
    owner.get_by_label("New team name").fill(team)
    owner.get_by_role("button", name="Create team").click()
    expect(owner.get_by_role("heading", name=team)).to_be_visible()

    nobody = new_email("nowhere.example")
    for email in (AUDITOR, nobody):  # the same answer, whether or not the email has an account
        owner.get_by_label("Invite by email").fill(email)
        owner.get_by_role("button", name="Invite", exact=True).click()
        expect(owner.get_by_role("status")).to_have_text(f"Invitation sent to {email}.")
    pending = owner.get_by_role("list", name="Pending invitations")
    expect(pending.get_by_role("listitem")).to_have_count(2)
    pending.get_by_role("button", name=f"Cancel the invitation for {nobody}").click()
    expect(pending.get_by_text(nobody, exact=True)).to_have_count(0)
    screenshot(owner, "team-invited-desktop")

    invitee.get_by_role("button", name=re.compile("^Notifications")).click()
    panel = invitee.get_by_role("region", name="Notifications")
    panel.get_by_role("link", name=INVITED_TITLE).first.click()
    expect(invitee).to_have_url(bankchat.url + "/teams")
    expect(panel).to_have_count(0)
    for_you = invitee.get_by_role("region", name="Invitations for you")
    expect(for_you).to_contain_text(team)
    assert_fits(invitee)
    screenshot(invitee, "team-invitation-phone")
    for_you.get_by_role("button", name=f"Accept the invitation to {team}").click()
    expect(invitee.get_by_role("heading", name=team)).to_be_visible()
    expect(invitee.get_by_role("button", name=team)).to_have_attribute("aria-pressed", "true")

    expect(owner.get_by_text(f"{AUDITOR} (member)")).to_be_visible()
    expect(pending).to_have_count(0)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_people_page_fits_the_window_and_reads_well_in_both_themes(
    bankchat, open_context, width
):
    page = sign_in(open_context(DESKTOP if width == "desktop" else PHONE), bankchat, ADMIN)
    invite(page, new_email(), ["auditor"])
    assert not unnamed_elements(page), unnamed_elements(page)
    for theme in ("light", "dark"):
        if page.locator("html").get_attribute("data-theme") != theme:
            page.get_by_role("button", name=f"Switch to {theme} theme").click()
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
        assert_fits(page)
        assert_readable(page, f"people, {theme}")
        screenshot(page, f"people-{width}-{theme}")
    page.locator("main").evaluate("main => main.scrollTo(0, main.scrollHeight)")
    screenshot(page, f"people-accounts-{width}")
    page.get_by_role("button", name="Switch to light theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
