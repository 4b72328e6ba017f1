"""The admin key of a real ``livebase serve tests/apps/services``: ``livebase admin-key``
prints the key the server checks; it unlocks internal functions (HTTP API, PyPI client,
sync ``Authenticate``) and acting as a user; ``livebase run --url`` uses it. Wrong keys are
throttled per client address.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from convex import ConvexClient

from tests.conftest import APPS, ROOT
from tests.e2e.conftest import RunningServer, start_server
from tests.services.test_auth import WATCH_WHOAMI
from tests.services.test_auth import sync_exchange as raw_sync_exchange

APP = APPS / "services"


def livebase(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``livebase`` command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "livebase", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )


@dataclass
class Deployment:
    server: RunningServer
    key: str  # what `livebase admin-key` printed before the server first started

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    data_dir = tmp_path_factory.mktemp("admin") / "data"
    printed = livebase("admin-key", "--data-dir", str(data_dir))
    assert printed.returncode == 0, printed.stderr
    running = start_server(APP, data_dir)
    try:
        yield Deployment(running, printed.stdout.strip())
    finally:
        running.stop()


def call(
    url: str, kind: str, path: str, args: dict[str, Any], authorization: str | None = None
) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return httpx.post(f"{url}/api/{kind}", json={"path": path, "args": args}, headers=headers)


def acting_as(key: str, claims: Any) -> str:
    return f"Convex {key}:" + base64.b64encode(json.dumps(claims).encode()).decode()


def runs(url: str, job: str) -> list[Any]:
    reply = call(url, "query", "jobs:runs", {"job": job})
    assert reply.json()["status"] == "success", reply.text
    return list(reply.json()["value"])


def sync_exchange(url: str, authenticate: dict[str, Any]) -> list[Any]:
    """Connect, ``authenticate``, subscribe to jobs:whoami: the frames until the query's
    Transition, or until the server closes the socket (then ``("closed", code)``)."""
    message = {"baseVersion": 0, **authenticate, "type": "Authenticate"}
    return raw_sync_exchange(url, [message, WATCH_WHOAMI])


def test_the_admin_key_command_prints_the_key_the_server_uses_every_time(
    deployment: Deployment,
) -> None:
    assert deployment.key.startswith("livebase|")
    again = livebase("admin-key", "--data-dir", str(deployment.server.data_dir))
    assert again.returncode == 0
    assert again.stdout.strip() == deployment.key
    assert (deployment.server.data_dir / "admin_key").stat().st_mode & 0o077 == 0
    reply = call(
        deployment.url, "mutation", "jobs:record", {"job": "k"}, f"Convex {again.stdout.strip()}"
    )
    assert reply.json()["status"] == "success"


def test_an_internal_function_is_unreachable_without_the_admin_key(
    deployment: Deployment,
) -> None:
    for kind in ("mutation", "function"):
        reply = call(deployment.url, kind, "jobs:record", {"job": "anon"})
        assert reply.status_code == 200
        assert reply.json()["status"] == "error"
        assert "Could not find public function" in reply.json()["errorMessage"]
    with pytest.raises(Exception, match="Could not find public function"):
        ConvexClient(deployment.url).mutation("jobs:record", {"job": "anon"})
    assert runs(deployment.url, "anon") == []


def test_the_admin_key_header_reaches_internal_functions_over_http(
    deployment: Deployment,
) -> None:
    header = f"Convex {deployment.key}"
    reply = call(deployment.url, "mutation", "jobs:record", {"job": "hdr", "note": "a"}, header)
    assert reply.json() == {"status": "success", "value": None, "logLines": []}
    assert runs(deployment.url, "hdr") == ["a"]
    # Admin calls run as nobody in particular.
    whoami = call(deployment.url, "query", "jobs:whoami", {}, header)
    assert whoami.json()["value"] is None


def test_the_pypi_client_reaches_internal_functions_after_set_admin_auth(
    deployment: Deployment,
) -> None:
    client = ConvexClient(deployment.url)
    client.set_admin_auth(deployment.key)
    client.mutation("jobs:record", {"job": "pypi-admin", "note": "via sync"})
    assert client.query("jobs:runs", {"job": "pypi-admin"}) == ["via sync"]
    assert client.query("jobs:whoami") is None


@pytest.mark.parametrize(
    "key", ["livebase|0000", "Convex", "{key}x", "{short}", "{upper}", "{key}{key}"]
)
def test_a_wrong_admin_key_is_refused_over_http(deployment: Deployment, key: str) -> None:
    key = key.format(key=deployment.key, short=deployment.key[:-1], upper=deployment.key.upper())
    reply = call(deployment.url, "mutation", "jobs:record", {"job": "wrong"}, f"Convex {key}")
    assert reply.status_code == 401, reply.text
    assert reply.json()["code"] == "Unauthenticated"
    assert runs(deployment.url, "wrong") == []


def test_a_wrong_admin_key_gets_an_auth_error_on_the_sync_socket(deployment: Deployment) -> None:
    frames = sync_exchange(deployment.url, {"tokenType": "Admin", "value": "livebase|nope"})
    assert frames[0]["type"] == "AuthError"
    assert frames[-1][0] == "closed"
    assert not [f for f in frames if isinstance(f, dict) and f["type"] == "Transition"]


def test_acting_as_a_user_with_the_admin_key_makes_functions_see_that_identity(
    deployment: Deployment,
) -> None:
    claims = {"subject": "user-9", "issuer": "https://issuer.test", "email": "nine@example.test"}
    reply = call(deployment.url, "query", "jobs:whoami", {}, acting_as(deployment.key, claims))
    assert reply.status_code == 200, reply.text
    assert reply.json()["value"] == {**claims, "tokenIdentifier": "https://issuer.test|user-9"}

    frames = sync_exchange(
        deployment.url,
        {"tokenType": "Admin", "value": deployment.key, "impersonating": claims},
    )
    assert frames[-1]["type"] == "Transition", frames
    assert frames[-1]["modifications"][0]["value"]["tokenIdentifier"] == (
        "https://issuer.test|user-9"
    )


@pytest.mark.parametrize(
    "claims", [{"email": "no-subject@example.test"}, {"subject": ""}, {"subject": 7}, ["x"]]
)
def test_acting_as_needs_claims_with_a_string_subject(deployment: Deployment, claims: Any) -> None:
    reply = call(deployment.url, "query", "jobs:whoami", {}, acting_as(deployment.key, claims))
    assert reply.status_code == 401, reply.text


def test_acting_as_with_a_wrong_key_or_an_undecodable_identity_is_refused(
    deployment: Deployment,
) -> None:
    claims = {"subject": "user-9"}
    wrong = call(deployment.url, "query", "jobs:whoami", {}, acting_as("livebase|bad", claims))
    assert wrong.status_code == 401
    garbled = call(deployment.url, "query", "jobs:whoami", {}, f"Convex {deployment.key}:%%%")
    assert garbled.status_code == 401
    not_json = base64.b64encode(b"{not json").decode()
    garbled = call(
        deployment.url, "query", "jobs:whoami", {}, f"Convex {deployment.key}:{not_json}"
    )
    assert garbled.status_code == 401


def test_livebase_run_with_url_and_admin_key_calls_public_and_internal_functions(
    deployment: Deployment,
) -> None:
    url, key = deployment.url, deployment.key
    recorded = livebase(
        "run", str(APP), "jobs:record", '{"job":"x","note":"cli"}', "--url", url, "--admin-key", key
    )
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads(recorded.stdout) is None
    listed = livebase("run", str(APP), "jobs:runs", '{"job":"x"}', "--url", url, "--admin-key", key)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == ["cli"]
    assert runs(url, "x") == ["cli"]


def test_livebase_run_with_url_reads_the_key_from_the_data_dir_and_can_act_as_a_user(
    deployment: Deployment,
) -> None:
    result = livebase(
        "run",
        str(APP),
        "jobs:whoami",
        "--url",
        deployment.url,
        "--data-dir",
        str(deployment.server.data_dir),
        "--identity",
        '{"subject": "cli-user", "name": "Cli"}',
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "subject": "cli-user",
        "name": "Cli",
        "issuer": "livebase",
        "tokenIdentifier": "livebase|cli-user",
    }


def test_livebase_run_with_a_wrong_admin_key_fails_and_writes_nothing(
    deployment: Deployment,
) -> None:
    result = livebase(
        "run",
        str(APP),
        "jobs:record",
        '{"job":"refused"}',
        "--url",
        deployment.url,
        "--admin-key",
        "livebase|wrong",
    )
    assert result.returncode == 1
    assert "admin key is not valid" in result.stderr
    assert runs(deployment.url, "refused") == []


# --- wrong admin keys are throttled per address ---------------------------------------------


@pytest.fixture
def fresh_deployment(tmp_path: Path) -> Iterator[Deployment]:
    """A deployment of its own: its wrong-key counters start at zero."""
    data_dir = tmp_path / "data"
    printed = livebase("admin-key", "--data-dir", str(data_dir))
    assert printed.returncode == 0, printed.stderr
    running = start_server(APP, data_dir)
    try:
        yield Deployment(running, printed.stdout.strip())
    finally:
        running.stop()


def test_wrong_admin_keys_lock_the_address_over_http_and_the_sync_socket(
    fresh_deployment: Deployment,
) -> None:
    url, key = fresh_deployment.url, fresh_deployment.key
    for n in range(10):
        wrong = call(url, "mutation", "jobs:record", {"job": "guess"}, f"Convex livebase|{n}")
        assert wrong.status_code == 401
        frames = sync_exchange(url, {"tokenType": "Admin", "value": f"livebase|{n}"})
        assert frames[0]["type"] == "AuthError"
    # 20 wrong keys: now even the right key is refused, unchecked, with the wait.
    locked = call(url, "mutation", "jobs:record", {"job": "locked"}, f"Convex {key}")
    assert locked.status_code == 429, locked.text
    assert locked.json()["code"] == "too_many_attempts"
    wait = int(locked.headers["Retry-After"])
    assert 1 <= wait <= 15 * 60
    assert f"try again in {wait} second" in locked.json()["message"]
    frames = sync_exchange(url, {"tokenType": "Admin", "value": key})
    assert frames[0]["type"] == "AuthError", frames
    assert "Too many wrong admin keys" in frames[0]["error"]
    assert "try again in" in frames[0]["error"]
    assert frames[-1][0] == "closed"
    assert runs(url, "locked") == []
    action = httpx.get(f"{url}/http/whoami", headers={"Authorization": f"Convex {key}"})
    assert action.status_code == 429 and action.json()["code"] == "too_many_attempts"
    assert action.headers["Retry-After"].isdigit()
    # Another address is not locked out; users' own calls never were.
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport) as other:
        reply = other.post(
            f"{url}/api/mutation",
            json={"path": "jobs:record", "args": {"job": "other"}},
            headers={"Authorization": f"Convex {key}"},
        )
    assert reply.json()["status"] == "success", reply.text
    assert call(url, "query", "jobs:whoami", {}).status_code == 200


def test_the_admin_key_lockout_ends_and_doubles_with_the_next_wrong_key(
    fresh_deployment: Deployment,
) -> None:
    url, key = fresh_deployment.url, fresh_deployment.key
    for n in range(20):
        call(url, "query", "jobs:whoami", {}, f"Convex livebase|{n}")
    first = int(call(url, "query", "jobs:whoami", {}, f"Convex {key}").headers["Retry-After"])
    time.sleep(first + 0.1)
    assert call(url, "query", "jobs:whoami", {}, f"Convex {key}").status_code == 200
    assert call(url, "query", "jobs:whoami", {}, "Convex livebase|again").status_code == 401
    second = call(url, "query", "jobs:whoami", {}, f"Convex {key}")
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) == 2 * first
