"""Convex's HTTP API, in both value formats."""

from __future__ import annotations

import httpx
import pytest

from livebase import Runtime
from livebase.server.protocol import decode_ts
from tests.conftest import APPS


@pytest.fixture
def http(make_server):
    srv = make_server()
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        yield client


def call(http, route, path, args, fmt="json", **body):
    return http.post(route, json={"path": path, "args": args, "format": fmt, **body})


def test_query_and_mutation_in_clean_json(http):
    added = call(http, "/api/mutation", "notes:addNote", {"author": "h", "body": "x"})
    assert added.status_code == 200 and added.json()["status"] == "success"
    listed = call(http, "/api/query", "notes:byAuthor", {"author": "h"}).json()
    assert listed["status"] == "success" and listed["value"][0]["body"] == "x"


def test_the_js_clients_encoded_form_with_positional_args(http):
    reply = call(
        http,
        "/api/mutation",
        "notes:storeTyped",
        [{"big": {"$integer": "AQAAAAAAAAA="}, "raw": {"$bytes": "eHk="}}],
        fmt="convex_encoded_json",
    )
    value = reply.json()["value"]
    assert value["big"] == {"$integer": "AQAAAAAAAAA="} and value["raw"] == {"$bytes": "eHk="}
    assert value["doubled"] == {"$integer": "AgAAAAAAAAA="}
    clean = call(
        http, "/api/query", "notes:echo", {"value": {"$integer": "BQAAAAAAAAA="}}, fmt="json"
    ).json()
    assert clean["value"] == "5"  # int64 as a decimal string in the clean form


def test_function_errors_are_200_with_status_error(http):
    failed = call(http, "/api/mutation", "notes:addThenFail", {"author": "e"})
    assert failed.status_code == 200
    assert failed.json()["status"] == "error"
    assert failed.json()["errorData"] == {"code": "nope", "author": "e"}
    missing = call(http, "/api/query", "notes:nothing", {}).json()
    assert missing["status"] == "error" and "Could not find" in missing["errorMessage"]
    crash = call(http, "/api/query", "notes:crash", {}).json()
    assert "Server Error" in crash["errorMessage"] and "internal detail" not in str(crash)
    internal = call(http, "/api/query", "notes:secret", {}).json()
    assert internal["status"] == "error"


def test_wrong_kind_is_an_error(http):
    reply = call(http, "/api/query", "notes:addNote", {"author": "a", "body": "b"}).json()
    assert reply["status"] == "error" and "mutation" in reply["errorMessage"]


def test_malformed_requests_get_4xx_with_a_code(http):
    not_json = http.post(
        "/api/query", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == "BadJsonBody"
    bad_format = call(http, "/api/query", "notes:listAll", {}, fmt="xml")
    assert bad_format.status_code == 400 and bad_format.json()["code"] == "InvalidFormat"
    bad_args = call(http, "/api/query", "notes:listAll", "not an object")
    assert bad_args.status_code == 400
    bad_auth = http.post(
        "/api/query",
        json={"path": "notes:listAll", "args": {}},
        headers={"Authorization": "Bearer nope"},
    )
    assert bad_auth.status_code == 401


def test_get_query_run_and_function_routes(http):
    call(http, "/api/mutation", "notes:addNote", {"author": "g", "body": "x"})
    got = http.get("/api/query", params={"path": "notes:byAuthor", "args": '{"author": "g"}'})
    assert got.json()["value"][0]["body"] == "x"
    run = http.post("/api/run/counters/increment", json={"args": {"name": "r"}})
    assert run.json() == {"status": "success", "value": 1, "logLines": []}
    any_kind = call(http, "/api/function", "counters:get", {"name": "r"})
    assert any_kind.json()["value"] == 1


def test_query_ts_query_at_ts_and_batch(http):
    call(http, "/api/mutation", "notes:addNote", {"author": "t", "body": "1"})
    ts = http.post("/api/query_ts").json()["ts"]
    at = http.post(
        "/api/query_at_ts",
        json={"path": "notes:byAuthor", "args": {"author": "t"}, "ts": ts, "format": "json"},
    ).json()
    assert len(at["value"]) == 1
    call(http, "/api/mutation", "notes:addNote", {"author": "t", "body": "2"})
    then = http.post(
        "/api/query_at_ts",
        json={"path": "notes:byAuthor", "args": {"author": "t"}, "ts": ts, "format": "json"},
    ).json()
    assert [n["body"] for n in then["value"]] == ["1"]  # as of ts, not the latest
    unaffected = http.post(
        "/api/query_at_ts", json={"path": "notes:byAuthor", "args": {"author": "other"}, "ts": ts}
    )
    assert unaffected.json()["value"] == []
    batch = http.post(
        "/api/query_batch",
        json={
            "queries": [
                {"path": "notes:byAuthor", "args": {"author": "t"}, "format": "json"},
                {"path": "notes:nothing", "args": {}},
            ]
        },
    ).json()["results"]
    assert len(batch[0]["value"]) == 2 and batch[1]["status"] == "error"
    assert decode_ts(http.post("/api/query_ts").json()["ts"]) > decode_ts(ts)


def test_query_at_ts_past_what_the_server_can_undo_is_refused_when_the_data_changed(
    make_server, tmp_path
):
    srv = make_server()
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        call(http, "/api/mutation", "notes:addNote", {"author": "t", "body": "1"})
        ts = http.post("/api/query_ts").json()["ts"]
        # another process over the same deployment (livebase run, a second worker): this
        # server cannot undo its commit
        other = Runtime(APPS / "notes", tmp_path / "data0")
        try:
            other.run_mutation("notes:add_note", {"author": "t", "body": "2"})
        finally:
            other.close()
        stale = http.post(
            "/api/query_at_ts", json={"path": "notes:byAuthor", "args": {"author": "t"}, "ts": ts}
        )
        assert stale.status_code == 400 and stale.json()["code"] == "TimestampOutOfRetention"
        unaffected = http.post(
            "/api/query_at_ts",
            json={"path": "notes:byAuthor", "args": {"author": "u"}, "ts": ts, "format": "json"},
        )
        assert unaffected.json()["value"] == []


def test_version(http):
    assert http.get("/version").text.startswith("livebase ")
