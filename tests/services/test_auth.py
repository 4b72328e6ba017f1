"""Auth against a real ``livebase serve tests/apps/services``: the password provider's routes,
custom JWT providers (RS256 and ES256 tokens signed here with the test keys), every kind of
bad token refused on each path in (sync WebSocket, HTTP API, HTTP actions), the official
clients' ``set_auth``, and JWKS-from-URL and OIDC discovery against local stand-in servers.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import websockets
from convex import ConvexClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from livebase.auth import CustomJwtProvider, OidcProvider, jwt_providers
from livebase.errors import AuthFailed
from livebase.server.auth import ServerAuth
from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, start_server

KEYS = APPS / "services" / "keys"
# why: loaded once; parsing the RSA PEM (with its key checks) costs ~40 ms a token.
RSA_PRIVATE = serialization.load_pem_private_key((KEYS / "rsa_private.pem").read_bytes(), None)
EC_PRIVATE = serialization.load_pem_private_key((KEYS / "ec_private.pem").read_bytes(), None)
RSA_JWKS = json.loads((KEYS / "rsa_jwks.json").read_text())
EC_JWKS = json.loads((KEYS / "ec_jwks.json").read_text())
RSA_ISSUER = "https://issuer.test"
EC_ISSUER = "https://ec-issuer.test"
AUDIENCE = "services-app"
NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "node"
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(APPS / "services", tmp_path_factory.mktemp("auth") / "data")
    try:
        yield running
    finally:
        running.stop()


# --- helpers -----------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(issuer: str, subject: str = "user-1", **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": issuer,
        "sub": subject,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        **extra,
    }


def rsa_token(subject: str = "user-1", **overrides: Any) -> str:
    claims = {**claims_for(RSA_ISSUER, subject, email="rsa@example.test", role="admin")}
    claims.update(overrides)
    return jwt.encode(claims, RSA_PRIVATE, algorithm="RS256", headers={"kid": "rsa-1"})


def ec_token(subject: str = "user-2", **overrides: Any) -> str:
    claims = {**claims_for(EC_ISSUER, subject, email="ec@example.test", role="viewer")}
    claims.update(overrides)
    return jwt.encode(claims, EC_PRIVATE, algorithm="ES256", headers={"kid": "ec-1"})


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(signature)}"


def hs256_with(secret: bytes, claims: dict[str, Any], kid: str = "rsa-1") -> str:
    """Algorithm confusion: HMAC-signed with a public key as the shared secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def rsa_public_pem() -> bytes:
    return RSA_PRIVATE.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@functools.cache
def other_keys() -> tuple[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]:
    """Keys the server does not know, for forged tokens (made once: RSA keys are slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), ec.generate_private_key(
        ec.SECP256R1()
    )


def bad_tokens(server_url: str) -> dict[str, str]:
    """Tokens every provider of the services app must refuse, by what is wrong with them."""
    other_rsa, other_ec = other_keys()
    rsa_claims = claims_for(RSA_ISSUER, email="evil@example.test")
    now = int(time.time())
    return {
        "expired": rsa_token(exp=now - 300, iat=now - 900),
        "other audience": rsa_token(aud="another-app"),
        "other issuer": rsa_token(iss="https://evil.test"),
        "no subject": jwt.encode(
            {k: v for k, v in rsa_claims.items() if k != "sub"},
            RSA_PRIVATE,
            algorithm="RS256",
            headers={"kid": "rsa-1"},
        ),
        "forged rs256": jwt.encode(
            rsa_claims, other_rsa, algorithm="RS256", headers={"kid": "rsa-1"}
        ),
        "forged es256": jwt.encode(
            claims_for(EC_ISSUER), other_ec, algorithm="ES256", headers={"kid": "ec-1"}
        ),
        "ec issuer signed with the rsa key": jwt.encode(
            claims_for(EC_ISSUER), RSA_PRIVATE, algorithm="RS256", headers={"kid": "rsa-1"}
        ),
        "forged password token": jwt.encode(
            {**claims_for(server_url), "aud": "livebase"}, other_ec, algorithm="ES256"
        ),
        "alg none": unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, rsa_claims),
        "alg none with a signature": unsigned(
            {"alg": "none", "kid": "rsa-1"}, rsa_claims, b"not a signature"
        ),
        "hs256 with the public pem": hs256_with(rsa_public_pem(), rsa_claims),
        "hs256 with the jwks json": hs256_with(json.dumps(RSA_JWKS).encode(), rsa_claims),
        "junk": "junk",
        "two parts": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0",
        "bad base64": "!!!.@@@.###",
        "empty": "",
    }


BAD_KINDS = list(bad_tokens("http://127.0.0.1:1"))


def sign_up(
    server: RunningServer, email: str, password: str = "correct horse", **extra: Any
) -> Any:
    reply = httpx.post(
        f"{server.url}/api/auth/signup", json={"email": email, "password": password, **extra}
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def post(server: RunningServer, route: str, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{server.url}/api/auth/{route}", json=body, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}".strip()}


def whoami_over_http(server: RunningServer, token: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/query", json={"path": "jobs:whoami", "args": {}}, headers=bearer(token)
    )


def sync_exchange(server: RunningServer | str, messages: list[dict[str, Any]]) -> list[Any]:
    """Send Connect then ``messages`` on a raw sync socket; every frame until it closes (or
    the Transition that answers WATCH_WHOAMI), then ``("closed", code)`` if the server closed
    it."""

    async def run() -> list[Any]:
        base = server if isinstance(server, str) else server.url
        url = base.replace("http://", "ws://") + "/api/sync"
        received: list[Any] = []
        async with websockets.connect(url) as ws:
            connect = {
                "type": "Connect",
                "sessionId": str(uuid.uuid4()),
                "connectionCount": 0,
                "lastCloseReason": "InitialConnect",
                "clientTs": 0,
            }
            for message in [connect, *messages]:
                await ws.send(json.dumps(message))
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    received.append(frame)
                    if frame["type"] == "Transition" and frame["endVersion"]["querySet"] == 1:
                        return received
            except websockets.ConnectionClosed as closed:
                received.append(("closed", closed.rcvd.code if closed.rcvd else None))
        return received

    return asyncio.run(run())


def authenticate(token: str, base: int = 0) -> dict[str, Any]:
    return {"type": "Authenticate", "baseVersion": base, "tokenType": "User", "value": token}


WATCH_WHOAMI = {
    "type": "ModifyQuerySet",
    "baseVersion": 0,
    "newVersion": 1,
    "modifications": [{"type": "Add", "queryId": 0, "udfPath": "jobs:whoami", "args": [{}]}],
}


class Timeout(Exception):
    pass


def call_with_deadline(call: Callable[[], Any], seconds: float) -> Any:
    """Run a blocking PyPI-client call, interrupted by SIGALRM after ``seconds``.

    The PyPI client retries a refused token forever (and holds the GIL while it waits), so
    a signal is the way out; pytest-timeout's own alarm is put back afterwards."""

    def expire(signum: int, frame: Any) -> None:
        raise Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.01))


# --- the password provider ----------------------------------------------------------------


def test_signing_up_returns_a_session_with_an_es256_token_issued_by_the_deployment(
    server: RunningServer,
) -> None:
    session = sign_up(server, "New.User@Example.Test", name="New User")
    assert session["email"] == "new.user@example.test"
    assert set(session) >= {"token", "refreshToken", "expiresAt", "subject"}
    header = jwt.get_unverified_header(session["token"])
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    assert header["alg"] == "ES256"
    assert claims["iss"] == server.url
    assert claims["aud"] == "livebase"
    assert claims["sub"] == session["subject"]
    assert claims["email"] == "new.user@example.test"
    assert claims["name"] == "New User"
    assert claims["exp"] * 1000 == session["expiresAt"]
    assert claims["exp"] - claims["iat"] == 3600


def test_signing_in_with_the_right_password_gives_a_new_session_for_the_same_account(
    server: RunningServer,
) -> None:
    first = sign_up(server, "signin@example.test", "s3cret-pass")
    reply = post(server, "signin", {"email": "SignIn@Example.Test", "password": "s3cret-pass"})
    assert reply.status_code == 200, reply.text
    second = reply.json()
    assert second["subject"] == first["subject"]
    assert second["refreshToken"] != first["refreshToken"]


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(server: RunningServer) -> None:
    sign_up(server, "known@example.test", "right-password")
    wrong = post(server, "signin", {"email": "known@example.test", "password": "wrong-password"})
    unknown = post(server, "signin", {"email": "nobody@example.test", "password": "whatever1"})
    missing = post(server, "signin", {"email": "known@example.test"})
    assert wrong.status_code == unknown.status_code == missing.status_code == 401
    assert wrong.json() == unknown.json() == missing.json()
    assert wrong.json() == {"code": "invalid_credentials", "message": "Invalid email or password"}


def test_signing_up_twice_with_one_email_is_a_409_whatever_its_case(
    server: RunningServer,
) -> None:
    sign_up(server, "twice@example.test")
    again = post(server, "signup", {"email": " TWICE@example.test ", "password": "another-pw"})
    assert again.status_code == 409
    assert again.json()["code"] == "account_exists"


def test_a_weak_password_or_a_bad_email_or_body_is_a_400(server: RunningServer) -> None:
    weak = post(server, "signup", {"email": "weak@example.test", "password": "short"})
    assert weak.status_code == 400
    assert weak.json()["code"] == "weak_password"
    not_email = post(server, "signup", {"email": "not-an-email", "password": "long enough"})
    assert not_email.status_code == 400
    assert not_email.json()["code"] == "invalid_email"
    not_json = httpx.post(f"{server.url}/api/auth/signup", content=b"{nope")
    assert not_json.status_code == 400
    # The refused sign-up created nothing: the email is still free.
    assert post(
        server, "signup", {"email": "weak@example.test", "password": "long enough"}
    ).is_success


def test_an_oversized_body_is_refused_before_it_is_parsed(server: RunningServer) -> None:
    huge = {"email": "huge@example.test", "password": "p" * 100_000}
    for route in ("signup", "signin", "refresh"):
        reply = post(server, route, huge)
        assert reply.status_code == 413, route
        assert reply.json()["code"] == "too_large"
    assert post(server, "signin", {**huge, "password": "x"}).status_code == 401


def test_refreshing_rotates_the_refresh_token_and_the_old_one_stops_working(
    server: RunningServer,
) -> None:
    session = sign_up(server, "refresh@example.test")
    reply = post(server, "refresh", {"refreshToken": session["refreshToken"]})
    assert reply.status_code == 200, reply.text
    renewed = reply.json()
    assert renewed["refreshToken"] != session["refreshToken"]
    assert renewed["subject"] == session["subject"]
    assert (
        whoami_over_http(server, renewed["token"]).json()["value"]["subject"]
        == (session["subject"])
    )

    replay = post(server, "refresh", {"refreshToken": session["refreshToken"]})
    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_refresh"
    assert post(server, "refresh", {"refreshToken": renewed["refreshToken"]}).status_code == 200
    assert post(server, "refresh", {"refreshToken": "made-up"}).status_code == 401
    assert post(server, "refresh", {}).status_code == 401


def test_signing_out_revokes_the_sessions_refresh_token_only(server: RunningServer) -> None:
    one = sign_up(server, "signout@example.test", "sign-me-out")
    two = post(server, "signin", {"email": "signout@example.test", "password": "sign-me-out"})
    assert post(server, "signout", {"refreshToken": one["refreshToken"]}).status_code == 200
    assert post(server, "refresh", {"refreshToken": one["refreshToken"]}).status_code == 401
    # Signing out twice is harmless; the other session goes on.
    assert post(server, "signout", {"refreshToken": one["refreshToken"]}).status_code == 200
    assert post(server, "refresh", {"refreshToken": two.json()["refreshToken"]}).is_success


def test_changing_the_password_needs_the_old_one_and_signs_out_every_other_session(
    server: RunningServer,
) -> None:
    email = "change@example.test"
    current = sign_up(server, email, "old-password")
    other = post(server, "signin", {"email": email, "password": "old-password"}).json()
    change = {"oldPassword": "old-password", "newPassword": "new-password"}

    assert post(server, "password", change).status_code == 401  # no token
    assert post(server, "password", change, token="junk").status_code == 401
    wrong_old = post(server, "password", {**change, "oldPassword": "guess-1234"}, current["token"])
    assert wrong_old.status_code == 401
    assert wrong_old.json()["code"] == "invalid_credentials"
    weak = post(server, "password", {**change, "newPassword": "short"}, current["token"])
    assert weak.status_code == 400
    # Nothing changed so far.
    assert post(server, "signin", {"email": email, "password": "old-password"}).is_success

    changed = post(server, "password", change, current["token"])
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert fresh["subject"] == current["subject"]

    for session in (current, other):
        assert post(server, "refresh", {"refreshToken": session["refreshToken"]}).status_code == 401
    assert post(server, "refresh", {"refreshToken": fresh["refreshToken"]}).is_success
    assert post(server, "signin", {"email": email, "password": "old-password"}).status_code == 401
    assert post(server, "signin", {"email": email, "password": "new-password"}).is_success


def test_signing_in_does_not_stall_other_requests_while_passwords_are_hashed(
    server: RunningServer,
) -> None:
    sign_up(server, "busy@example.test", "busy-password")
    credentials = {"email": "busy@example.test", "password": "busy-password"}
    started = time.monotonic()
    assert post(server, "signin", credentials).is_success
    one_sign_in = time.monotonic() - started

    def sign_in_twice() -> None:
        with httpx.Client() as client:
            for _ in range(2):
                client.post(f"{server.url}/api/auth/signin", json=credentials)

    workers = [threading.Thread(target=sign_in_twice) for _ in range(6)]
    for worker in workers:
        worker.start()
    slowest = 0.0
    with httpx.Client() as client:
        while any(worker.is_alive() for worker in workers):
            started = time.monotonic()
            assert client.get(f"{server.url}/version").status_code == 200
            slowest = max(slowest, time.monotonic() - started)
    for worker in workers:
        worker.join()
    # Hashing on the event loop made /version wait behind every queued sign-in (~6x).
    assert slowest < 2 * one_sign_in + 0.05, (slowest, one_sign_in)


def test_a_password_token_gives_the_pypi_client_its_identity_until_clear_auth(
    server: RunningServer,
) -> None:
    session = sign_up(server, "pypi@example.test", name="Py Client")
    client = ConvexClient(server.url)
    assert client.query("jobs:whoami") is None
    client.set_auth(session["token"])
    identity = client.query("jobs:whoami")
    assert identity["tokenIdentifier"] == f"{server.url}|{session['subject']}"
    assert identity["subject"] == session["subject"]
    assert identity["issuer"] == server.url
    assert identity["email"] == "pypi@example.test"
    assert identity["name"] == "Py Client"
    client.clear_auth()
    assert client.query("jobs:whoami") is None


def test_a_password_token_works_as_a_bearer_token_over_http(server: RunningServer) -> None:
    session = sign_up(server, "bearer@example.test", name="Bearer")
    reply = whoami_over_http(server, session["token"])
    assert reply.status_code == 200
    identity = reply.json()["value"]
    assert identity["tokenIdentifier"] == f"{server.url}|{session['subject']}"
    assert identity["email"] == "bearer@example.test"
    assert identity["name"] == "Bearer"
    action = httpx.get(
        f"{server.url}/http/whoami", headers={"Authorization": f"Bearer {session['token']}"}
    )
    assert action.json()["identity"] == identity


# --- custom JWT providers -----------------------------------------------------------------


TOKENS = {
    "rs256": (rsa_token, RSA_ISSUER, "user-1", "rsa@example.test", "admin"),
    "es256": (ec_token, EC_ISSUER, "user-2", "ec@example.test", "viewer"),
}


@pytest.mark.parametrize("kind", list(TOKENS))
def test_a_custom_jwt_gives_an_identity_with_its_issuer_subject_and_custom_claims(
    server: RunningServer, kind: str
) -> None:
    make, issuer, subject, email, role = TOKENS[kind]
    token = make()
    expected = {
        "tokenIdentifier": f"{issuer}|{subject}",
        "subject": subject,
        "issuer": issuer,
        "email": email,
        "role": role,
    }
    over_http = whoami_over_http(server, token)
    assert over_http.status_code == 200
    assert over_http.json()["value"] == expected

    client = ConvexClient(server.url)
    client.set_auth(token)
    assert client.query("jobs:whoami") == expected

    frames = sync_exchange(server, [authenticate(token), WATCH_WHOAMI])
    transition = frames[-1]
    assert transition["type"] == "Transition"
    assert transition["endVersion"]["identity"] == 1
    assert transition["modifications"][0]["value"] == expected


def test_the_pypi_client_switches_identities_with_each_set_auth(server: RunningServer) -> None:
    client = ConvexClient(server.url)
    client.set_auth(rsa_token("first"))
    assert client.query("jobs:whoami")["tokenIdentifier"] == f"{RSA_ISSUER}|first"
    client.set_auth(ec_token("second"))
    assert client.query("jobs:whoami")["tokenIdentifier"] == f"{EC_ISSUER}|second"
    client.clear_auth()
    assert client.query("jobs:whoami") is None


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_a_bad_token_gets_an_auth_error_frame_and_the_socket_closes(
    server: RunningServer, kind: str
) -> None:
    token = bad_tokens(server.url)[kind]
    frames = sync_exchange(server, [authenticate(token), WATCH_WHOAMI])
    assert frames[0]["type"] == "AuthError", frames
    assert frames[0]["baseVersion"] == 0
    assert isinstance(frames[0]["error"], str) and frames[0]["error"]
    assert frames[-1][0] == "closed", frames
    assert not [f for f in frames if isinstance(f, dict) and f["type"] == "Transition"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_a_bad_token_is_a_401_over_the_http_api_and_http_actions(
    server: RunningServer, kind: str
) -> None:
    token = bad_tokens(server.url)[kind]
    reply = whoami_over_http(server, token)
    assert reply.status_code == 401, reply.text
    assert reply.json()["code"] == "Unauthenticated"
    action = httpx.get(f"{server.url}/http/whoami", headers=bearer(token))
    assert action.status_code == 401
    assert "identity" not in action.json()


def test_a_bad_token_on_an_authenticated_socket_ends_it_without_a_new_identity(
    server: RunningServer,
) -> None:
    forged = bad_tokens(server.url)["forged rs256"]
    frames = sync_exchange_after_transition(server, rsa_token(), forged)
    assert frames[0]["type"] == "AuthError", frames
    assert frames[0]["baseVersion"] == 1
    assert frames[-1][0] == "closed"
    assert len(frames) == 2


def sync_exchange_after_transition(server: RunningServer, good: str, bad: str) -> list[Any]:
    """Authenticate with ``good``, wait for its Transition, then send ``bad``."""

    async def run() -> list[Any]:
        base = server if isinstance(server, str) else server.url
        url = base.replace("http://", "ws://") + "/api/sync"
        received: list[Any] = []
        async with websockets.connect(url) as ws:
            await ws.send(
                json.dumps(
                    {
                        "type": "Connect",
                        "sessionId": str(uuid.uuid4()),
                        "connectionCount": 0,
                        "lastCloseReason": "InitialConnect",
                        "clientTs": 0,
                    }
                )
            )
            await ws.send(json.dumps(authenticate(good)))
            await ws.send(json.dumps(WATCH_WHOAMI))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if frame["type"] == "Transition" and frame["endVersion"]["querySet"] == 1:
                    break
            await ws.send(json.dumps(authenticate(bad, base=1)))
            try:
                while True:
                    received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            except websockets.ConnectionClosed as closed:
                received.append(("closed", closed.rcvd.code if closed.rcvd else None))
        return received

    return asyncio.run(run())


# why: the PyPI client notices the alarm only about once a second, so a few kinds only.
@pytest.mark.parametrize("kind", ["forged rs256", "alg none", "hs256 with the public pem"])
def test_the_pypi_client_never_sees_an_identity_for_a_refused_token(
    server: RunningServer, kind: str
) -> None:
    client = ConvexClient(server.url)
    client.set_auth(bad_tokens(server.url)[kind])
    try:
        # Refused, the client reconnects and retries forever: it must never get a result
        # that carries an identity (an anonymous None would be acceptable too).
        result = call_with_deadline(lambda: client.query("jobs:whoami"), 0.3)
    except Timeout:
        result = None
    assert result is None


def test_a_provider_that_crashes_refuses_the_token_and_the_next_provider_still_runs() -> None:
    class Broken:
        def verify(self, token: str) -> dict[str, Any]:
            raise KeyError("a bug in a provider")

    keys = CustomJwtProvider(
        issuer=RSA_ISSUER, jwks=str(KEYS / "rsa_jwks.json"), application_id=AUDIENCE
    )
    assert ServerAuth([Broken(), keys]).user(rsa_token("next"))["subject"] == "next"
    with pytest.raises(AuthFailed, match="Broken could not check the token"):
        ServerAuth([Broken()]).user(rsa_token())


# --- keys from a URL, OIDC discovery (in process, against a local stand-in) --------------


class StandIn:
    """A tiny HTTP server on 127.0.0.1 serving JSON documents by path, counting requests."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.hits: dict[str, int] = {}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.hits[self.path] = stand_in.hits.get(self.path, 0) + 1
                if self.path not in stand_in.documents:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(stand_in.documents[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    served = StandIn()
    try:
        yield served
    finally:
        served.close()


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def test_a_jwks_served_from_a_url_verifies_tokens_and_refuses_forged_ones(
    stand_in: StandIn,
) -> None:
    stand_in.documents["/jwks.json"] = RSA_JWKS
    provider = CustomJwtProvider(
        issuer=RSA_ISSUER,
        jwks=f"{stand_in.url}/jwks.json",
        algorithm="RS256",
        application_id=AUDIENCE,
    )
    identity = provider.verify(rsa_token("url-user"))
    assert identity["tokenIdentifier"] == f"{RSA_ISSUER}|url-user"
    assert identity["email"] == "rsa@example.test" and identity["role"] == "admin"
    for kind in ["forged rs256", "expired", "other audience", "alg none", "two parts"]:
        with pytest.raises(AuthFailed):
            provider.verify(bad_tokens("http://unused")[kind])
    # The keys are cached: one fetch served every verification with a known key id.
    assert stand_in.hits["/jwks.json"] == 1


def test_a_rotated_key_is_fetched_but_unknown_key_ids_do_not_refetch_every_time(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in.documents["/jwks.json"] = RSA_JWKS
    provider = CustomJwtProvider(
        issuer=RSA_ISSUER, jwks=f"{stand_in.url}/jwks.json", application_id=AUDIENCE
    )
    provider.verify(rsa_token())
    rotated, _ = other_keys()
    stand_in.documents["/jwks.json"] = {"keys": [*RSA_JWKS["keys"], public_jwk(rotated, "rsa-2")]}
    new_token = jwt.encode(
        claims_for(RSA_ISSUER, "rotated"), rotated, algorithm="RS256", headers={"kid": "rsa-2"}
    )

    # Right after a fetch, unknown key ids are refused without asking the provider again.
    for kid in ["rsa-2", "made-up-1", "made-up-2"]:
        token = jwt.encode(claims_for(RSA_ISSUER), rotated, algorithm="RS256", headers={"kid": kid})
        with pytest.raises(AuthFailed):
            provider.verify(token)
    assert stand_in.hits["/jwks.json"] == 1

    # Once the pause is over, an unknown key id fetches the keys again and the new key works.
    monkeypatch.setattr(jwt_providers, "JWKS_REFETCH_COOLDOWN", 0)
    assert provider.verify(new_token)["subject"] == "rotated"
    assert stand_in.hits["/jwks.json"] == 2
    assert provider.verify(rsa_token("old-key"))["subject"] == "old-key"


def test_oidc_discovery_finds_the_providers_keys_and_checks_issuer_and_audience(
    stand_in: StandIn,
) -> None:
    stand_in.documents["/.well-known/openid-configuration"] = {
        "issuer": stand_in.url,
        "jwks_uri": f"{stand_in.url}/oidc/keys",
    }
    stand_in.documents["/oidc/keys"] = RSA_JWKS
    provider = OidcProvider(domain=stand_in.url + "/", application_id="oidc-client")

    def oidc_token(**overrides: Any) -> str:
        claims = {**claims_for(stand_in.url, "oidc-user"), "aud": "oidc-client", "name": "Oi"}
        claims.update(overrides)
        return jwt.encode(claims, RSA_PRIVATE, algorithm="RS256", headers={"kid": "rsa-1"})

    identity = provider.verify(oidc_token())
    assert identity == {
        "tokenIdentifier": f"{stand_in.url}|oidc-user",
        "subject": "oidc-user",
        "issuer": stand_in.url,
        "name": "Oi",
    }
    with pytest.raises(AuthFailed, match="audience"):
        provider.verify(oidc_token(aud=AUDIENCE))
    with pytest.raises(AuthFailed, match="issuer"):
        provider.verify(oidc_token(iss=RSA_ISSUER))
    with pytest.raises(AuthFailed):
        provider.verify(rsa_token())


def test_a_broken_or_missing_discovery_document_refuses_tokens_with_an_auth_error(
    stand_in: StandIn,
) -> None:
    stand_in.documents["/broken/.well-known/openid-configuration"] = {"issuer": "x"}
    token = jwt.encode(
        {**claims_for(stand_in.url), "aud": "c"},
        RSA_PRIVATE,
        algorithm="RS256",
        headers={"kid": "rsa-1"},
    )
    for domain in [f"{stand_in.url}/broken", f"{stand_in.url}/missing"]:
        with pytest.raises(AuthFailed, match="keys"):
            OidcProvider(domain=domain, application_id="c").verify(token)


# --- the npm clients ----------------------------------------------------------------------


@pytest.mark.skipif(
    NODE is None or not (NODE_DIR / "node_modules" / "convex").is_dir(),
    reason="node or tests/e2e/node/node_modules is missing (run `npm ci` in tests/e2e/node)",
)
def test_the_npm_clients_authenticate_with_set_auth_and_refuse_bad_tokens(
    server: RunningServer,
) -> None:
    assert NODE is not None
    session = sign_up(server, "npm@example.test", name="Npm")
    bad = bad_tokens(server.url)
    env = {
        "AUTH_TOKENS": json.dumps([session["token"], rsa_token("npm-rsa"), ec_token("npm-ec")]),
        "BAD_TOKENS": json.dumps([bad["forged rs256"], bad["expired"], bad["alg none"]]),
    }
    proc = subprocess.run(
        [NODE, "auth.mjs", server.url],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    context = (
        f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n"
        + (proc.stderr[-3000:])
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, context
    report = json.loads(lines[-1])
    assert all(status == "ok" for status in report["steps"].values()), context
    assert proc.returncode == 0, context
    obs = report["observations"]

    expected = [
        (f"{server.url}|{session['subject']}", "npm@example.test"),
        (f"{RSA_ISSUER}|npm-rsa", "rsa@example.test"),
        (f"{EC_ISSUER}|npm-ec", "ec@example.test"),
    ]
    for step in ("ws_identity", "http_identity"):
        got = [(i["tokenIdentifier"], i["email"]) for i in obs[step]["identities"]]
        assert got == expected, step
    assert obs["ws_identity"]["identities"][0]["name"] == "Npm"
    assert obs["ws_identity"]["identities"][1]["role"] == "admin"
    assert obs["ws_identity"]["authStates"] == [[True]] * 3
    assert obs["ws_rejected"]["authStates"] == [[False]] * 3
    assert obs["ws_rejected"]["seen"] == [[None]] * 3
    assert all("Unauthenticated" in message for message in obs["http_rejected"]["errors"])
