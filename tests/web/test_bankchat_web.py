"""The bankchat web app (web/bankchat, React + convex/react) in Chromium against a real
``bankchat serve``: sign in, ask, see SQL, rows and charts, refusals with their reasons, live
favorites and notifications across tabs, the audit log and analytics, at desktop and phone
widths. Screenshots of each main page go to test-artifacts/web/."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from bankchat.roles import DEMO_PASSWORD
from tests.web.conftest import ARTIFACTS, DESKTOP, PHONE, Bankchat

pytestmark = pytest.mark.slow

ADMIN, ANALYST, TELLER, AUDITOR = (
    "admin@bank.example",
    "analyst@bank.example",
    "teller@bank.example",
    "auditor@bank.example",
)
GROUPING = "how many clients are there per district"
REFUSED = "show the birth date of clients"
ANSWER_MS = 20_000  # an answer: the NL engine, the guard and the bank query


OpenContext = Callable[..., BrowserContext]


@pytest.fixture
def open_context(chromium: Browser) -> Iterator[OpenContext]:
    """Open browser contexts (tabs with their own storage); after the test they are closed
    and none of their pages may have logged an error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def note_console(kind: str, text: str) -> None:
        # why: Chromium logs every 4xx answer; a refused sign-in is the one the app expects
        if kind == "error" and not (text.startswith("Failed to load resource") and "401" in text):
            errors.append(text)

    def open_one(viewport: dict[str, int] = DESKTOP) -> BrowserContext:
        context = chromium.new_context(viewport=viewport)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        context.on("console", lambda message: note_console(message.type, message.text))
        contexts.append(context)
        return context

    yield open_one
    for context in contexts:
        context.close()
    assert not errors, f"errors in the browser: {errors}"


def sign_in(context: BrowserContext, server: Bankchat, email: str) -> Page:
    """A new tab of the app, signed in as ``email``."""
    page = context.new_page()
    page.goto(server.url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def answers(page: Page) -> Locator:
    return page.get_by_role("article", name="Answer")


def ask(page: Page, question: str) -> Locator:
    """Ask in the chat box (Enter sends); the answer it produced."""
    before = answers(page).count()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    expect(answers(page)).to_have_count(before + 1, timeout=ANSWER_MS)
    return answers(page).last


def unread_label(count: int) -> str:
    return f"Notifications, {count} unread"


def unread(page: Page) -> int:
    label = page.get_by_role("button", name=re.compile(r"^Notifications")).get_attribute(
        "aria-label"
    )
    match = re.search(r"(\d+) unread", label or "")
    assert match, label
    return int(match.group(1))


def assert_fits(page: Page) -> None:
    """No horizontal scrolling of the page itself (wide tables scroll inside their box)."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} is {width}px wide in a {inner}px window"


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"bankchat-{name}.png"
    page.screenshot(path=path, animations="disabled")
    return path


def test_signing_in_with_a_wrong_password_is_refused_and_signing_out_ends_the_session(
    bankchat, open_context
):
    page = open_context().new_page()
    page.goto(bankchat.url)
    screenshot(page, "signin")
    page.get_by_label("Email").fill(ANALYST)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("Anna Analyst")).to_be_visible()
    page.reload()  # the session outlives a reload
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_question_gets_highlighted_sql_sortable_rows_and_a_chart(bankchat, open_context):
    page = sign_in(open_context(), bankchat, ADMIN)
    answer = ask(page, GROUPING)
    expect(page).to_have_url(re.compile(r"/c/[^/]+$"))
    expect(answer.locator("code.hljs .hljs-keyword").first).to_have_text("SELECT")
    expect(answer.locator("canvas[role=img]")).to_be_visible()
    expect(answer.get_by_text("Rows 1\u201320 of 77")).to_be_visible()
    table = answer.locator("table")
    expect(table.locator("tbody tr")).to_have_count(20)

    # the answer says how it was read, in the bank's words, above the rows
    reading = answer.locator("details.interpretation")
    expect(reading).to_contain_text("How this was read")
    expect(reading).to_contain_text("one row per district")
    expect(reading).to_contain_text("district = where the client lives")
    count_header = table.get_by_role("button", name=re.compile("^Number of clients"))
    count_header.click()
    count_header.click()  # descending: the biggest district first
    expect(table.locator("th").last).to_have_attribute("aria-sort", "descending")
    expect(table.locator("tbody tr").first).to_contain_text("Hl.m. Praha")
    answer.get_by_role("button", name="Next").click()
    expect(answer.get_by_text("Rows 21\u201340 of 77")).to_be_visible()

    with page.expect_download() as download:
        answer.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0] == ["District", "Number of clients"] and len(rows) == 78
    assert rows[1] == ["Hl.m. Praha", "663"]  # in the order shown
    assert_fits(page)
    screenshot(page, "grouping-desktop")


def test_edited_sql_runs_again_in_the_same_conversation(bankchat, open_context):
    page = sign_in(open_context(), bankchat, ANALYST)
    ask(page, "number of loans per year")
    url = page.url
    page.get_by_role("button", name="Edit SQL").click()
    editor = page.get_by_label("Edit the SQL (Ctrl+Enter runs it)")
    editor.fill("SELECT status, COUNT(*) AS loans FROM loan GROUP BY status ORDER BY status")
    editor.press("Control+Enter")
    expect(answers(page)).to_have_count(2, timeout=ANSWER_MS)
    latest = answers(page).last
    expect(latest.locator("thead")).to_contain_text("loans")
    expect(latest.locator("tbody tr")).to_have_count(4)
    expect(latest.locator("canvas")).to_be_visible()  # a grouping: a bar chart
    assert page.url == url


def test_a_refused_query_says_why_and_one_not_understood_says_so(bankchat, open_context):
    page = sign_in(open_context(), bankchat, TELLER)
    refused = ask(page, REFUSED)
    expect(refused.get_by_role("alert")).to_contain_text("Query refused")
    expect(refused.get_by_role("alert")).to_contain_text(
        "Not allowed: your role (teller) may not read the client's birth date"
    )
    expect(refused.locator("table")).to_have_count(0)
    # without the forbidden column the teller's list works, and says what was left out
    listed = ask(page, "list clients")
    expect(listed.locator("thead")).to_contain_text("Home district")
    expect(listed.locator("thead")).not_to_contain_text("Birth date")
    expect(listed.locator("details.interpretation")).to_contain_text("left out client.birth_date")
    expect(listed.get_by_role("list", name="Before you rely on this answer")).to_contain_text(
        "your branch"
    )
    puzzled = ask(page, "what will the weather be tomorrow")
    expect(puzzled.get_by_role("alert")).to_contain_text("Not understood")
    assert_fits(page)
    screenshot(page, "refused-desktop")


def test_favorites_and_notifications_are_live_across_tabs(bankchat, open_context):
    first = sign_in(open_context(), bankchat, TELLER)
    second = sign_in(open_context(), bankchat, TELLER)
    second.evaluate("window.__sameDocument = true")
    name = f"Loans per year {uuid.uuid4().hex[:6]}"

    answer = ask(first, "number of loans per year")
    answer.get_by_role("button", name="Save as favorite").click()
    answer.get_by_label("Favorite name").fill(name)
    answer.get_by_label("Tags (comma-separated)").fill("loans, yearly")
    answer.get_by_role("button", name="Save favorite").click()
    favorite = second.get_by_test_id("favorites").get_by_text(name)
    expect(favorite).to_be_visible()
    expect(first.get_by_test_id("favorites").get_by_text(name)).to_be_visible()

    before = unread(second)
    ask(first, REFUSED)  # a refusal notifies the user
    expect(second.get_by_role("button", name=unread_label(before + 1))).to_be_visible()
    second.get_by_role("button", name=unread_label(before + 1)).click()
    panel = second.get_by_role("region", name="Notifications")
    expect(panel.get_by_text("A query was refused").first).to_be_visible()
    panel.get_by_role("button", name="Mark all read").click()
    expect(first.get_by_role("button", name=unread_label(0))).to_be_visible()

    second.get_by_role("button", name=f"Run {name}").click()
    expect(second).to_have_url(re.compile(r"/c/[^/]+$"))
    expect(answers(second).last.locator("tbody tr").first).to_be_visible(timeout=ANSWER_MS)
    assert second.evaluate("window.__sameDocument === true"), "the tab was reloaded"


def test_conversations_are_renamed_and_deleted_live(bankchat, open_context):
    page = sign_in(open_context(), bankchat, ANALYST)
    other = sign_in(open_context(), bankchat, ANALYST)
    title = "number of accounts per district region"
    ask(page, title)
    sidebar = other.get_by_role("complementary", name="Conversations and favorites")
    expect(sidebar.get_by_role("link", name=title)).to_be_visible()

    page.get_by_role("button", name=f"Rename {title}").click()
    page.get_by_label(f"New title for {title}").fill("Accounts")
    page.keyboard.press("Enter")
    expect(sidebar.get_by_role("link", name="Accounts", exact=True)).to_be_visible()

    other.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("button", name="Delete Accounts").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page).to_have_url(bankchat.url + "/")
    expect(other.get_by_role("heading", name="Conversation deleted")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Accounts", exact=True)).to_have_count(0)


def test_history_pages_through_past_queries_and_reruns_one(bankchat, open_context):
    page = sign_in(open_context(), bankchat, ANALYST)
    ask(page, "number of clients per district region")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Query history")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="number of clients per district region").first
    expect(row).to_contain_text("Answered")
    row.get_by_role("button", name="Run again").click()
    expect(page).to_have_url(re.compile(r"/c/[^/]+$"))
    expect(answers(page).last.locator("tbody tr").first).to_be_visible(timeout=ANSWER_MS)


def test_a_query_shared_with_a_team_notifies_its_members(bankchat, open_context):
    owner = sign_in(open_context(), bankchat, ANALYST)
    member = sign_in(open_context(), bankchat, ADMIN)
    team = f"Risk {uuid.uuid4().hex[:6]}"
    owner.get_by_role("link", name="Teams").click()
    owner.get_by_label("New team name").fill(team)
    owner.get_by_role("button", name="Create team").click()
    expect(owner.get_by_role("heading", name=team)).to_be_visible()
    owner.get_by_label("Invite by email").fill(ADMIN)
    owner.get_by_role("button", name="Invite", exact=True).click()
    expect(owner.get_by_text(f"Invitation sent to {ADMIN}.")).to_be_visible()
    # joining takes the invitee's consent
    member.get_by_role("link", name="Teams").click()
    member.get_by_role("button", name=f"Accept the invitation to {team}").click()
    expect(member.get_by_role("button", name=team, exact=True)).to_be_visible()
    expect(owner.get_by_text(ADMIN).first).to_be_visible()  # a member now
    member.get_by_role("link", name="Chat", exact=True).click()

    before = unread(member)
    owner.get_by_role("link", name="Chat", exact=True).click()
    answer = ask(owner, "average loan amount per loan status")
    answer.get_by_role("button", name="Share with a team").click()
    answer.get_by_label("Team", exact=True).select_option(label=team)
    answer.get_by_label("Name for the team").fill("Loan amounts by status")
    answer.get_by_role("button", name="Share", exact=True).click()
    expect(answer.get_by_role("status")).to_contain_text(f"Shared with {team}")

    expect(member.get_by_role("button", name=unread_label(before + 1))).to_be_visible()
    member.get_by_role("link", name="Teams").click()
    member.get_by_role("button", name=team, exact=True).click()
    expect(member.get_by_text("Loan amounts by status")).to_be_visible()


def test_the_auditor_filters_the_audit_log_by_user_table_and_verdict(bankchat, open_context):
    page = sign_in(open_context(), bankchat, AUDITOR)
    ask(page, "number of accounts per district region")
    ask(page, REFUSED)  # the auditor may not read client
    ask(page, "what will the weather be tomorrow")
    page.get_by_role("link", name="Audit log").click()
    log = page.get_by_role("table", name="Audit entries")
    expect(log.get_by_text(AUDITOR).first).to_be_visible()

    page.get_by_label("User email").fill(AUDITOR)
    page.get_by_label("Table").select_option("account")
    page.get_by_role("button", name="Apply filters").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr")).to_contain_text("Answered")
    expect(log.locator("tbody tr")).to_contain_text("account, district")
    # where from, as the server saw the connection
    expect(log.locator("tbody tr")).to_contain_text("127.0.0.1")
    expect(log.locator("tbody tr")).to_contain_text("Chrome")

    page.get_by_label("Table").select_option("")
    page.get_by_label("Refused only").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr")).to_contain_text(REFUSED)
    expect(log.locator("tbody tr")).to_contain_text("may not read")

    page.get_by_label("Refused only").uncheck()
    page.get_by_label("Outcome").select_option("not_understood")
    page.get_by_role("button", name="Apply filters").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr")).to_contain_text("Not understood")
    page.get_by_label("Outcome").select_option("")
    page.get_by_label("IP address").fill("10.0.0.1")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No entries match.")).to_be_visible()
    page.get_by_label("IP address").fill("")

    page.get_by_label("From").fill("2001-01-01T00:00")
    page.get_by_label("Until").fill("2001-12-31T00:00")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No entries match.")).to_be_visible()
    page.get_by_role("button", name="Clear").click()
    expect(log.locator("tbody tr").first).to_be_visible()
    assert_fits(page)

    # words in the question, the SQL or the reason, marked where they matched (others asked
    # about the weather too: this auditor's question is the one)
    page.get_by_label("Words").fill("weather tomorr")
    page.get_by_label("User email").fill(AUDITOR)
    page.get_by_role("button", name="Apply filters").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    question_cell = log.locator("tbody tr td").nth(3)
    expect(question_cell.locator("mark")).to_have_text(["weather", "tomorrow"])


def test_only_admins_see_analytics_and_only_auditors_the_audit_log(bankchat, open_context):
    analyst = sign_in(open_context(), bankchat, ANALYST)
    nav = analyst.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="History")).to_be_visible()
    expect(nav.get_by_role("link", name="Analytics")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    analyst.goto(bankchat.url + "/analytics")
    expect(analyst.get_by_text("Your role does not include analytics.")).to_be_visible()

    admin = sign_in(open_context(), bankchat, ADMIN)
    ask(admin, GROUPING)
    admin.get_by_role("link", name="Analytics").click()
    expect(admin.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(admin.locator("canvas[role=img]")).to_have_count(3)
    expect(admin.get_by_role("figure").filter(has_text="Most-queried tables")).to_be_visible()
    expect(admin.get_by_role("list", name="Popular questions")).to_contain_text(GROUPING)


def test_the_theme_preference_follows_the_user(bankchat, open_context):
    page = sign_in(open_context(), bankchat, AUDITOR)
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "light")
    page.get_by_role("button", name="Switch to dark theme").click()
    expect(html).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 28)"
    elsewhere = sign_in(open_context(), bankchat, AUDITOR)  # saved with the user, not the tab
    expect(elsewhere.locator("html")).to_have_attribute("data-theme", "dark")
    expect(html).to_have_attribute("data-theme", "dark")
    elsewhere.get_by_role("button", name="Switch to light theme").click()
    expect(html).to_have_attribute("data-theme", "light")  # live in the other tab too


PAGES = [
    ("chat", "/", "Ask the bank's data"),
    ("history", "/history", "Query history"),
    ("teams", "/teams", "Teams"),
    ("audit", "/audit", "Audit log"),
    ("analytics", "/analytics", "Analytics"),
]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_page_fits_the_window_in_both_themes(bankchat, open_context, width):
    viewport = DESKTOP if width == "desktop" else PHONE
    page = sign_in(open_context(viewport), bankchat, ADMIN)
    ask(page, "number of loans per year")
    for theme in ("light", "dark"):
        if page.locator("html").get_attribute("data-theme") != theme:
            page.get_by_role("button", name=f"Switch to {theme} theme").click()
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
        assert_fits(page)
        screenshot(page, f"answer-{width}-{theme}")
    page.get_by_role("button", name="Switch to light theme").click()
    for name, path, heading in PAGES:
        page.goto(bankchat.url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.get_by_text("Loading…")).to_have_count(0)
        assert_fits(page)
        screenshot(page, f"{name}-{width}")
    if width == "phone":
        menu = page.get_by_role("button", name="Conversations and favorites")
        menu.click()
        expect(page.get_by_role("link", name="New chat")).to_be_focused()
        assert_fits(page)
        screenshot(page, "sidebar-phone")
        page.keyboard.press("Escape")
        expect(page.get_by_role("link", name="New chat")).to_be_hidden()
        expect(menu).to_be_focused()


def test_a_wrong_answer_goes_to_review_and_its_correction_answers_the_team(bankchat, open_context):
    question = f"How many loans were granted in 1994? ({uuid.uuid4().hex[:4]})"
    analyst = sign_in(open_context(), bankchat, ANALYST)
    answer = ask(analyst, question)
    answer.get_by_role("button", name="Wrong answer?").click()
    answer.get_by_label("What is wrong? (optional)").fill("I meant loans still running")
    answer.get_by_role("button", name="Send for review").click()
    expect(answer.get_by_text("Reported as wrong")).to_be_visible()

    admin = sign_in(open_context(), bankchat, ADMIN)
    admin.get_by_role("link", name="Reviews").click()
    report = admin.get_by_role("listitem", name=f"Report: {question}")
    expect(report).to_contain_text("I meant loans still running")
    screenshot(admin, "reviews-open-desktop")
    corrected = (
        "SELECT COUNT(*) FROM loan WHERE status IN ('C', 'D') "
        "AND date >= '1994-01-01' AND date < '1995-01-01'"
    )
    report.get_by_label("Corrected SQL").fill("DELETE FROM loan")
    report.get_by_role("button", name="Save correction").click()
    expect(report.get_by_role("alert")).to_contain_text("does not run")
    report.get_by_label("Corrected SQL").fill(corrected)
    report.get_by_role("button", name="Save correction").click()
    expect(report).to_have_count(0)
    screenshot(admin, "reviews-desktop")

    again = ask(analyst, question)
    expect(again.locator("details.interpretation")).to_contain_text("team example")
    expect(again.locator("code.hljs")).to_contain_text("'C'")


def test_an_ambiguous_question_offers_both_readings(bankchat, open_context):
    page = sign_in(open_context(), bankchat, ANALYST)
    asked = ask(page, "How many clients with accounts in Prague?")
    choices = asked.get_by_role("group", name="Which did you mean?")
    expect(choices.get_by_role("button")).to_have_count(2)
    screenshot(page, "ambiguous-desktop")
    choices.get_by_role("button", name="clients living in Prague").click()
    expect(answers(page)).to_have_count(2, timeout=ANSWER_MS)
    chosen = answers(page).last
    expect(chosen.locator("code.hljs")).to_contain_text("client.district_id")
    expect(chosen.locator("tbody tr")).to_have_count(1)


def test_searching_my_questions_sql_and_favorites_is_live_and_marks_the_words(
    bankchat, open_context
):
    context = open_context()
    page = sign_in(context, bankchat, ANALYST)
    other_tab = context.new_page()  # a second tab of the same browser: already signed in
    other_tab.goto(bankchat.url)
    expect(other_tab.get_by_role("button", name="Sign out")).to_be_visible()
    ask(page, "How many loans were granted to accounts of the Benesov branch?")
    search = other_tab.get_by_role("search")
    search.get_by_role("searchbox").fill("benesov")
    sidebar = other_tab.get_by_role("complementary")
    question = sidebar.get_by_role("link", name=re.compile("Benesov branch"))
    expect(question).to_be_visible()
    expect(question.locator("mark")).to_have_text(["Benesov"])
    # the lists give way to the results while searching
    expect(sidebar.get_by_role("heading", name="Conversations")).to_have_count(0)
    # asked in the other tab meanwhile: it shows up in the open search, live
    ask(page, "Average loan amount in Benesov")
    expect(sidebar.get_by_role("link", name="Average loan amount in Benesov")).to_be_visible()
    screenshot(other_tab, "search")
    question.click()
    expect(other_tab).to_have_url(re.compile(r"/c/"))
    expect(answers(other_tab).first).to_be_visible()
    search.get_by_role("searchbox").fill("")
    expect(sidebar.get_by_role("heading", name="Conversations")).to_be_visible()
