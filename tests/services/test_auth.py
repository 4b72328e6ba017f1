"""Auth against a real ``livebase serve tests/apps/services``: the password provider's routes,
custom JWT providers (RS256 and ES256 tokens signed here with the test keys), every kind of
bad token refused on each path in (sync WebSocket, HTTP API, HTTP actions), the official
clients' ``set_auth``, Convex's ``auth.test.ts`` (its refusals' codes and texts, its 5-second
clock tolerance, ``kid`` required) on a copy of its test deployment, and JWKS-from-URL and OIDC
discovery against local stand-in servers;
who may sign up (closed by default, allowed domains, the ``on_signup`` hook), throttled
sign-ins, and password hashing on a pool of its own under a flood.
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
import sys
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
from argon2 import PasswordHasher
from convex import ConvexClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from livebase.engine.errors import AuthFailed, ConvexError, LivebaseError
from livebase.server.auth import ServerAuth
from livebase.services.auth import CustomJwtProvider, OidcProvider, PasswordProvider, jwt_providers
from livebase.services.auth.hashing import Busy, HashingPool, default_workers
from livebase.services.auth.throttle import Throttle
from livebase.testing import AppTester
from tests.conftest import APPS
from tests.e2e.conftest import RunningServer, free_port, source_env, start_process, start_server

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
# the key or the signature is wrong (a production deployment does not name the key id)
DECODE = ("InvalidAuthHeader", "header doesn't match any key in the provider's JWKS, or the JWT")
NOT_A_JWT = ("InvalidAuthHeader", "three base64-encoded parts separated by dots")
# What a production deployment (livebase serve) answers each bad token, as Convex does.
BAD_REFUSALS = {
    "expired": ("InvalidAuthHeader", "Could not validate token: Token expired 30"),
    "other audience": ("NoAuthProvider", "No auth provider found matching the given token"),
    "other issuer": ("NoAuthProvider", "No auth provider found matching the given token"),
    "no subject": ("InvalidAuthHeader", "Could not verify token claim."),
    "forged rs256": DECODE,
    "forged es256": DECODE,
    "ec issuer signed with the rsa key": DECODE,
    "forged password token": ("Unauthenticated", "Could not verify password provider token"),
    "alg none": DECODE,
    "alg none with a signature": DECODE,
    "hs256 with the public pem": DECODE,
    "hs256 with the jwks json": DECODE,
    "junk": NOT_A_JWT,
    "two parts": ("InvalidAuthHeader", "Missing issuer claim ('iss') in JWT payload."),
    "bad base64": NOT_A_JWT,
    "empty": NOT_A_JWT,
}


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
    # Hashing on the event loop made /version wait behind every queued sign-in (~6x and more:
    # twelve are queued). On two busy cores the hashing threads still slow the loop a little
    # (2.9x measured once in a full run), so the bound leaves room for that.
    assert slowest < 4 * one_sign_in + 0.1, (slowest, one_sign_in)


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
    assert BAD_REFUSALS[kind][1] in frames[0]["error"]
    assert frames[-1][0] == "closed", frames
    assert not [f for f in frames if isinstance(f, dict) and f["type"] == "Transition"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_a_bad_token_is_a_401_over_the_http_api_and_no_identity_in_http_actions(
    server: RunningServer, kind: str
) -> None:
    token = bad_tokens(server.url)[kind]
    reply = whoami_over_http(server, token)
    assert reply.status_code == 401, reply.text
    code, text = BAD_REFUSALS[kind]
    assert reply.json()["code"] == code
    assert text in reply.json()["message"]
    # as on Convex, the HTTP action runs; asking who the caller is raises why it was refused
    action = httpx.get(f"{server.url}/http/whoami", headers=bearer(token))
    assert action.status_code == 500
    assert action.json()["code"].endswith("] Server Error") and "identity" not in action.json()


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


# --- refused tokens, as Convex refuses them (its js-integration-tests/auth.test.ts) -------

CONVEX_ISSUER = "https://issuer.example.com/1"
NO_AUD_ISSUER = "https://issuer.example.com/no-aud-specified"
WRONG_KID = "key-2 (oops, this is the wrong kid!)"


def convex_auth_app(root: Path, unreachable_jwks: str) -> Path:
    """Convex's test deployment (its ``convex/auth.config.ts``) as a livebase app: App 1 and a
    provider with no application id on the test RSA keys, App 3 on a JWKS URL nobody answers,
    App 4 on a JWKS that is not JSON; ``auth:q`` is the caller's identity."""
    package = root / f"convexauth_{uuid.uuid4().hex[:12]}"
    package.mkdir(parents=True)
    not_jwks = root / "not-a-valid-jwks"
    not_jwks.write_text("not-a-valid-jwks")
    rsa_jwks = str(KEYS / "rsa_jwks.json")
    (package / "__init__.py").write_text("")
    (package / "auth.py").write_text(
        "from livebase import query\n"
        "from livebase.services.auth import CustomJwtProvider\n\n"
        "providers = [\n"
        f"    CustomJwtProvider(issuer={CONVEX_ISSUER!r}, jwks={rsa_jwks!r},"
        " application_id='App 1'),\n"
        f"    CustomJwtProvider(issuer={NO_AUD_ISSUER!r}, jwks={rsa_jwks!r}),\n"
        "    CustomJwtProvider(issuer='https://issuer.example.com/3',"
        f" jwks={unreachable_jwks!r}, application_id='App 3'),\n"
        "    CustomJwtProvider(issuer='https://issuer.example.com/4',"
        f" jwks={str(not_jwks)!r}, application_id='App 4'),\n"
        "]\n\n\n"
        "@query\n"
        "async def q(ctx):\n"
        "    return await ctx.auth.get_user_identity()\n"
    )
    return package


def start_app(app: Path, data_dir: Path, command: str = "serve") -> RunningServer:
    """``livebase serve`` or ``livebase dev`` of ``app``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "livebase", command, str(app), "--port", str(port)]
    argv += ["--data-dir", str(data_dir), "--log-level", "warning"]
    log = data_dir.parent / f"server-{port}.log"
    return RunningServer(url, port, data_dir, start_process(argv, url, log), log)


@pytest.fixture(scope="module")
def convex_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("convex-auth")
    return convex_auth_app(root, f"http://127.0.0.1:{free_port()}/not/a/jwks")


@pytest.fixture(scope="module")
def convex_dev(convex_app: Path) -> Iterator[RunningServer]:
    """Convex's test deployment on ``livebase dev``: unredacted, as Convex's test backend."""
    running = start_app(convex_app, convex_app.parent / "dev-data", "dev")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def convex_serve(convex_app: Path) -> Iterator[RunningServer]:
    """Convex's test deployment on ``livebase serve``: a production deployment."""
    running = start_app(convex_app, convex_app.parent / "serve-data")
    try:
        yield running
    finally:
        running.stop()


def convex_jwt(
    *,
    issuer: str | None = CONVEX_ISSUER,
    audience: str | None = "App 1",
    expires_in: int = 3600,
    issued_at: int | None = -10,
    kid: str | None = "rsa-1",
    **claims: Any,
) -> str:
    """A token as auth.test.ts's ``createSignedJWT`` signs one: RS256 with the test key,
    ``{"name": "Presley"}`` for "The Subject", issued 10 s ago, expiring in an hour."""
    now = int(time.time())
    body: dict[str, Any] = {"name": "Presley", "sub": "The Subject", "exp": now + expires_in}
    if issued_at is not None:
        body["iat"] = now + issued_at
    if issuer is not None:
        body["iss"] = issuer
    if audience is not None:
        body["aud"] = audience
    body.update(claims)
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(body, RSA_PRIVATE, algorithm="RS256", headers=headers)


def refusal_of(server: RunningServer, token: str) -> dict[str, Any]:
    """The 401 body of ``auth:q`` called with ``token``, as the npm HTTP client reads it."""
    reply = httpx.post(
        f"{server.url}/api/query", json={"path": "auth:q", "args": {}}, headers=bearer(token)
    )
    assert reply.status_code == 401, reply.text
    body: dict[str, Any] = reply.json()
    assert set(body) == {"code", "message"}, body
    return body


def identity_of(server: RunningServer, token: str) -> Any:
    reply = httpx.post(
        f"{server.url}/api/query", json={"path": "auth:q", "args": {}}, headers=bearer(token)
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["value"]


def test_a_token_no_provider_matches_is_no_auth_provider_naming_the_providers(
    convex_dev: RunningServer,
) -> None:
    token = convex_jwt(issuer="https://unknown-issuer.example.com", audience="Unknown App")
    error = refusal_of(convex_dev, token)
    assert error["code"] == "NoAuthProvider"
    assert error["message"] == (
        "No auth provider found matching the given token. Check that your JWT's issuer and "
        "audience match one of your configured providers: ["
        "CustomJWT(issuer=https://issuer.example.com/1, app_id=App 1), "
        "CustomJWT(issuer=https://issuer.example.com/no-aud-specified, app_id=none), "
        "CustomJWT(issuer=https://issuer.example.com/3, app_id=App 3), "
        "CustomJWT(issuer=https://issuer.example.com/4, app_id=App 4)]"
    )


def test_a_production_deployment_leaves_out_the_providers_and_the_kid_as_convex_redacts_them(
    convex_serve: RunningServer,
) -> None:
    unknown = convex_jwt(issuer="https://unknown-issuer.example.com", audience="Unknown App")
    assert refusal_of(convex_serve, unknown) == {
        "code": "NoAuthProvider",
        "message": "No auth provider found matching the given token",
    }
    assert refusal_of(convex_serve, convex_jwt(kid=WRONG_KID)) == {
        "code": "InvalidAuthHeader",
        "message": "Could not decode token. The JWT's 'kid' (key ID) header doesn't match any "
        "key in the provider's JWKS, or the JWT signature is invalid.",
    }
    frames = sync_exchange(convex_serve.url, [authenticate(unknown)])
    assert frames[0]["error"] == "No auth provider found matching the given token"


def test_a_token_without_an_issuer_is_invalid_auth_header_naming_the_iss_claim(
    convex_dev: RunningServer,
) -> None:
    error = refusal_of(convex_dev, convex_jwt(issuer=None))
    assert error == {
        "code": "InvalidAuthHeader",
        "message": "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' "
        "claim that matches one of your configured auth providers.",
    }


def test_a_token_without_the_audience_its_provider_needs_matches_no_provider(
    convex_dev: RunningServer,
) -> None:
    assert refusal_of(convex_dev, convex_jwt(audience=None))["code"] == "NoAuthProvider"
    assert refusal_of(convex_dev, convex_jwt(audience="asdf"))["code"] == "NoAuthProvider"
    # A provider without an application id takes any audience, or none.
    for audience in ("asdf", None):
        identity = identity_of(convex_dev, convex_jwt(issuer=NO_AUD_ISSUER, audience=audience))
        assert identity["name"] == "Presley"
        assert identity["tokenIdentifier"] == f"{NO_AUD_ISSUER}|The Subject"


def test_a_token_without_a_kid_is_invalid_auth_header_missing_a_kid(
    convex_dev: RunningServer, convex_serve: RunningServer
) -> None:
    # The JWKS has a single key: livebase used to take it for a token that names none.
    for server in (convex_dev, convex_serve):
        assert refusal_of(server, convex_jwt(kid=None)) == {
            "code": "InvalidAuthHeader",
            "message": "Could not decode token. JWT may be missing a 'kid' (key ID) header.",
        }


def test_a_token_with_an_unknown_kid_could_not_be_decoded_naming_the_kid(
    convex_dev: RunningServer,
) -> None:
    error = refusal_of(convex_dev, convex_jwt(kid=WRONG_KID))
    assert error == {
        "code": "InvalidAuthHeader",
        "message": f"Could not decode token. The JWT's 'kid' (key ID) header is '{WRONG_KID}', "
        "does this key match any key in the provider's JWKS?",
    }
    # A token signed with another key, for the right key id, says the same.
    other_rsa, _ = other_keys()
    forged = jwt.encode(
        jwt.decode(convex_jwt(), options={"verify_signature": False}),
        other_rsa,
        algorithm="RS256",
        headers={"kid": "rsa-1"},
    )
    assert "header is 'rsa-1', does this key match" in refusal_of(convex_dev, forged)["message"]


def test_a_malformed_jwt_is_invalid_auth_header_asking_for_three_base64_parts(
    convex_dev: RunningServer,
) -> None:
    for token in ("not.a.jwt", "junk", ""):
        assert refusal_of(convex_dev, token) == {
            "code": "InvalidAuthHeader",
            "message": "Could not parse JWT payload. Check that the token is a valid JWT format "
            "with three base64-encoded parts separated by dots.",
        }, token


def test_a_jwks_that_is_not_json_is_invalid_auth_header_invalid_jwks_response_body(
    convex_dev: RunningServer, convex_app: Path
) -> None:
    token = convex_jwt(issuer="https://issuer.example.com/4", audience="App 4")
    expected = {
        "code": "InvalidAuthHeader",
        "message": f"Invalid JWKS response body from '{convex_app.parent / 'not-a-valid-jwks'}'. "
        "The response is not valid JSON or doesn't match the expected JWKS format.",
    }
    # the second comes while the provider waits to read the keys again: the same answer
    assert refusal_of(convex_dev, token) == expected
    assert refusal_of(convex_dev, token) == expected


def test_an_unreachable_jwks_url_is_invalid_auth_header_asking_whether_it_is_accessible(
    convex_dev: RunningServer,
) -> None:
    token = convex_jwt(issuer="https://issuer.example.com/3", audience="App 3")
    first, second = refusal_of(convex_dev, token), refusal_of(convex_dev, token)
    assert first == second
    assert first["code"] == "InvalidAuthHeader"
    message = first["message"]
    assert message.startswith("Could not fetch JWKS from URL 'http://127.0.0.1:"), message
    assert message.endswith("Check that the URL is correct and accessible."), message


def test_a_token_expired_10_seconds_ago_is_invalid_auth_header_token_expired_seconds_ago(
    convex_dev: RunningServer,
) -> None:
    # livebase's providers allowed 30 s; Convex allows 5
    error = refusal_of(convex_dev, convex_jwt(issued_at=-20, expires_in=-10))
    assert error["code"] == "InvalidAuthHeader"
    assert error["message"] in {
        f"Could not validate token: Token expired {n} seconds ago" for n in (10, 11)
    }


def test_a_token_valid_10_seconds_from_now_is_refused_and_3_seconds_is_within_the_tolerance(
    convex_dev: RunningServer,
) -> None:
    assert identity_of(convex_dev, convex_jwt(issued_at=3))["subject"] == "The Subject"
    assert identity_of(convex_dev, convex_jwt(issued_at=None))["name"] == "Presley"
    now = int(time.time())
    for token in (convex_jwt(issued_at=10), convex_jwt(nbf=now + 10)):
        error = refusal_of(convex_dev, token)
        assert error["code"] == "InvalidAuthHeader"
        assert error["message"] in {
            f"Could not validate token: Token will be valid in {n} seconds" for n in (9, 10)
        }


def test_a_token_without_a_subject_or_an_expiry_is_invalid_auth_header_could_not_verify_claims(
    convex_dev: RunningServer,
) -> None:
    claims = jwt.decode(convex_jwt(), options={"verify_signature": False})
    for missing in ("sub", "exp"):
        token = jwt.encode(
            {k: v for k, v in claims.items() if k != missing},
            RSA_PRIVATE,
            algorithm="RS256",
            headers={"kid": "rsa-1"},
        )
        assert refusal_of(convex_dev, token) == {
            "code": "InvalidAuthHeader",
            "message": "Could not verify token claim. Check that the JWT contains valid claims "
            "and matches your auth provider configuration.",
        }, missing


def test_the_auth_error_frame_carries_convexs_message_and_the_socket_closes(
    convex_dev: RunningServer,
) -> None:
    for token in (convex_jwt(kid=None), convex_jwt(audience="asdf"), "not.a.jwt"):
        expected = refusal_of(convex_dev, token)["message"]
        frames = sync_exchange(convex_dev.url, [authenticate(token), WATCH_WHOAMI])
        assert frames[0] == {
            "type": "AuthError",
            "error": expected,
            "baseVersion": 0,
            "authUpdateAttempted": True,
        }
        assert frames[-1][0] == "closed", frames
    # and a good token still authenticates the socket
    frames = sync_exchange(
        convex_dev.url,
        [
            authenticate(convex_jwt()),
            {
                **WATCH_WHOAMI,
                "modifications": [{**WATCH_WHOAMI["modifications"][0], "udfPath": "auth:q"}],
            },
        ],
    )
    assert frames[-1]["modifications"][0]["value"]["name"] == "Presley"


def test_a_refused_password_token_is_unauthenticated_as_convex_refuses_an_oidc_token(
    server: RunningServer,
) -> None:
    forged = bad_tokens(server.url)["forged password token"]
    reply = whoami_over_http(server, forged)
    assert reply.status_code == 401
    assert reply.json() == {
        "code": "Unauthenticated",
        "message": "Could not verify password provider token claim. Check that the token "
        "signature is valid and the token hasn't expired.",
    }
    # the provider's own tokens (no kid: it signs them itself) still work
    session = sign_up(server, "oidc-like@example.test")
    assert (
        whoami_over_http(server, session["token"]).json()["value"]["subject"]
        == (session["subject"])
    )


def test_a_deployment_without_providers_says_no_providers_are_configured(
    tmp_path: Path,
) -> None:
    package = tmp_path / f"noauth_{uuid.uuid4().hex[:12]}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "auth.py").write_text(
        "from livebase import query\n\n\n@query\nasync def q(ctx):\n"
        "    return await ctx.auth.get_user_identity()\n"
    )
    running = start_app(package, tmp_path / "data", "dev")
    try:
        assert refusal_of(running, convex_jwt()) == {
            "code": "NoAuthProvider",
            "message": "No auth provider found matching the given token (no providers "
            "configured). Check the providers in the app's auth.py.",
        }
    finally:
        running.stop()


def test_an_oidc_token_that_does_not_verify_is_unauthenticated_and_failed_discovery_says_so(
    stand_in: StandIn, tmp_path: Path
) -> None:
    stand_in.documents["/.well-known/openid-configuration"] = {
        "issuer": stand_in.url,
        "jwks_uri": f"{stand_in.url}/oidc/keys",
    }
    stand_in.documents["/oidc/keys"] = RSA_JWKS
    missing = f"{stand_in.url}/missing"
    package = tmp_path / f"oidcauth_{uuid.uuid4().hex[:12]}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "auth.py").write_text(
        "from livebase import query\n"
        "from livebase.services.auth import OidcProvider\n\n"
        "providers = [\n"
        f"    OidcProvider(domain={stand_in.url!r}, application_id='oidc-client'),\n"
        f"    OidcProvider(domain={missing!r}, application_id='oidc-client'),\n"
        "]\n\n\n"
        "@query\nasync def q(ctx):\n    return await ctx.auth.get_user_identity()\n"
    )

    def oidc_token(issuer: str, key: Any = RSA_PRIVATE) -> str:
        claims = {**claims_for(issuer, "oidc-user"), "aud": "oidc-client"}
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "rsa-1"})

    running = start_app(package, tmp_path / "data", "dev")
    try:
        assert identity_of(running, oidc_token(stand_in.url))["subject"] == "oidc-user"
        other_rsa, _ = other_keys()
        assert refusal_of(running, oidc_token(stand_in.url, other_rsa)) == {
            "code": "Unauthenticated",
            "message": "Could not verify OIDC token claim. Check that the token signature is "
            "valid and the token hasn't expired.",
        }
        # as Convex maps the provider's own answer (404) to its reply; the second comes while
        # the provider waits to look again, with the same answer
        for _ in range(2):
            reply = httpx.post(
                f"{running.url}/api/query",
                json={"path": "auth:q", "args": {}},
                headers=bearer(oidc_token(missing)),
            )
            assert reply.status_code == 404, reply.text
            assert reply.json() == {
                "code": "AuthProviderDiscoveryFailed",
                "message": f"Auth provider discovery of {missing} failed: 404 Not Found ",
            }
    finally:
        running.stop()


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
    # the npm HTTP client throws the body as its message, as auth.test.ts reads it
    refusals = [json.loads(message) for message in obs["http_rejected"]["errors"]]
    assert [r["code"] for r in refusals] == ["InvalidAuthHeader"] * 3, refusals
    assert "Token expired" in refusals[1]["message"]


# --- who may sign up ------------------------------------------------------------------------


def start_services(data_dir: Path, **env: str) -> RunningServer:
    """``livebase serve tests/apps/services`` with extra environment variables."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "livebase", "serve", str(APPS / "services")]
    command += ["--port", str(port), "--data-dir", str(data_dir), "--log-level", "warning"]
    log = data_dir.parent / f"server-{port}.log"
    return RunningServer(
        url, port, data_dir, start_process(command, url, log, source_env(**env)), log
    )


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The services app with the provider's default sign-up policy (closed), ``staff.test``
    allowed, and the ``accounts:admit`` hook accepting the invitation ``welcome-aboard``."""
    data_dir = tmp_path_factory.mktemp("closed") / "data"
    running = start_services(data_dir, SERVICES_SIGNUP="default")
    try:
        yield running
    finally:
        running.stop()


def profiles(server: RunningServer, email: str) -> list[str]:
    reply = httpx.post(
        f"{server.url}/api/query", json={"path": "accounts:profiles", "args": {"email": email}}
    )
    assert reply.json()["status"] == "success", reply.text
    return list(reply.json()["value"])


CLOSED = {
    "code": "signup_closed",
    "message": "Sign-up is closed here: ask an administrator for an invitation",
}


def test_sign_up_is_closed_by_default_with_a_403_and_nothing_created(
    closed_server: RunningServer,
) -> None:
    assert PasswordProvider().signup == "closed"
    refused = post(
        closed_server, "signup", {"email": "nobody@example.test", "password": "pw-long-1"}
    )
    assert refused.status_code == 403
    assert refused.json() == CLOSED
    assert profiles(closed_server, "nobody@example.test") == []  # the hook never ran
    signin = post(
        closed_server, "signin", {"email": "nobody@example.test", "password": "pw-long-1"}
    )
    assert signin.status_code == 401


def test_an_allowed_domain_signs_up_while_sign_up_is_closed(closed_server: RunningServer) -> None:
    session = sign_up(closed_server, "Someone@STAFF.test", name="Staff")
    assert session["email"] == "someone@staff.test"
    assert profiles(closed_server, "someone@staff.test") == [
        f"{closed_server.url}|{session['subject']}"
    ]
    for email in ("x@sub.staff.test", "x@staff.test.example", "x@notstaff.test"):
        reply = post(closed_server, "signup", {"email": email, "password": "pw-long-1"})
        assert reply.status_code == 403, email


def test_the_on_signup_hook_admits_an_invitation_within_the_sign_ups_transaction(
    closed_server: RunningServer,
) -> None:
    session = sign_up(closed_server, "guest@example.test", invite="welcome-aboard")
    assert profiles(closed_server, "guest@example.test") == [
        f"{closed_server.url}|{session['subject']}"
    ]
    again = post(
        closed_server, "signin", {"email": "guest@example.test", "password": "correct horse"}
    )
    assert again.status_code == 200
    assert whoami_over_http(closed_server, again.json()["token"]).json()["value"]["email"] == (
        "guest@example.test"
    )


def test_a_hook_refusing_with_convex_error_refuses_the_sign_up_and_writes_nothing(
    closed_server: RunningServer,
) -> None:
    body = {"email": "forger@example.test", "password": "pw-long-1", "invite": "forged"}
    refused = post(closed_server, "signup", body)
    assert refused.status_code == 400
    assert refused.json() == {"code": "invalid_invite", "message": "That invitation is not valid"}
    # The hook inserted a profile before it refused: gone with the account.
    assert profiles(closed_server, "forger@example.test") == []
    assert post(closed_server, "signin", body).status_code == 401
    # No account was left behind: the right invitation signs the email up.
    sign_up(closed_server, "forger@example.test", "pw-long-1", invite="welcome-aboard")


def test_a_refused_sign_up_does_not_tell_whether_the_email_has_an_account(
    closed_server: RunningServer,
) -> None:
    sign_up(closed_server, "member@example.test", invite="welcome-aboard")
    for invite in (None, "forged"):
        extra = {} if invite is None else {"invite": invite}
        known = post(
            closed_server, "signup", {"email": "member@example.test", "password": "x" * 9, **extra}
        )
        fresh = post(
            closed_server,
            "signup",
            {"email": "stranger@example.test", "password": "x" * 9, **extra},
        )
        assert known.status_code == fresh.status_code != 409
        assert known.json() == fresh.json()
    # Only an admitted sign-up learns that the account exists.
    admitted = post(
        closed_server,
        "signup",
        {"email": "member@example.test", "password": "x" * 9, "invite": "welcome-aboard"},
    )
    assert admitted.status_code == 409
    assert admitted.json()["code"] == "account_exists"
    assert len(profiles(closed_server, "member@example.test")) == 1


class CountingHasher(PasswordHasher):
    """argon2, counting the hashes it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.hashes = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)


@pytest.fixture
def services_runtime(tmp_path: Path) -> Iterator[AppTester]:
    with AppTester(APPS / "services", tmp_path / "data") as tester:
        yield tester


def test_a_sign_up_refused_by_policy_costs_no_password_hash(services_runtime: AppTester) -> None:
    hasher = CountingHasher()
    provider = PasswordProvider(on_signup="accounts:admit", hasher=hasher)
    provider.bind(services_runtime.runtime)
    made = hasher.hashes  # the provider's own dummy hash
    for invite in (None, ""):
        with pytest.raises(ConvexError) as refused:
            provider.sign_up("flood@example.test", "pw-long-1", invite=invite)
        assert refused.value.data == CLOSED
    assert hasher.hashes == made
    closed_without_hook = PasswordProvider(hasher=hasher)
    closed_without_hook.bind(services_runtime.runtime)
    with pytest.raises(ConvexError):
        closed_without_hook.sign_up("flood@example.test", "pw-long-1", invite="welcome-aboard")
    assert hasher.hashes == made + 1  # only the second provider's dummy hash


def test_create_account_and_ensure_account_work_while_sign_up_is_closed(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with AppTester(APPS / "services", data_dir) as tester:
        provider = PasswordProvider(on_signup="accounts:admit")
        provider.bind(tester.runtime)
        subject = provider.create_account("Cli@Example.test", "cli-password", "Cli")
        assert tester.query("accounts:profiles", {"email": "cli@example.test"}) == [
            f"{provider.issuer}|{subject}"
        ]
        with pytest.raises(ConvexError) as exists:
            provider.create_account("cli@example.test", "cli-password")
        assert exists.value.data["code"] == "account_exists"
        assert provider.ensure_account("cli@example.test", "cli-password") == subject
        with pytest.raises(ConvexError) as wrong:
            provider.ensure_account("cli@example.test", "not-the-password")
        assert wrong.value.data["code"] == "invalid_credentials"
        seeded = provider.ensure_account("seed@example.test", "seed-password", "Seed")
        assert provider.ensure_account("seed@example.test", "seed-password") == seeded
    running = start_services(data_dir, SERVICES_SIGNUP="default")
    try:
        reply = post(running, "signin", {"email": "cli@example.test", "password": "cli-password"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["subject"] == subject
    finally:
        running.stop()


def test_the_provider_refuses_a_bad_policy_and_a_hook_that_is_not_an_internal_mutation(
    services_runtime: AppTester,
) -> None:
    with pytest.raises(ValueError, match="closed"):
        PasswordProvider(signup="maybe")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of domains"):
        PasswordProvider(allowed_domains="staff.test")
    with pytest.raises(LivebaseError, match="internal mutation"):
        PasswordProvider(on_signup="deep:store").bind(services_runtime.runtime)
    with pytest.raises(LivebaseError):
        PasswordProvider(on_signup="accounts:missing").bind(services_runtime.runtime)
    with pytest.raises(LivebaseError):
        PasswordProvider(on_signup="accounts:profiles").bind(services_runtime.runtime)


# --- throttling failed sign-ins -----------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_throttle_locks_a_key_after_the_limit_and_doubles_each_further_failure() -> None:
    clock = FakeClock()
    throttle = Throttle(3, base_delay=1, max_delay=8, window=3600, clock=clock)
    for _ in range(2):
        throttle.failure("a")
        assert throttle.retry_after("a") == 0
    throttle.failure("a")
    assert throttle.retry_after("a") == 1
    assert throttle.retry_after("b") == 0  # keys are separate
    clock.now += 0.5
    assert throttle.retry_after("a") == 0.5
    waits = []
    for _ in range(5):
        clock.now += throttle.retry_after("a")
        throttle.failure("a")
        waits.append(throttle.retry_after("a"))
    assert waits == [2, 4, 8, 8, 8]  # doubling, up to the cap


def test_a_throttle_forgets_old_failures_and_a_success_resets_the_key() -> None:
    clock = FakeClock()
    throttle = Throttle(2, base_delay=1, window=60, clock=clock)
    throttle.failure("a")
    clock.now += 61
    throttle.failure("a")
    assert throttle.retry_after("a") == 0  # the first failure left the window
    throttle.failure("a")
    assert throttle.retry_after("a") == 1
    throttle.success("a")
    assert throttle.retry_after("a") == 0
    throttle.failure("a")
    assert throttle.retry_after("a") == 0


def test_a_throttle_tracks_a_bounded_number_of_keys() -> None:
    throttle = Throttle(1, max_keys=100, clock=FakeClock())
    for n in range(1000):
        throttle.failure(f"key-{n}")
    assert throttle.retry_after("key-999") > 0
    assert throttle.retry_after("key-0") == 0  # the least recent were dropped
    assert len(throttle._failures) == 100


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A services server of its own: its failure counters start at zero."""
    running = start_server(APPS / "services", tmp_path / "data")
    try:
        yield running
    finally:
        running.stop()


def test_wrong_passwords_lock_the_account_with_429_and_retry_after_without_checking(
    fresh_server: RunningServer,
) -> None:
    server = fresh_server
    sign_up(server, "target@example.test", "right-password")
    sign_up(server, "bystander@example.test", "right-password")
    wrong = {"email": "target@example.test", "password": "a-wrong-guess"}
    for _ in range(5):
        assert post(server, "signin", wrong).status_code == 401
    locked = post(server, "signin", {**wrong, "password": "right-password"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert set(locked.json()) == {"code", "message"}
    retry_after = int(locked.headers["Retry-After"])
    assert 1 <= retry_after <= 15 * 60
    assert f"try again in {retry_after} second" in locked.json()["message"]
    # Other accounts from the same address go on.
    bystander = {"email": "bystander@example.test", "password": "right-password"}
    assert post(server, "signin", bystander).status_code == 200
    # After the wait, the right password gets in and resets the account's counter.
    time.sleep(retry_after + 0.1)
    assert post(server, "signin", {**wrong, "password": "right-password"}).status_code == 200
    assert post(server, "signin", wrong).status_code == 401


def test_a_lockout_doubles_with_each_failure_after_it(fresh_server: RunningServer) -> None:
    wrong = {"email": "doubling@example.test", "password": "a-wrong-guess"}
    for _ in range(5):
        post(fresh_server, "signin", wrong)
    first = int(post(fresh_server, "signin", wrong).headers["Retry-After"])
    time.sleep(first + 0.1)
    assert post(fresh_server, "signin", wrong).status_code == 401  # tried again: wrong again
    second = int(post(fresh_server, "signin", wrong).headers["Retry-After"])
    assert second == 2 * first


def test_many_failures_from_one_address_lock_it_for_every_account(
    fresh_server: RunningServer,
) -> None:
    sign_up(fresh_server, "innocent@example.test", "right-password")
    for n in range(20):
        reply = post(fresh_server, "signin", {"email": f"guess{n}@example.test", "password": "x"})
        assert reply.status_code == 401
    innocent = {"email": "innocent@example.test", "password": "right-password"}
    locked = post(fresh_server, "signin", innocent)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1
    # A client at another address is not affected.
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
        assert other.post(f"{fresh_server.url}/api/auth/signin", json=innocent).status_code == 200


def test_wrong_current_passwords_on_a_password_change_are_throttled_too(
    fresh_server: RunningServer,
) -> None:
    session = sign_up(fresh_server, "changer@example.test", "old-password")
    change = {"oldPassword": "a-wrong-guess", "newPassword": "new-password"}
    for _ in range(5):
        assert post(fresh_server, "password", change, session["token"]).status_code == 401
    locked = post(
        fresh_server, "password", {**change, "oldPassword": "old-password"}, session["token"]
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert "Retry-After" in locked.headers
    # The account is locked for sign-ins as well.
    credentials = {"email": "changer@example.test", "password": "old-password"}
    assert post(fresh_server, "signin", credentials).status_code == 429


# --- password hashing has a pool of its own -------------------------------------------------


def test_the_hashing_pool_refuses_calls_beyond_its_queue_at_once() -> None:
    release = threading.Event()

    async def scenario(pool: HashingPool) -> list[Any]:
        calls = [asyncio.ensure_future(pool.run(release.wait, 5)) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert pool.pending == 3
        with pytest.raises(Busy) as busy:
            await pool.run(release.wait, 5)
        assert busy.value.retry_after >= 1
        release.set()
        return list(await asyncio.gather(*calls))

    pool = HashingPool(workers=1, queue=2)
    try:
        assert asyncio.run(scenario(pool)) == [True, True, True]
        assert pool.pending == 0
    finally:
        pool.close()
    assert default_workers() == max(1, (os.cpu_count() or 1) - 1)


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def query_latencies(url: str, stop: Callable[[], bool], at_least: int) -> list[float]:
    """Latencies of sequential /api/query calls until ``stop()`` (and ``at_least`` calls)."""
    samples: list[float] = []
    with httpx.Client(timeout=30) as client:
        while len(samples) < at_least or not stop():
            started = time.perf_counter()
            reply = client.post(
                f"{url}/api/query", json={"path": "jobs:runs", "args": {"job": "q"}}
            )
            samples.append(time.perf_counter() - started)
            assert reply.json()["status"] == "success"
            time.sleep(0.01)  # a client using an app, not a load generator
    return samples


async def raw_post(url: str, route: str, body: dict[str, Any], local: str) -> httpx.Response:
    """One POST on a fresh connection from the loopback address ``local``: a bare-bones
    HTTP/1.1 client, so that hundreds of them start at once (an httpx client each would
    spend longer being built than the server spends answering)."""
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    head = (
        f"POST {route} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(host, int(port), local_addr=(local, 0))
    try:
        writer.write(head.encode() + payload)
        raw = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = raw.partition(b"\r\n")
    headers_text, _, content = rest.partition(b"\r\n\r\n")
    headers = dict(
        line.decode().split(": ", 1) for line in headers_text.split(b"\r\n") if b": " in line
    )
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=content)


def wrong_sign_in_flood(url: str, clients: int, statuses: list[tuple[int, Any, Any]]) -> None:
    """``clients`` concurrent wrong sign-ins, each from its own loopback address (so the
    per-address throttle does not stop them), each for its own email."""

    async def one(n: int) -> None:
        address = f"127.0.{1 + n // 250}.{1 + n % 250}"
        body = {"email": f"flood{n}@example.test", "password": "a-wrong-guess"}
        reply = await raw_post(url, "/api/auth/signin", body, address)
        statuses.append((reply.status_code, reply.json()["code"], reply.headers.get("Retry-After")))

    async def run() -> None:
        await asyncio.gather(*(one(n) for n in range(clients)))

    asyncio.run(run())


def test_a_flood_of_wrong_sign_ins_does_not_hold_up_other_clients_queries(
    fresh_server: RunningServer,
) -> None:
    url = fresh_server.url
    baseline = query_latencies(url, lambda: True, at_least=50)
    statuses: list[tuple[int, Any, Any]] = []
    flood = threading.Thread(target=wrong_sign_in_flood, args=(url, 200, statuses))
    flood.start()
    under_flood = query_latencies(url, lambda: not flood.is_alive(), at_least=20)
    flood.join()
    assert len(statuses) == 200
    refused = {(status, code) for status, code, _ in statuses}
    assert refused <= {(401, "invalid_credentials"), (503, "busy")}, refused
    # The queue filled: the rest were refused at once, with a time to come back.
    assert (503, "busy") in refused
    assert all(int(wait) >= 1 for status, _, wait in statuses if status == 503)
    # Before the pool, the 200 hashes took Starlette's shared threads, and every query
    # waited behind them for seconds. The machine is noisy: the bound is generous.
    assert p99(under_flood) < 2.0, (p99(baseline), p99(under_flood))


def test_an_issuer_with_a_trailing_slash_or_without_its_scheme_matches_as_on_convex(
    server: RunningServer,
) -> None:
    """Convex reads an ``iss`` without a scheme as https:// and ignores a trailing slash
    (Auth0's tokens carry one, its docs name the domain without)."""
    for iss in (RSA_ISSUER + "/", RSA_ISSUER.removeprefix("https://")):
        reply = whoami_over_http(server, rsa_token(iss=iss))
        assert reply.status_code == 200, (iss, reply.text)
        assert reply.json()["value"]["subject"] == "user-1"
    other = whoami_over_http(server, rsa_token(iss="https://issuer.test.evil"))
    assert other.status_code == 401
