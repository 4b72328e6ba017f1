"""The official PyPI ``convex`` client against a real livebase server."""

from __future__ import annotations

import pytest
from convex import ConvexClient, ConvexError, ConvexInt64


@pytest.fixture
def client(server):
    return ConvexClient(server.url)


def test_query_mutation_and_action_round_trip(client):
    assert client.query("notes:listAll") == []
    note_id = client.mutation("notes:addNote", {"author": "py", "body": "hello"})
    assert isinstance(note_id, str)
    assert [n["body"] for n in client.query("notes:byAuthor", {"author": "py"})] == ["hello"]
    assert client.action("notes:addMany", {"author": "py", "n": 3}) == {"added": 3, "total": 4}


def test_convex_error_data_reaches_the_client_and_nothing_is_written(client):
    with pytest.raises(ConvexError) as err:
        client.mutation("notes:addThenFail", {"author": "z"})
    assert err.value.data == {"code": "nope", "author": "z"}
    assert client.query("notes:byAuthor", {"author": "z"}) == []
    with pytest.raises(ConvexError) as action_err:
        client.action("notes:failAction")
    assert action_err.value.data == {"code": "action-failed"}


def test_int64_and_bytes_values_round_trip(client):
    big = 2**40 + 7
    result = client.mutation("notes:storeTyped", {"big": ConvexInt64(big), "raw": b"\x00\xffxy"})
    assert result["big"] == big and result["doubled"] == 2 * big
    assert result["raw"] == b"\x00\xffxy"
    echoed = client.query("notes:echo", {"value": {"f": 1.5, "n": None, "l": [True, "s"]}})
    assert echoed == {"f": 1.5, "n": None, "l": [True, "s"]}


def test_internal_functions_and_crashes_do_not_leak(client):
    with pytest.raises(Exception, match="Could not find"):
        client.query("notes:secret")
    with pytest.raises(Exception) as crash:
        client.query("notes:crash")
    assert "Server Error" in str(crash.value) and "internal detail" not in str(crash.value)


def test_a_subscription_sees_live_updates(client, server):
    writer = ConvexClient(server.url)
    subscription = client.subscribe("notes:byAuthor", {"author": "live"})
    updates = iter(subscription)
    assert next(updates) == []
    writer.mutation("notes:addNote", {"author": "live", "body": "one"})
    assert [n["body"] for n in next(updates)] == ["one"]
    client.mutation("notes:addNote", {"author": "live", "body": "two"})
    assert [n["body"] for n in next(updates)] == ["one", "two"]
    subscription.unsubscribe()


def test_mutations_are_read_your_writes(client):
    for i in range(5):
        client.mutation("counters:increment", {"name": "ryw"})
        assert client.query("counters:get", {"name": "ryw"}) == i + 1


def test_an_action_sees_where_the_call_came_from_never_its_arguments(client, server):
    import httpx

    over_websocket = client.action("notes:whoami")
    assert over_websocket["ip"] == "127.0.0.1"
    body = {"path": "notes:whoamiNested", "args": {}, "format": "json"}
    headers = {"User-Agent": "ledger-probe/1.0"}
    answer = httpx.post(f"{server.url}/api/action", json=body, headers=headers, timeout=30)
    assert answer.json()["value"] == {"ip": "127.0.0.1", "userAgent": "ledger-probe/1.0"}
    forged = {**body, "args": {"ip": "10.1.2.3"}}
    refused = httpx.post(f"{server.url}/api/action", json=forged, headers=headers, timeout=30)
    assert refused.json()["status"] == "error"
