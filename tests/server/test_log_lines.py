"""What functions print reaches the client as logLines, per run, on every transport."""

from __future__ import annotations

import httpx
import pytest

from livebase.runtime.logs import MAX_LINES
from tests.server.test_sync_protocol import Client


@pytest.fixture
def srv(make_server):
    return make_server()


def post(srv, route: str, path: str, args: dict) -> dict:
    return httpx.post(f"{srv.url}/api/{route}", json={"path": path, "args": args}).json()


def test_http_answers_carry_each_runs_own_lines(srv):
    added = post(srv, "mutation", "chatter:addLoudly", {"author": "ann"})
    assert added["status"] == "success"
    assert added["logLines"] == ["[LOG] adding a note for ann", "[ERROR] a warning"]
    counted = post(srv, "query", "chatter:countBy", {"author": "ann"})
    assert counted["value"] == 1 and counted["logLines"] == ["[LOG] counted 1 notes by ann"]
    # an action's lines include its own prints (threads too) and the queries it ran
    reported = post(srv, "action", "chatter:report", {"author": "ann"})
    assert reported["value"] == 1
    assert reported["logLines"] == [
        "[LOG] report for ann (start)",
        "[LOG] from a worker thread",
        "[LOG] counted 1 notes by ann",
    ]
    # a failed run still reports what it printed
    failed = post(srv, "mutation", "chatter:addLoudly", {"author": "bob", "fail": True})
    assert failed["status"] == "error"
    assert failed["logLines"] == ["[LOG] adding a note for bob", "[ERROR] a warning"]


def test_lines_are_capped_and_long_lines_truncated(srv):
    lines = post(srv, "query", "chatter:flood", {})["logLines"]
    assert len(lines) == MAX_LINES + 1
    assert lines[0] == "[LOG] line 0" and lines[-1] == "[WARN] 45 more log lines were dropped"


def test_live_queries_and_mutations_carry_lines_over_the_sync_protocol(srv):
    client = Client(srv.ws_url).connect()
    try:
        client.add(0, "chatter:countBy", {"author": "cy"})
        [first] = client.settle()
        [update] = first["modifications"]
        assert update["logLines"] == ["[LOG] counted 0 notes by cy"]
        reply = client.mutate(1, "chatter:addLoudly", {"author": "cy"})
        assert reply["success"] and reply["logLines"][0] == "[LOG] adding a note for cy"
        transition = client.recv_type("Transition")
        [rerun] = [m for m in transition["modifications"] if m["type"] == "QueryUpdated"]
        assert rerun["value"] == 1 and rerun["logLines"] == ["[LOG] counted 1 notes by cy"]
        client.send(
            {
                "type": "Action",
                "requestId": 2,
                "udfPath": "chatter:report",
                "args": [{"author": "cy"}],
            }
        )
        action = client.recv_type("ActionResponse")
        assert action["success"] and action["logLines"][-1] == "[LOG] counted 1 notes by cy"
    finally:
        client.close()


def test_printing_outside_a_function_is_untouched(srv, capsys):
    post(srv, "query", "chatter:countBy", {"author": "dee"})
    print("test output")
    assert "test output" in capsys.readouterr().out
