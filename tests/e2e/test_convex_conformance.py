"""Behaviours Convex's own integration tests assert, held through the official Python client
against a real server. Each test is named after the Convex behaviour it keeps.

File storage: tests/e2e/test_convex_storage.py; pagination: test_convex_pagination.py; HTTP
actions with an Authorization header that is not a valid token:
tests/services/test_http_actions.py."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from convex import ConvexClient, ConvexError

from tests.e2e.conftest import APPS, free_port, start_process, start_server, stop_process
from tests.e2e.test_node_client import NODE, NODE_DIR, run_step


@pytest.fixture
def client(server):
    return ConvexClient(server.url)


def error_of(call) -> str:
    with pytest.raises(Exception, match=r".") as failed:  # the message is what is checked
        call()
    return str(failed.value)


def test_an_internal_function_called_from_outside_reads_as_a_missing_one(client):
    internal = error_of(lambda: client.query("notes:secret"))
    missing = error_of(lambda: client.query("notes:nothingHere"))
    assert "Could not find public function for 'notes:secret'." in internal
    assert "Could not find public function for 'notes:nothingHere'." in missing
    # a module's default export is named without ":default", as Convex names it
    default = error_of(lambda: client.query("notARegisteredUdf"))
    assert "Could not find public function for 'notARegisteredUdf'." in default


def test_system_reads_of_user_tables_are_refused(client):
    note = client.mutation("notes:addNote", {"author": "a", "body": "b"})
    assert "User tables can only be accessed from db.query()." in error_of(
        lambda: client.query("conformance:systemQueryOfAUserTable")
    )
    assert "User tables cannot be accessed with db.system." in error_of(
        lambda: client.query("conformance:systemGetOfAUserDocument", {"id": note})
    )


def test_user_reads_of_system_documents_are_refused(client):
    client.mutation("conformance:schedule", {"which": "cancel_myself_action"})
    job = next(j for j in client.query("conformance:jobs"))
    assert "System tables can only be accessed with db.system." in error_of(
        lambda: client.query("conformance:userGetOfASystemDocument", {"id": job["_id"]})
    )


def finished(client, name: str) -> dict:
    deadline = time.monotonic() + 20
    while True:
        jobs = [j for j in client.query("conformance:jobs") if j["name"] == name]
        if jobs and jobs[0]["state"]["kind"] not in ("pending", "inProgress"):
            return jobs[0]
        assert time.monotonic() < deadline, jobs
        time.sleep(0.1)


def test_a_scheduled_action_that_cancels_itself_ends_canceled(client):
    client.mutation("conformance:schedule", {"which": "cancel_myself_action"})
    job = finished(client, "conformance:cancel_myself_action")
    assert job["state"] == {"kind": "canceled"}


def test_a_scheduled_mutation_cannot_cancel_itself(client):
    client.mutation("conformance:schedule", {"which": "cancel_myself_mutation"})
    job = finished(client, "conformance:cancel_myself_mutation")
    assert job["state"]["kind"] == "failed"
    assert "A mutation cannot cancel itself" in job["state"]["error"]


def test_functions_read_where_clients_and_http_actions_reach_the_deployment(tmp_path):
    site_port = free_port()
    served = start_server(APPS / "notes", tmp_path / "data", flags=("--http-port", str(site_port)))
    try:
        urls = ConvexClient(served.url).action("conformance:urls")
        assert urls == {"cloud": served.url, "site": f"http://127.0.0.1:{site_port}"}
    finally:
        served.stop()


REQUEST_ID = r"\[Request ID: [0-9a-f]{16}\] Server Error"


def test_a_production_deployment_hides_a_bugs_message(client):
    message = error_of(lambda: client.query("notes:crash"))
    assert "Server Error" in message and "internal detail" not in message


def test_a_production_deployment_sends_a_convex_errors_data_under_a_request_id(server):
    body = {"path": "conformance:queryThrowingConvexError", "args": {}, "format": "json"}
    answer = httpx.post(f"{server.url}/api/query", json=body, timeout=10).json()
    assert re.fullmatch(REQUEST_ID, answer["errorMessage"])
    assert answer["errorData"] == "Boom boom bop"


@contextlib.contextmanager
def dev_server(app: str, tmp_path) -> Iterator[str]:
    """``livebase dev`` serving a test app; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "livebase", "dev", str(APPS / app), "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "data")]
    process = start_process(command, url, tmp_path / "dev.log")
    try:
        yield url
    finally:
        stop_process(process)


def test_a_dev_deployment_sends_a_bugs_message_and_where_it_was_raised(tmp_path):
    with dev_server("notes", tmp_path) as url:
        message = error_of(lambda: ConvexClient(url).query("notes:crash"))
        assert "Server Error" in message
        assert "Uncaught RuntimeError: internal detail that must not reach clients" in message
        assert "at crash (notes.py:" in message
        body = {"path": "notes:crash", "args": {}, "format": "json"}
        answer = httpx.post(f"{url}/api/query", json=body, timeout=10).json()
        assert "Uncaught RuntimeError" in answer["errorMessage"]

        def error(path: str, kind: str = "query") -> dict:
            body = {"path": path, "args": {}, "format": "json"}
            return httpx.post(f"{url}/api/{kind}", json=body, timeout=10).json()

        # ConvexError: "[Request ID: ...] Server Error\nUncaught ConvexError: ...\n    at ..."
        thrown = error("conformance:queryThrowingConvexError")
        assert re.fullmatch(
            REQUEST_ID + r"\nUncaught ConvexError: Boom boom bop\n"
            r"    at query_throwing_convex_error \(conformance\.py:\d+\)",
            thrown["errorMessage"],
        ), thrown
        assert thrown["errorData"] == "Boom boom bop"
        subclass = error("conformance:queryThrowingConvexErrorSubclass")
        assert re.fullmatch(
            REQUEST_ID + r'\nUncaught FooError: {"message":"Boom boom bop","code":"123n"}\n'
            r"    at query_throwing_convex_error_subclass \(conformance\.py:\d+\)",
            subclass["errorMessage"],
        ), subclass
        assert subclass["errorData"] == {"message": "Boom boom bop", "code": "123"}  # clean JSON
        from_action = error("conformance:actionThrowingConvexError", "action")
        assert "Uncaught ConvexError: Boom boom bop" in from_action["errorMessage"]
        with pytest.raises(ConvexError) as raised:
            ConvexClient(url).query("conformance:queryThrowingConvexError")
        assert raised.value.data == "Boom boom bop"


def test_a_dev_deployment_answers_a_failing_http_action_with_its_code_and_trace(tmp_path):
    with dev_server("services", tmp_path) as url:
        refused = httpx.post(f"{url}/http/refuse", timeout=10)
        assert refused.status_code == 500
        body = refused.json()
        assert re.fullmatch(REQUEST_ID + r": Uncaught ConvexError: .*refused.*", body["code"])
        assert body["trace"].startswith("Uncaught ConvexError: ")
        assert "at refuse (http.py:" in body["trace"]
        assert body["data"] == {"code": "refused"}
        crashed = httpx.post(f"{url}/http/echo", content=b"{not json", timeout=10)
        assert crashed.status_code == 500
        assert re.fullmatch(REQUEST_ID + r": Uncaught JSONDecodeError: .*", crashed.json()["code"])
        assert "data" not in crashed.json()


def test_an_action_that_never_resolves_ends_at_its_time_limit(tmp_path):
    served = start_server(APPS / "notes", tmp_path / "data", flags=("--action-timeout", "1"))
    try:
        started = time.monotonic()
        message = error_of(lambda: ConvexClient(served.url).action("conformance:neverResolves"))
        assert "timed out" in message and time.monotonic() - started < 30
    finally:
        served.stop()


def test_a_server_stops_promptly_while_an_action_never_resolves(tmp_path):
    served = start_server(APPS / "notes", tmp_path / "data")  # the default 600 s action limit
    body = {"path": "conformance:neverResolves", "args": {}, "format": "json"}
    caller = threading.Thread(  # why: httpx, not the Rust client: it gives the GIL back
        target=lambda: httpx.post(f"{served.url}/api/action", json=body, timeout=60),
        daemon=True,
    )
    caller.start()
    time.sleep(1.0)  # the action is running
    started = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    try:
        served.process.wait(timeout=30)
    finally:
        served.stop()
    assert time.monotonic() - started < 15  # the grace period, then the forced exit


@pytest.mark.skipif(
    NODE is None or not (NODE_DIR / "node_modules" / "convex").is_dir(),
    reason="needs node on PATH and tests/e2e/node/node_modules (`npm ci` in tests/e2e/node)",
)
def test_consistent_queries_of_one_http_client_read_at_its_first_timestamp(server):
    obs = run_step(server, "consistent_query.mjs", "consistent_reads")
    assert obs["before"] == ["first"]
    assert obs["after"] == ["first"]  # an insert and an edit since: not seen
    assert obs["afterRemove"] == ["first"]
    assert obs["latest"] == ["first, edited", "second"]
    assert obs["newClient"] == ["first, edited", "second"]


def test_a_failed_child_mutation_rolls_back_its_writes_only(client):
    seen = client.mutation("conformance:partialRollback", {"author": "child"})
    assert [n["body"] for n in seen] == ["hello buddy"]
    assert [n["body"] for n in client.query("notes:byAuthor", {"author": "child"})] == [
        "hello buddy"
    ]


def test_a_function_handle_can_be_scheduled(client):
    client.mutation("conformance:scheduleByHandle", {"author": "handled"})
    deadline = time.monotonic() + 20
    while not client.query("notes:byAuthor", {"author": "handled"}):
        assert time.monotonic() < deadline, "the job scheduled by handle did not run"
        time.sleep(0.1)
    assert [n["body"] for n in client.query("notes:byAuthor", {"author": "handled"})] == [
        "by handle"
    ]
