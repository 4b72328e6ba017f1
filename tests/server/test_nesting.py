"""Values nested past Convex's limit (64 levels), against a real ``livebase serve
tests/apps/services``: refused with a message naming the limit (HTTP 400, a FatalError on the
sync socket), never a 500, a crashed connection or a traceback per request in the log.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from livebase.engine.values import nesting
from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server

LIMIT = 64


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(APPS / "services", tmp_path_factory.mktemp("nesting") / "data")
    try:
        yield running
    finally:
        running.stop()


def nested_text(levels: int) -> str:
    """JSON text of an arguments object nesting ``levels`` deep: ``{"value": [[...0...]]}``."""
    inner = levels - 1
    return '{"value":' + "[" * inner + "0" + "]" * inner + "}"


def log_lines(server: RunningServer) -> int:
    return len(server.log.read_text(errors="replace").splitlines())


def query_over_http(server: RunningServer, args_text: str) -> httpx.Response:
    body = '{"path":"deep:echo","args":' + args_text + "}"
    return httpx.post(
        f"{server.url}/api/query", content=body, headers={"Content-Type": "application/json"}
    )


def sync_frames(server: RunningServer, frame: str) -> list[Any]:
    """Connect, send ``frame`` as is; every frame until the server closes the socket, then
    ``("closed", code)`` (or ``("open",)`` if it is still open after 2 s)."""

    async def run() -> list[Any]:
        received: list[Any] = []
        url = server.url.replace("http://", "ws://") + "/api/sync"
        async with websockets.connect(url, max_size=None) as ws:
            connect = {"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0}
            await ws.send(json.dumps({**connect, "lastCloseReason": "InitialConnect"}))
            await ws.send(frame)
            try:
                while True:
                    received.append(json.loads(await asyncio.wait_for(ws.recv(), 2)))
            except websockets.ConnectionClosed as closed:
                received.append(("closed", closed.rcvd.code if closed.rcvd else None))
            except TimeoutError:
                received.append(("open",))
        return received

    return asyncio.run(run())


def mutation_frame(args_text: str) -> str:
    return '{"type":"Mutation","requestId":0,"udfPath":"deep:store","args":[' + args_text + "]}"


def subscribe_frame(args_text: str) -> str:
    return (
        '{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":'
        '[{"type":"Add","queryId":0,"udfPath":"deep:echo","args":[' + args_text + "]}]}"
    )


# --- the HTTP API -------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [65, 10_000])
def test_arguments_past_64_levels_are_a_400_naming_the_limit(
    server: RunningServer, levels: int
) -> None:
    before = log_lines(server)
    reply = query_over_http(server, nested_text(levels))
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "TooNested"
    assert "64 levels" in reply.json()["message"]
    assert log_lines(server) == before  # nothing logged, least of all a traceback


def test_arguments_of_exactly_64_levels_pass_the_limit(server: RunningServer) -> None:
    reply = query_over_http(server, nested_text(LIMIT))
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "success", reply.text  # echoed back, 63 levels inside
    assert nesting(reply.json()["value"]) == LIMIT - 1


@pytest.mark.parametrize("levels", [65, 10_000])
def test_every_http_route_that_takes_arguments_refuses_them_past_64_levels(
    server: RunningServer, levels: int
) -> None:
    args = nested_text(levels)
    routes = {
        "/api/mutation": '{"path":"deep:store","args":' + args + "}",
        "/api/function": '{"path":"deep:echo","args":[' + args + "]}",
        "/api/run/deep/echo": '{"args":' + args + "}",
        "/api/query_batch": '{"queries":[{"path":"deep:echo","args":' + args + "}]}",
    }
    for route, body in routes.items():
        reply = httpx.post(
            server.url + route, content=body, headers={"Content-Type": "application/json"}
        )
        assert reply.status_code == 400, (route, reply.text)
        assert "64 levels" in reply.json()["message"], route
    get = httpx.get(f"{server.url}/api/query", params={"path": "deep:echo", "args": args})
    assert get.status_code == 400, get.text
    assert "64 levels" in get.json()["message"]


def test_an_acting_as_identity_nested_10000_levels_is_refused_as_unauthenticated(
    server: RunningServer,
) -> None:
    acting = base64.b64encode(("[" * 10_000 + "]" * 10_000).encode()).decode()
    reply = httpx.post(
        f"{server.url}/api/query",
        json={"path": "jobs:whoami", "args": {}},
        headers={"Authorization": f"Convex livebase|wrong:{acting}"},
    )
    assert reply.status_code == 401, reply.text
    assert "64 levels" in reply.json()["message"]


# --- the sync protocol --------------------------------------------------------------------


@pytest.mark.parametrize("levels", [65, 10_000])
@pytest.mark.parametrize("frame", [mutation_frame, subscribe_frame])
def test_a_sync_frame_with_arguments_past_64_levels_gets_a_fatal_error_naming_the_limit(
    server: RunningServer, levels: int, frame: Any
) -> None:
    before = log_lines(server)
    frames = sync_frames(server, frame(nested_text(levels)))
    assert frames[0]["type"] == "FatalError", frames
    assert "64 levels" in frames[0]["error"]
    assert frames[-1] == ("closed", 1008)
    assert log_lines(server) - before <= 1


def test_a_sync_frame_of_exactly_64_levels_is_served(server: RunningServer) -> None:
    frames = sync_frames(server, subscribe_frame(nested_text(LIMIT)))
    assert frames[0]["type"] == "Transition", frames
    assert frames[0]["modifications"][0]["type"] == "QueryUpdated"
    assert frames[-1] == ("open",)


def test_many_deep_frames_log_at_most_a_line_each(server: RunningServer) -> None:
    before = log_lines(server)
    deep = "[" * 10_000 + "]" * 10_000
    for _ in range(5):
        frames = sync_frames(server, deep)
        assert frames[0]["type"] == "FatalError" and "64 levels" in frames[0]["error"]
    assert log_lines(server) - before <= 5
    assert "Traceback" not in server.log.read_text(errors="replace")


# --- documents and the auth routes --------------------------------------------------------


@pytest.mark.parametrize("levels", [17, 65, 10_000])
def test_a_mutation_writing_a_document_past_the_limit_is_refused_and_writes_nothing(
    server: RunningServer, levels: int
) -> None:
    reply = httpx.post(
        f"{server.url}/api/mutation", json={"path": "deep:store", "args": {"levels": levels}}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "error"
    assert "nested deeper than" in reply.json()["errorMessage"]
    count = httpx.post(f"{server.url}/api/query", json={"path": "deep:count", "args": {}})
    assert count.json()["value"] == 0
    assert "Traceback" not in server.log.read_text(errors="replace")


@pytest.mark.parametrize("levels", [65, 10_000])
def test_an_auth_body_past_64_levels_is_a_400_naming_the_limit(
    server: RunningServer, levels: int
) -> None:
    body = '{"email":"deep@example.test","password":' + "[" * levels + "]" * levels + "}"
    for route in ("signin", "signup", "refresh"):
        reply = httpx.post(
            f"{server.url}/api/auth/{route}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert reply.status_code == 400, (route, reply.text)
        assert reply.json()["code"] == "too_nested"
        assert "64 levels" in reply.json()["message"]
