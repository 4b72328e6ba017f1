"""The sync protocol frame by frame, as the official clients speak it."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
import time
import uuid
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from livebase.server.protocol import decode_ts, encode_ts

TS0 = "AAAAAAAAAAA="


class Client:
    """A raw sync-protocol client: JSON frames in and out."""

    def __init__(self, url: str, session_id: str | None = None) -> None:
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(connect(url, open_timeout=5))
        self.session_id = session_id or str(uuid.uuid4())
        self.query_set = 0

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float = 5) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def recv_type(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(max(0.01, deadline - time.monotonic()))
            if message["type"] == kind:
                return message

    def connect(self) -> Client:
        self.send(
            {
                "type": "Connect",
                "sessionId": self.session_id,
                "connectionCount": 0,
                "lastCloseReason": "InitialConnect",
                "clientTs": 0,
            }
        )
        return self

    def add(
        self, query_id: int, path: str, args: dict[str, Any], journal: str | None = None
    ) -> None:
        mod: dict[str, Any] = {"type": "Add", "queryId": query_id, "udfPath": path, "args": [args]}
        if journal is not None:
            mod["journal"] = journal
        self.send(
            {
                "type": "ModifyQuerySet",
                "baseVersion": self.query_set,
                "newVersion": self.query_set + 1,
                "modifications": [mod],
            }
        )
        self.query_set += 1

    def remove(self, query_id: int) -> None:
        self.send(
            {
                "type": "ModifyQuerySet",
                "baseVersion": self.query_set,
                "newVersion": self.query_set + 1,
                "modifications": [{"type": "Remove", "queryId": query_id}],
            }
        )
        self.query_set += 1

    def settle(self) -> list[dict[str, Any]]:
        """Transitions until the server has caught up with every query-set change sent."""
        seen = [self.recv_type("Transition")]
        while seen[-1]["endVersion"]["querySet"] < self.query_set:
            seen.append(self.recv_type("Transition"))
        return seen

    def mutate(self, request_id: int, path: str, args: dict[str, Any]) -> dict[str, Any]:
        self.send({"type": "Mutation", "requestId": request_id, "udfPath": path, "args": [args]})
        return self.recv_type("MutationResponse")

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def srv(make_server):
    return make_server()


def values_of(transition: dict[str, Any]) -> dict[int, Any]:
    return {
        m["queryId"]: m.get("value")
        for m in transition["modifications"]
        if m["type"] == "QueryUpdated"
    }


def test_the_first_transition_starts_at_version_zero(srv):
    client = Client(srv.ws_url).connect()
    client.add(0, "notes:listAll", {})
    first = client.recv_type("Transition")
    assert first["startVersion"] == {"querySet": 0, "identity": 0, "ts": TS0}
    assert first["endVersion"]["querySet"] == 1
    assert first["modifications"] == [
        {"type": "QueryUpdated", "queryId": 0, "value": [], "logLines": [], "journal": None}
    ]
    assert isinstance(first["serverTs"], int) and first["serverTs"] > 1.7e18
    client.close()


def test_a_mutation_response_is_followed_by_a_transition_reaching_its_ts(srv):
    client = Client(srv.ws_url).connect()
    client.add(0, "notes:byAuthor", {"author": "ann"})
    before = client.recv_type("Transition")
    reply = client.mutate(0, "notes:addNote", {"author": "ann", "body": "hi"})
    assert reply["success"] is True and isinstance(reply["result"], str)
    after = client.recv_type("Transition")
    assert after["startVersion"] == before["endVersion"]
    assert decode_ts(after["endVersion"]["ts"]) >= decode_ts(reply["ts"])
    assert [d["body"] for d in values_of(after)[0]] == ["hi"]
    client.close()


def test_a_failed_mutation_carries_error_data_and_a_transition_follows(srv):
    client = Client(srv.ws_url).connect()
    client.add(0, "notes:listAll", {})
    client.recv_type("Transition")
    reply = client.mutate(0, "notes:addThenFail", {"author": "z"})
    assert reply["success"] is False and reply["ts"] is None
    assert reply["errorData"] == {"code": "nope", "author": "z"}
    assert client.recv_type("Transition")["modifications"] == []
    client.close()


def test_only_changed_queries_are_sent_and_other_connections_see_commits(srv):
    watcher = Client(srv.ws_url).connect()
    watcher.add(0, "notes:byAuthor", {"author": "ann"})
    watcher.add(1, "notes:byAuthor", {"author": "bob"})
    watcher.settle()
    writer = Client(srv.ws_url).connect()
    writer.mutate(0, "notes:addNote", {"author": "bob", "body": "b"})
    update = watcher.recv_type("Transition")
    assert list(values_of(update)) == [1]  # ann's query did not change: nothing sent for it
    # a write nobody reads sends nothing to the watcher
    writer.mutate(1, "counters:increment", {"name": "x"})
    with pytest.raises(TimeoutError):
        watcher.recv_type("Transition", timeout=0.3)
    watcher.close()
    writer.close()


def test_identical_subscriptions_across_connections_share_one_computation(srv):
    clients = [Client(srv.ws_url).connect() for _ in range(5)]
    for client in clients:
        client.add(0, "notes:byAuthor", {"author": "ann"})
        client.recv_type("Transition")
    manager = srv.server.subscriptions
    assert len(manager.entries) == 1
    reruns = manager.reruns
    writer = Client(srv.ws_url).connect()
    writer.mutate(0, "notes:addNote", {"author": "ann", "body": "shared"})
    for client in clients:
        assert len(values_of(client.recv_type("Transition"))[0]) == 1
    assert manager.reruns == reruns + 1
    for client in [*clients, writer]:
        client.close()


def test_mutations_run_once_per_session_and_request_across_reconnects(srv):
    session = str(uuid.uuid4())
    first = Client(srv.ws_url, session).connect()
    reply = first.mutate(7, "counters:increment", {"name": "once"})
    first.close()
    again = Client(srv.ws_url, session).connect()  # the client resends after a reconnect
    resent = again.mutate(7, "counters:increment", {"name": "once"})
    assert resent["success"] and resent["result"] == reply["result"] == 1
    assert decode_ts(resent["ts"]) >= decode_ts(reply["ts"])
    fresh = again.mutate(8, "counters:increment", {"name": "once"})
    assert fresh["result"] == 2
    other = Client(srv.ws_url).connect()  # another session's request 7 is its own
    assert other.mutate(7, "counters:increment", {"name": "once"})["result"] == 3
    again.close()
    other.close()


def test_an_unknown_function_fails_that_query_only(srv):
    client = Client(srv.ws_url).connect()
    client.add(0, "notes:nope", {})
    client.add(1, "notes:listAll", {})
    client.add(2, "notes:secret", {})
    messages = client.settle()
    mods = {m["queryId"]: m for t in messages for m in t["modifications"]}
    assert mods[0]["type"] == "QueryFailed" and "Could not find" in mods[0]["errorMessage"]
    assert mods[1]["type"] == "QueryUpdated"
    assert mods[2]["type"] == "QueryFailed"  # internal functions are not public
    client.close()


def test_an_admin_session_keeps_internal_queries_live_until_it_stops_being_admin(srv):
    client = Client(srv.ws_url).connect()
    key = srv.runtime.deployment.admin_key
    client.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": key})
    client.add(0, "notes:secret", {})
    client.add(1, "_system/env:list", {})
    first: dict[int, Any] = {}
    for transition in client.settle():
        first.update(values_of(transition))
    assert first == {0: "internal", 1: []}
    client.mutate(1, "notes:addNote", {"author": "a", "body": "b"})
    srv.runtime.call("_system/env:set", {"name": "GREETING", "value": "hi"}, internal_ok=True)
    updates: dict[int, Any] = {}
    while 1 not in updates:
        updates.update(values_of(client.recv_type("Transition")))
    assert updates[1] == [{"name": "GREETING", "value": "hi"}]
    client.send({"type": "Authenticate", "baseVersion": 1, "tokenType": "None"})
    mods: dict[int, dict[str, Any]] = {}
    while len(mods) < 2:
        mods.update({m["queryId"]: m for m in client.recv_type("Transition")["modifications"]})
    assert {m["type"] for m in mods.values()} == {"QueryFailed"}
    assert all("Could not find public function" in m["errorMessage"] for m in mods.values())
    client.close()


def test_a_crashing_query_reports_a_generic_error_without_the_detail(srv):
    client = Client(srv.ws_url).connect()
    client.add(0, "notes:crash", {})
    failed = client.recv_type("Transition")["modifications"][0]
    assert failed["type"] == "QueryFailed"
    assert "Server Error" in failed["errorMessage"]
    assert "internal detail" not in json.dumps(failed)
    client.close()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "not JSON"),
        ('{"no": "type"}', "type"),
        ('{"type": "Teleport"}', "Unknown message type"),
        (
            '{"type": "ModifyQuerySet", "baseVersion": 5, "newVersion": 6, "modifications": []}',
            "BaseVersionMismatch",
        ),
        ('{"type": "Mutation", "requestId": -1, "udfPath": "a:b", "args": [{}]}', "requestId"),
    ],
)
def test_malformed_frames_get_a_fatal_error_and_never_hurt_other_connections(srv, frame, error):
    bystander = Client(srv.ws_url).connect()
    bystander.add(0, "notes:listAll", {})
    bystander.recv_type("Transition")
    bad = Client(srv.ws_url).connect()
    bad.ws.send(frame)
    fatal = bad.recv_type("FatalError")
    assert error in fatal["error"]
    with pytest.raises(ConnectionClosed):
        bad.recv(timeout=2)
    writer = Client(srv.ws_url).connect()
    writer.mutate(0, "notes:addNote", {"author": "a", "body": "still here"})
    assert len(values_of(bystander.recv_type("Transition"))[0]) == 1
    for client in (bystander, writer):
        client.close()


def test_binary_frames_are_refused(srv):
    client = Client(srv.ws_url).connect()
    client.ws.send(b"\x00\x01")
    assert "Binary" in client.recv_type("FatalError")["error"]


def test_idle_connections_get_a_ping(make_server):
    srv = make_server(heartbeat=0.2)
    client = Client(srv.ws_url).connect()
    assert client.recv(timeout=3) == {"type": "Ping"}
    client.close()


def test_a_client_ahead_of_the_backend_is_refused(srv):
    client = Client(srv.ws_url)
    future = base64.b64encode(struct.pack("<Q", 2**62)).decode()
    client.send(
        {
            "type": "Connect",
            "sessionId": str(uuid.uuid4()),
            "connectionCount": 1,
            "lastCloseReason": "x",
            "maxObservedTimestamp": future,
            "clientTs": 0,
        }
    )
    assert "ahead of the backend" in client.recv_type("FatalError")["error"]


def test_removing_a_query_sends_query_removed(srv):
    client = Client(srv.ws_url).connect()
    client.add(0, "notes:listAll", {})
    client.recv_type("Transition")
    client.remove(0)
    removed = client.recv_type("Transition")
    assert removed["modifications"] == [{"type": "QueryRemoved", "queryId": 0}]
    assert srv.server.subscriptions.entries == {}
    client.close()


def test_js_module_suffix_and_versioned_path_are_accepted(srv):
    client = Client(srv.ws_url.replace("/api/sync", "/api/1.48.0/sync")).connect()
    client.add(0, "notes.js:listAll", {})
    assert client.recv_type("Transition")["modifications"][0]["type"] == "QueryUpdated"
    client.close()


def test_actions_answer_with_an_action_response(srv):
    client = Client(srv.ws_url).connect()
    client.send(
        {
            "type": "Action",
            "requestId": 3,
            "udfPath": "notes:addMany",
            "args": [{"author": "act", "n": 2}],
        }
    )
    reply = client.recv_type("ActionResponse")
    assert reply == {
        "type": "ActionResponse",
        "requestId": 3,
        "success": True,
        "result": {"added": 2, "total": 2},
        "logLines": [],
    }
    client.send({"type": "Action", "requestId": 4, "udfPath": "notes:failAction", "args": [{}]})
    failed = client.recv_type("ActionResponse")
    assert failed["success"] is False and failed["errorData"] == {"code": "action-failed"}
    client.close()


def test_user_tokens_are_refused_without_an_auth_provider(srv):
    client = Client(srv.ws_url).connect()
    client.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": "x.y.z"})
    error = client.recv_type("AuthError")
    assert error["baseVersion"] == 0 and "auth" in error["error"].lower()


def test_timestamps_are_base64_little_endian_u64():
    assert encode_ts(0) == TS0
    assert encode_ts(1) == "AQAAAAAAAAA="
    assert decode_ts(encode_ts(2**63 - 1)) == 2**63 - 1
