"""HTTP actions of the services test app (``tests/apps/services/http.py``) on a real server:
under ``/http/`` on the main port, and at the root of the port given by ``--http-port``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.conftest import APPS, ROOT
from tests.e2e.conftest import RunningServer, free_port

APP = APPS / "services"
RSA_PRIVATE = serialization.load_pem_private_key(
    (APP / "keys" / "rsa_private.pem").read_bytes(), None
)


@dataclass
class Served:
    server: RunningServer
    actions_url: str  # the root of --http-port

    @property
    def url(self) -> str:
        return self.server.url


def serve_with_http_port(data_dir: Path) -> Served:
    """``livebase serve tests/apps/services --http-port P``, once both ports answer."""
    port, http_port = free_port(), free_port()
    while http_port == port:
        http_port = free_port()
    log = data_dir.parent / f"server-{port}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "livebase", "serve", str(APP), "--port", str(port)]
    command += ["--http-port", str(http_port), "--data-dir", str(data_dir)]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
    server = RunningServer(f"http://127.0.0.1:{port}", port, data_dir, process, log)
    served = Served(server, f"http://127.0.0.1:{http_port}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if (
                httpx.get(f"{server.url}/version", timeout=1).status_code == 200
                and httpx.get(f"{served.actions_url}/whoami", timeout=1).status_code == 200
            ):
                return served
        except httpx.HTTPError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start: {log.read_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = serve_with_http_port(tmp_path_factory.mktemp("http-actions") / "data")
    try:
        yield running
    finally:
        running.server.stop()


def runs(served: Served, job: str) -> list[Any]:
    reply = httpx.post(f"{served.url}/api/query", json={"path": "jobs:runs", "args": {"job": job}})
    assert reply.json()["status"] == "success", reply.text
    return list(reply.json()["value"])


def rsa_token(subject: str, **extra: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://issuer.test",
        "sub": subject,
        "aud": "services-app",
        "iat": now,
        "exp": now + 600,
        **extra,
    }
    return jwt.encode(claims, RSA_PRIVATE, algorithm="RS256", headers={"kid": "rsa-1"})


BASES = pytest.mark.parametrize("where", ["main port /http", "http port root"])


def base(served: Served, where: str) -> str:
    return f"{served.url}/http" if where == "main port /http" else served.actions_url


@BASES
def test_posting_json_to_echo_answers_json_and_runs_the_mutation(
    served: Served, where: str
) -> None:
    note = f"from {where}"
    reply = httpx.post(f"{base(served, where)}/echo", json={"note": note, "n": [1, 2]})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["received"] == {"note": note, "n": [1, 2]}
    assert body["method"] == "POST"
    assert note in body["runs"]
    # The mutation the action ran committed: a plain query sees it.
    assert note in runs(served, "http")


@BASES
def test_a_prefix_route_serves_every_path_under_it(served: Served, where: str) -> None:
    for path, name in [("/files/a/b.txt", "b.txt"), ("/files/report.pdf", "report.pdf")]:
        reply = httpx.get(base(served, where) + path)
        assert reply.status_code == 200
        assert reply.text == f"file {name}"
        assert reply.headers["content-type"].startswith("text/plain")
    head = httpx.head(f"{base(served, where)}/files/a/b.txt")
    assert head.status_code == 200
    assert head.content == b""
    # The prefix is "/files/": "/files" itself is not under it.
    assert httpx.get(f"{base(served, where)}/files").status_code == 404


@BASES
def test_an_unknown_path_is_a_404_and_a_known_path_with_another_method_a_405(
    served: Served, where: str
) -> None:
    root = base(served, where)
    missing = httpx.get(f"{root}/nowhere")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NoRoute"
    assert httpx.post(f"{root}/echo/extra", json={}).status_code == 404
    for method, path in [("GET", "/echo"), ("DELETE", "/echo"), ("POST", "/files/a.txt")]:
        reply = httpx.request(method, root + path)
        assert reply.status_code == 405, (method, path)
        assert reply.json()["code"] == "NoRoute"


@BASES
def test_a_convex_error_is_a_500_with_a_request_id_and_its_data_as_convex_answers(
    served: Served, where: str
) -> None:
    reply = httpx.post(f"{base(served, where)}/refuse")
    assert reply.status_code == 500
    body = reply.json()
    assert re.fullmatch(r"\[Request ID: [0-9a-f]{16}\] Server Error", body["code"])
    assert body["data"] == {"code": "refused"}
    assert "trace" not in body  # a production deployment (livebase serve) sends no more
    assert "Traceback" not in reply.text
    assert "http.py" not in reply.text


@BASES
def test_a_crashing_handler_is_a_generic_500(served: Served, where: str) -> None:
    # /echo calls request.json(): a body that is not JSON makes the handler itself raise.
    reply = httpx.post(f"{base(served, where)}/echo", content=b"{not json")
    assert reply.status_code == 500
    body = reply.json()
    assert re.fullmatch(r"\[Request ID: [0-9a-f]{16}\] Server Error", body["code"])
    assert "data" not in body and "trace" not in body
    for leak in ("Traceback", "JSONDecodeError", "Expecting", "http.py", "not json"):
        assert leak not in reply.text
    # The server log has the detail, under the request id the client got.
    request_id = body["code"].split("Request ID: ")[1].split("]")[0]
    deadline = time.monotonic() + 5
    while request_id not in served.server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "JSONDecodeError" in served.server.log.read_text()


@BASES
def test_a_bearer_token_gives_the_handler_the_callers_identity(served: Served, where: str) -> None:
    root = base(served, where)
    assert httpx.get(f"{root}/whoami").json() == {"identity": None}
    token = rsa_token("http-user", email="h@example.test")
    reply = httpx.get(f"{root}/whoami", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    assert reply.json()["identity"] == {
        "tokenIdentifier": "https://issuer.test|http-user",
        "subject": "http-user",
        "issuer": "https://issuer.test",
        "email": "h@example.test",
    }


@BASES
def test_a_password_session_token_works_in_http_actions(served: Served, where: str) -> None:
    email = f"{where.replace(' ', '-').replace('/', '')}@example.test"
    session = httpx.post(
        f"{served.url}/api/auth/signup", json={"email": email, "password": "long enough"}
    ).json()
    reply = httpx.get(
        f"{base(served, where)}/whoami", headers={"Authorization": f"Bearer {session['token']}"}
    )
    identity = reply.json()["identity"]
    assert identity["tokenIdentifier"] == f"{served.url}|{session['subject']}"
    assert identity["email"] == email


@BASES
def test_a_bad_token_or_admin_key_runs_the_action_with_no_identity_as_convex_does(
    served: Served, where: str
) -> None:
    """Convex runs an HTTP action whatever its Authorization header says (a webhook may use
    its own scheme); asking for the identity then raises why the header was refused."""
    root = base(served, where)
    for header in ["Bearer junk", "Bearer " + rsa_token("x", aud="other"), "Convex livebase|x"]:
        reply = httpx.post(
            f"{root}/echo", json={"note": f"no identity {where}"}, headers={"Authorization": header}
        )
        assert reply.status_code == 200, (header, reply.text)
        asked = httpx.get(f"{root}/whoami", headers={"Authorization": header})
        assert asked.status_code == 500, header
        assert asked.json()["code"].endswith("] Server Error")
        assert "Traceback" not in asked.text
    assert runs(served, "http").count(f"no identity {where}") == 3


@BASES
def test_an_admin_acting_as_a_user_gives_the_handler_a_full_identity(
    served: Served, where: str
) -> None:
    key = (served.server.data_dir / "admin_key").read_text().strip()
    claims = {"subject": "acted", "name": "Acted"}
    acting = base64.b64encode(json.dumps(claims).encode()).decode()
    reply = httpx.get(
        f"{base(served, where)}/whoami", headers={"Authorization": f"Convex {key}:{acting}"}
    )
    assert reply.status_code == 200, reply.text
    # The same identity a function called with that header sees.
    assert reply.json()["identity"] == {
        "subject": "acted",
        "name": "Acted",
        "issuer": "livebase",
        "tokenIdentifier": "livebase|acted",
    }


@BASES
def test_a_body_over_20_mib_is_a_413_whether_declared_or_chunked(
    served: Served, where: str
) -> None:
    note = f"big {where}"
    chunk = b"x" * (1024 * 1024)
    declared = httpx.post(
        f"{base(served, where)}/echo", content=b'{"note": "' + chunk * 21 + b'"}', timeout=60
    )
    assert declared.status_code == 413

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit must count the bytes
        yield f'{{"note": "{note}", "pad": "'.encode()
        for _ in range(21):
            yield chunk
        yield b'"}'

    streamed = httpx.post(f"{base(served, where)}/echo", content=chunked(), timeout=60)
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "TooLarge"
    assert note not in runs(served, "http")


def test_the_http_port_serves_only_http_actions(served: Served) -> None:
    assert httpx.get(f"{served.actions_url}/http/files/a.txt").status_code == 404
    assert httpx.post(
        f"{served.actions_url}/api/query", json={"path": "jobs:runs"}
    ).status_code == (404)
    assert httpx.get(f"{served.actions_url}/version").status_code == 404
