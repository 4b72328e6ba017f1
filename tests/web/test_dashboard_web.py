"""The livebase dashboard at /_dashboard in Chromium, against a real ``livebase serve`` of the
notes test app (tests/web/dashboard_support.py): signing in with the admin key (and a wrong
one refused clearly), each page doing its job (data, functions, logs, scheduled jobs and
crons, files, environment variables, health), desktop and phone widths with screenshots under
test-artifacts/web/dashboard-*.png, and accessibility on every page in the light and the dark
theme (names, contrast, heading order, the keyboard with the focus drawn)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.web.accessibility_support import (
    contrast_failures,
    describe_contrast,
    tab_to,
    unnamed_elements,
    unringed,
)
from tests.web.conftest import ARTIFACTS, DESKTOP, PHONE, build_web
from tests.web.dashboard_support import DASHBOARD_BUILD, Deployment, start_deployment

pytestmark = pytest.mark.slow

WRONG_KEY = "That admin key is not this deployment's."
PAGES = ["Data", "Functions", "Logs", "Scheduled", "Files", "Environment", "Health"]
HOUR_MS = 3_600_000

HEADING_LEVELS = """
() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
  .filter((h) => h.checkVisibility())
  .map((h) => [Number(h.tagName[1]), h.textContent.trim().slice(0, 40)])
"""

PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The notes app served on a fresh database, with the dashboard built."""
    build_web()
    assert (DASHBOARD_BUILD / "index.html").is_file(), "scripts/build-web built no dashboard"
    running = start_deployment(tmp_path_factory.mktemp("dashboard"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts a test opens; closed after it."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def open_page(
    chromium: Browser,
    contexts: list[BrowserContext],
    viewport: dict[str, int] = DESKTOP,
    theme: str = "light",
) -> Page:
    context = chromium.new_context(viewport=viewport, color_scheme=theme)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    contexts.append(context)
    return context.new_page()


def sign_in(page: Page, deployment: Deployment, path: str = "") -> Page:
    page.goto(deployment.dashboard + path)
    page.get_by_label("Admin key").fill(deployment.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    return page


def signed_in(
    chromium: Browser,
    contexts: list[BrowserContext],
    deployment: Deployment,
    viewport: dict[str, int] = DESKTOP,
    theme: str = "light",
) -> Page:
    return sign_in(open_page(chromium, contexts, viewport, theme), deployment)


def show(page: Page, name: str) -> None:
    """Go to a page of the dashboard through its navigation."""
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(re.compile("^Loading"))).to_have_count(0)


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def open_table(page: Page, table: str) -> Locator:
    """Show a table on the Data page; its documents region."""
    show(page, "Data")
    page.get_by_role("link", name=re.compile(rf"^{re.escape(table)} \d")).click()
    expect(page.get_by_role("heading", level=2, name=table, exact=True)).to_be_visible()
    return page.get_by_role("region", name=f"Documents of {table}")


def expect_count(page: Page, table: str, count: int) -> None:
    """The table list shows ``count`` documents for ``table``."""
    link = page.get_by_role("link", name=re.compile(rf"^{re.escape(table)} \d"))
    expect(link.locator(".count")).to_have_text(f"{count} document{'' if count == 1 else 's'}")


def document_field(page: Page) -> Locator:
    """The JSON of the document being inserted or edited."""
    return page.get_by_role("textbox", name=re.compile("^Document"))


def confirm(page: Page, question: str, action: str) -> None:
    page.get_by_role("group", name=question).get_by_role("button", name=action, exact=True).click()


def open_runner(page: Page, path: str) -> Locator:
    """The Functions page with ``path``'s runner open; the function's card."""
    show(page, "Functions")
    page.get_by_label("Find a function").fill(path)
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=path, exact=True)
    )
    card.get_by_role("button", name=f"Run {path}").click()
    return card


def run_function(page: Page, path: str, args: str, claims: str | None = None) -> Locator:
    """Run a function from the Functions page; its result."""
    card = open_runner(page, path)
    card.get_by_label("Arguments").fill(args)
    if claims is not None:
        card.get_by_label("A user").check()
        card.get_by_label("User identity").fill(claims)
    card.get_by_role("button", name=re.compile("^Run (query|mutation|action)$")).click()
    result = card.get_by_role("status", name="Result")
    expect(result).to_be_visible()
    return result


def heading_problems(page: Page) -> list[str]:
    """Headings that skip a level, and a page without exactly one h1."""
    levels: list[list[Any]] = page.evaluate(HEADING_LEVELS)
    problems = []
    if [level for level, _ in levels].count(1) != 1:
        problems.append(f"{len(levels)} headings, h1 count != 1: {levels}")
    for (before, _), (level, text) in itertools.pairwise(levels):
        if level > before + 1:
            problems.append(f"h{level} {text!r} follows h{before}")
    return problems


# --- signing in ---------------------------------------------------------------------------


def test_wrong_admin_key_is_refused_clearly_and_the_right_one_signs_in(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = open_page(chromium, contexts)
    page.goto(deployment.dashboard)
    expect(page.get_by_role("heading", name="livebase dashboard")).to_be_visible()
    expect(page.get_by_label("Admin key")).to_be_focused()
    page.get_by_label("Admin key").fill("livebase|not-this-deployments-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(WRONG_KEY)
    expect(page.get_by_role("navigation", name="Pages")).to_have_count(0)
    assert not unnamed_elements(page)
    shoot(page, "sign-in-refused")

    page.get_by_label("Admin key").fill(deployment.admin_key)
    page.get_by_label("Admin key").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data")
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    # the key is kept for the tab: a reload stays signed in, on the page it was on
    show(page, "Health")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Health")
    assert page.evaluate("() => Object.values(sessionStorage)") == [deployment.admin_key]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Admin key")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0
    page.reload()
    expect(page.get_by_label("Admin key")).to_be_visible()


def test_a_stored_key_the_server_no_longer_takes_signs_out_with_the_reason(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = open_page(chromium, contexts)
    page.goto(deployment.dashboard)
    page.evaluate(
        "() => sessionStorage.setItem('livebase-dashboard-admin-key', 'livebase|stale-key')"
    )
    page.reload()
    expect(page.get_by_role("alert")).to_have_text(WRONG_KEY)
    expect(page.get_by_label("Admin key")).to_be_visible()


# --- data ---------------------------------------------------------------------------------


def test_data_inserts_lists_counts_edits_and_deletes_a_note(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = signed_in(chromium, contexts, deployment)
    documents = open_table(page, "notes")
    before = len(deployment.run("notes:list_all"))
    expect_count(page, "notes", before)

    page.get_by_role("button", name="Insert document").click()
    editor = document_field(page)
    expect(editor).to_be_focused()
    expect(editor).to_have_value(re.compile(r'"author": ""'))  # a skeleton from the schema
    editor.fill('{"author": "dash", "body": "written in the dashboard", "tags": ["a", "b"]}')
    page.get_by_role("button", name="Insert", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Inserted document")).to_be_visible()
    row = documents.get_by_role("row").filter(has_text="written in the dashboard")
    expect(row).to_have_count(1)
    expect(row).to_contain_text('["a","b"]')
    expect_count(page, "notes", before + 1)
    assert [n["body"] for n in deployment.run("notes:by_author", {"author": "dash"})] == [
        "written in the dashboard"
    ]

    # a document the schema refuses: the server's words, and the input kept
    page.get_by_role("button", name="Insert document").click()
    refused = '{"author": 42, "body": "wrong type"}'
    document_field(page).fill(refused)
    page.get_by_role("button", name="Insert", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("does not match the schema")
    expect(alert).to_contain_text("author")
    expect(document_field(page)).to_have_value(refused)
    shoot(page, "data-refused-insert")
    page.get_by_role("button", name="Cancel").click()
    expect_count(page, "notes", before + 1)

    # edit it as JSON
    note_id = deployment.run("notes:by_author", {"author": "dash"})[0]["_id"]
    row.get_by_role("button", name=f"Edit document {note_id}").click()
    expect(page.get_by_role("heading", name=f"Edit document {note_id}")).to_be_visible()
    editor = document_field(page)
    expect(editor).to_have_value(re.compile("written in the dashboard"))
    editor.fill('{"author": "dash", "body": "edited in the dashboard"}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text=f"Saved document {note_id}")).to_be_visible()
    expect(documents.get_by_role("row").filter(has_text="edited in the dashboard")).to_have_count(1)
    assert deployment.run("notes:by_author", {"author": "dash"})[0]["body"] == (
        "edited in the dashboard"
    )

    # delete it, after a confirmation that can be declined
    row = documents.get_by_role("row").filter(has_text=note_id)
    row.get_by_role("button", name=f"Delete document {note_id}").click()
    expect(row.get_by_role("button", name="Cancel")).to_be_focused()
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)
    row.get_by_role("button", name=f"Delete document {note_id}").click()
    confirm(page, "Delete this document?", "Delete")
    expect(documents.get_by_role("row").filter(has_text=note_id)).to_have_count(0)
    expect_count(page, "notes", before)
    assert deployment.run("notes:by_author", {"author": "dash"}) == []


def test_data_filters_by_field_picks_an_index_and_orders(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    for author, body, score in [
        ("ada", "ada first", 1),
        ("bea", "bea low", 2),
        ("ada", "ada second", 5),
        ("bea", "bea high", 9),
    ]:
        deployment.run("notes:add_note", {"author": author, "body": body, "score": score})
    page = signed_in(chromium, contexts, deployment)
    documents = open_table(page, "notes")
    bodies = documents.locator("tbody tr td:nth-child(4)")  # actions, _id, author, body

    page.get_by_label("Filter field").fill("author")
    page.get_by_label("Operator").select_option("eq")
    page.get_by_label("Value").fill('"ada"')
    page.get_by_role("button", name="Add filter").click()
    expect(bodies).to_have_text(["ada second", "ada first"])  # newest first
    page.get_by_label("Order").select_option("asc")
    expect(bodies).to_have_text(["ada first", "ada second"])

    page.get_by_label("Filter field").fill("score")
    page.get_by_label("Operator").select_option("gt")
    page.get_by_label("Value").fill("3")
    page.get_by_role("button", name="Add filter").click()
    expect(bodies).to_have_text(["ada second"])
    filters = page.get_by_role("list", name="Filters in use")
    expect(filters.get_by_role("listitem")).to_have_text(
        [re.compile(r'author = "?ada"?'), re.compile("score > 3")]
    )

    # not JSON: said so, nothing applied
    page.get_by_label("Value").fill("bea")
    page.get_by_role("button", name="Add filter").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid JSON")
    expect(filters.get_by_role("listitem")).to_have_count(2)

    for text in ["author", "score"]:
        filters.get_by_role("button", name=re.compile(f"^Remove filter {text}")).click()
    expect(page.get_by_role("list", name="Filters in use")).to_have_count(0)

    page.get_by_label("Index").select_option("by_author_score")
    page.get_by_label("author (JSON)").fill('"bea"')
    page.get_by_role("button", name="Apply index values").click()
    expect(bodies).to_have_text(["bea low", "bea high"])  # oldest first: the index's order
    page.get_by_label("Order").select_option("desc")
    expect(bodies).to_have_text(["bea high", "bea low"])
    page.get_by_label("score (JSON)").fill("2")
    page.get_by_role("button", name="Apply index values").click()
    expect(bodies).to_have_text(["bea low"])
    shoot(page, "data-index-desktop")


# --- functions ----------------------------------------------------------------------------


def test_functions_show_validators_and_run_as_admin_or_as_a_user(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = signed_in(chromium, contexts, deployment)
    show(page, "Functions")
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="notes:add_note", exact=True)
    )
    expect(card).to_contain_text("mutation")
    expect(card).to_contain_text("public")
    expect(card).to_contain_text("{ author: string, body: string, score?: number }")
    secret = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="notes:secret", exact=True)
    )
    expect(secret).to_contain_text("internal")
    greeting = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="settings:greeting", exact=True)
    )
    expect(greeting).to_contain_text("Returns")
    expect(greeting.locator("dd").nth(1)).to_have_text("string")

    result = run_function(
        page, "notes:add_note", '{"author": "runner", "body": "run from Functions"}'
    )
    expect(result).to_contain_text("Success")
    expect(result).to_contain_text("as admin")
    [note] = deployment.run("notes:by_author", {"author": "runner"})
    expect(result.locator("pre.value")).to_have_text(f'"{note["_id"]}"')

    result = run_function(page, "chatter:add_loudly", '{"author": "loud"}')
    expect(result.locator(".log-lines")).to_contain_text("[LOG] adding a note for loud")
    expect(result.locator(".log-lines")).to_contain_text("[ERROR] a warning")

    claims = '{"subject": "user1", "email": "a@b.c"}'
    result = run_function(page, "notes:who_am_i", "{}", claims)
    expect(result).to_contain_text("as user user1")
    expect(result.locator("pre.value")).to_contain_text('"subject": "user1"')
    expect(result.locator("pre.value")).to_contain_text('"email": "a@b.c"')

    result = run_function(page, "notes:add_then_fail", '{"author": "nobody"}')
    expect(result).to_contain_text("Error")
    expect(result).to_contain_text('"code": "nope"')
    shoot(page, "functions-result-desktop")

    # arguments that are not JSON are refused before anything runs
    card = open_runner(page, "notes:echo")
    card.get_by_label("Arguments").fill("{value: 1}")
    card.get_by_role("button", name="Run query").click()
    expect(card.get_by_role("alert")).to_contain_text("not valid JSON")


# --- logs ---------------------------------------------------------------------------------


def test_logs_stream_new_runs_with_their_lines_and_filter_them(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = signed_in(chromium, contexts, deployment)
    show(page, "Logs")
    expect(page.get_by_text("Following new runs")).to_be_visible()
    runs = page.get_by_role("list", name="Function runs, newest first").get_by_role("listitem")

    author = f"logged-{time.monotonic_ns()}"
    deployment.run("chatter:count_by", {"author": author})  # a run after the page opened
    counted = runs.filter(has_text=f"counted 0 notes by {author}")
    expect(counted).to_have_count(1)
    expect(counted).to_contain_text("chatter:count_by")
    expect(counted).to_contain_text("success")

    response = httpx.post(
        f"{deployment.url}/api/function",
        json={"path": "notes:crash", "args": {}, "format": "json"},
    )
    assert response.json()["status"] == "error"
    failed = runs.filter(has_text="notes:crash").first
    expect(failed).to_contain_text("failure")
    expect(failed.locator(".log-error")).to_contain_text("internal detail")  # admins see it

    page.get_by_label("Status").select_option("failure")
    expect(runs.filter(has_text="chatter:count_by")).to_have_count(0)
    expect(runs.filter(has_text="notes:crash").first).to_be_visible()
    page.get_by_label("Status").select_option("")
    page.get_by_label("Function path contains").fill("chatter:")
    expect(runs.filter(has_text="notes:crash")).to_have_count(0)
    expect(counted).to_have_count(1)
    shoot(page, "logs-desktop")

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text(re.compile("^Paused"))).to_be_visible()
    later = f"later-{time.monotonic_ns()}"
    deployment.run("chatter:count_by", {"author": later})
    page.wait_for_timeout(500)
    expect(runs.filter(has_text=later)).to_have_count(0)
    page.get_by_role("button", name="Resume").click()
    expect(runs.filter(has_text=later)).to_have_count(1)  # nothing lost while paused


# --- environment --------------------------------------------------------------------------


def test_environment_adds_changes_and_removes_variables_the_app_reads(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = signed_in(chromium, contexts, deployment)
    show(page, "Environment")

    page.get_by_label("Name").fill("bad name")
    page.get_by_label("Value").fill("x")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid environment variable name")
    expect(page.get_by_label("Name")).to_have_value("bad name")

    page.get_by_label("Name").fill("GREETING")
    page.get_by_label("Value").fill("hello from the dashboard")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status").filter(has_text="Added GREETING")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    row = page.get_by_role("listitem").filter(has_text="GREETING")
    expect(row).to_contain_text("hello from the dashboard")
    shoot(page, "environment-desktop")

    result = run_function(page, "settings:greeting", "{}")
    expect(result.locator("pre.value")).to_have_text('"hello from the dashboard"')

    show(page, "Environment")
    row.get_by_role("button", name="Change GREETING").click()
    value = page.get_by_label("New value of GREETING")
    expect(value).to_be_focused()
    value.fill("changed greeting")
    value.press("Enter")
    expect(row).to_contain_text("changed greeting")
    assert deployment.run("settings:greeting") == "changed greeting"

    row.get_by_role("button", name="Remove GREETING").click()
    confirm(page, "Remove GREETING?", "Remove")
    expect(page.get_by_role("listitem").filter(has_text="GREETING")).to_have_count(0)
    assert deployment.run("settings:greeting") == "(not set)"


# --- scheduled functions and crons --------------------------------------------------------


def test_scheduled_lists_jobs_and_cancels_a_pending_one_and_shows_crons(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    job = deployment.run(
        "jobs:schedule_note", {"author": "later", "body": "in an hour", "delay": HOUR_MS}
    )
    page = signed_in(chromium, contexts, deployment)
    show(page, "Scheduled")
    jobs = page.get_by_role("region", name="Scheduled functions", exact=True)
    row = jobs.get_by_role("row").filter(has_text=job)
    expect(row).to_contain_text("pending")
    expect(row).to_contain_text(re.compile("notes:add_?[Nn]ote"))
    expect(row).to_contain_text('"body":"in an hour"')
    # why: an hour less the moment it took to render: "in 60 min", or "in 1 h" under a second
    expect(row).to_contain_text(re.compile(r"in (60 min|1 h)"))

    crons = page.get_by_role("region", name="Cron jobs", exact=True)
    expect(crons).to_contain_text("nightly tidy")
    expect(crons).to_contain_text("jobs:tidy")
    expect(crons).to_contain_text("30 3 * * *")
    expect(crons.get_by_role("row").nth(1)).to_contain_text("never")
    shoot(page, "scheduled-desktop")

    page.get_by_label("State").select_option("canceled")
    expect(page.get_by_text("No canceled jobs.")).to_be_visible()
    page.get_by_label("State").select_option("pending")
    row.get_by_role("button", name=re.compile("^Cancel ")).click()
    confirm(page, "Cancel this job?", "Cancel job")
    expect(row).to_have_count(0)  # no longer pending
    page.get_by_label("State").select_option("")
    expect(row).to_contain_text("canceled")
    expect(row.get_by_role("button", name=re.compile("^Cancel "))).to_have_count(0)
    assert deployment.run("notes:by_author", {"author": "later"}) == []


# --- files --------------------------------------------------------------------------------


def test_files_lists_uploads_with_a_download_link_and_deletes_one(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    content = b"a file stored through an upload URL\n"
    storage_id = deployment.upload(content, "text/plain")
    page = signed_in(chromium, contexts, deployment)
    show(page, "Files")
    row = page.get_by_role("row").filter(has_text=storage_id)
    expect(row).to_contain_text("text/plain")
    expect(row).to_contain_text(f"{len(content)} B")
    uploaded = row.get_by_role("cell").nth(3)  # the date, with the year in its title
    expect(uploaded).to_have_attribute("title", re.compile(str(time.localtime().tm_year)))
    link = row.get_by_role("link", name=f"Download file {storage_id}")
    href = link.get_attribute("href")
    assert href
    assert httpx.get(href).content == content
    shoot(page, "files-desktop")

    row.get_by_role("button", name=f"Delete file {storage_id}").click()
    confirm(page, "Delete this file?", "Delete")
    expect(row).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text=f"Deleted file {storage_id}")).to_be_visible()
    assert httpx.get(href).status_code == 404


# --- health -------------------------------------------------------------------------------


def test_health_shows_connections_and_refreshes(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = signed_in(chromium, contexts, deployment)
    show(page, "Health")

    def figure(label: str) -> Locator:
        term = page.locator("dt").filter(has_text=re.compile(f"^{label}$"))
        return page.locator(".figure").filter(has=term).locator(".figure-value")

    expect(figure("Connections")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(figure("Live queries")).to_have_text(re.compile(r"^\d+$"))
    expect(figure("Uptime")).to_have_text(re.compile(r"\d+ (s|min|h|d)"))

    def connections() -> int:
        return int(figure("Connections").inner_text().replace(",", ""))

    def settles(check: Any, timeout: float = 8.0) -> int:
        """The Connections figure once ``check`` holds for it (it refreshes every 2 s)."""
        deadline = time.monotonic() + timeout
        while not check(now := connections()):
            assert time.monotonic() < deadline, f"Connections stayed at {now}"
            page.wait_for_timeout(200)
        return now

    alone = connections()
    second = signed_in(chromium, contexts, deployment)  # one more connection
    together = settles(lambda n: n > alone)
    second.context.close()
    contexts.remove(second.context)
    settles(lambda n: n < together)

    updated = page.get_by_text(re.compile("updated")).inner_text()
    expect(page.get_by_text(re.compile("updated"))).not_to_have_text(updated, timeout=6_000)
    shoot(page, "health-desktop")


# --- widths, themes and accessibility -----------------------------------------------------


def stock(deployment: Deployment) -> None:
    """Something on every page: a note, a pending job, a file, a variable, a failed run."""
    deployment.run("notes:add_note", {"author": "stock", "body": "a note on show", "score": 3})
    deployment.run("jobs:schedule_note", {"author": "stock", "body": "later", "delay": HOUR_MS})
    deployment.upload(b"stocked", "text/plain")
    deployment.run("_system/env:set", {"name": "STOCKED", "value": "yes"})
    httpx.post(
        f"{deployment.url}/api/function",
        json={"path": "notes:crash", "args": {}, "format": "json"},
    )


def visit(page: Page, name: str) -> None:
    """Go to a page and wait for what it shows."""
    show(page, name)
    if name == "Logs":
        expect(page.locator(".log-item").first).to_be_visible()
    elif name == "Health":
        expect(page.locator(".figure").first).to_be_visible()
    elif name == "Data":
        page.get_by_role("link", name=re.compile(r"^notes \d")).click()
        expect(page.locator("tbody tr").first).to_be_visible()


def test_every_page_fits_a_phone(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    stock(deployment)
    page = signed_in(chromium, contexts, deployment, viewport=PHONE)
    nav = page.get_by_role("navigation", name="Pages")
    for name in PAGES:
        expect(nav.get_by_role("link", name=name)).to_be_in_viewport()
    overflowing = {}
    for name in PAGES:
        visit(page, name)
        if name == "Functions":
            open_runner(page, "notes:add_note")
        shoot(page, f"{name.lower()}-phone")
        overflow = page.evaluate(PAGE_OVERFLOW)
        if overflow > 0:
            overflowing[name] = overflow
    assert not overflowing, f"pages wider than the phone (px): {overflowing}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_is_named_readable_and_ordered(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment, theme: str
) -> None:
    stock(deployment)
    page = open_page(chromium, contexts, theme=theme)
    page.goto(deployment.dashboard)
    page.get_by_label("Admin key").fill("livebase|wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    contrast = {"sign-in": contrast_failures(page)}
    names = {"sign-in": unnamed_elements(page)}
    headings = {"sign-in": heading_problems(page)}
    shoot(page, f"sign-in-{theme}")
    sign_in(page, deployment)

    for name in PAGES:
        visit(page, name)
        if name == "Data":
            page.get_by_role("button", name="Insert document").click()
            document_field(page).fill('{"author": 1}')
            page.get_by_role("button", name="Insert", exact=True).click()
            expect(page.get_by_role("alert")).to_be_visible()
            page.get_by_role("button", name=re.compile("^Delete document")).first.click()
        elif name == "Functions":
            result = run_function(page, "notes:add_then_fail", '{"author": "x"}')
            expect(result).to_contain_text("Error")
            run_function(page, "chatter:add_loudly", '{"author": "x"}', '{"subject": "u"}')
        elif name == "Scheduled":
            expect(page.locator(".badge.state-pending").first).to_be_visible()
        elif name == "Files":
            page.get_by_role("button", name=re.compile("^Delete file")).first.click()
        contrast[name] = contrast_failures(page)
        names[name] = unnamed_elements(page)
        headings[name] = heading_problems(page)
        shoot(page, f"{name.lower()}-desktop-{theme}")

    assert not any(contrast.values()), "text below WCAG AA contrast:\n" + describe_contrast(
        contrast
    )
    assert not any(names.values()), names
    assert not any(headings.values()), headings


def test_the_dashboard_works_from_the_keyboard_with_the_focus_drawn(
    chromium: Browser, contexts: list[BrowserContext], deployment: Deployment
) -> None:
    page = open_page(chromium, contexts)
    page.goto(deployment.dashboard)
    expect(page.get_by_label("Admin key")).to_be_focused()
    page.keyboard.type(deployment.admin_key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data")

    stops = tab_to(page, "nav a[href$='/functions']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Functions")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    stops += tab_to(page, "input[type=search]")
    page.keyboard.type("counters:increment")
    stops += tab_to(page, "button[aria-label='Run counters:increment']")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Arguments")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type('{"name": "keyboard"}')
    stops += tab_to(page, "button.primary")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status", name="Result")).to_contain_text("Success")
    assert deployment.run("counters:get", {"name": "keyboard"}) == 1

    stops += tab_to(page, "nav a[href$='/data']", key="Shift+Tab", limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data")
    stops += tab_to(page, "a[href$='/data/counters']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="counters")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="keyboard")
    expect(row).to_be_visible()
    stops += tab_to(page, "button[aria-label^='Delete document']")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # declined
    expect(row).to_be_visible()
    assert not unringed(stops), unringed(stops)


def test_the_dashboard_is_served_under_its_base_path(deployment: Deployment) -> None:
    """Every route loads the app (a reload on any page works); assets load from the base."""
    for path in ["", "data/notes", "functions", "health"]:
        response = httpx.get(f"{deployment.dashboard}{path}")
        assert response.status_code == 200
        assert '<div id="root">' in response.text
        assets = re.findall(r'(?:src|href)="(/_dashboard/assets/[^"]+)"', response.text)
        assert assets, response.text
    for asset in assets:
        assert httpx.get(f"{deployment.url}{asset}").status_code == 200
