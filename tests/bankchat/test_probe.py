"""The hole an outside probe found, driven the way it did: a real ``python -m bankchat serve``,
strangers signing up over HTTP, then trying to read the bank.

Sign-up is closed unless an administrator invited the email, or its domain is allowed; an
account admitted by its domain reads nothing until an administrator grants a role.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServedProcess, free_port, source_env, start_process

ADMIN = "boss@corp.example"
PASSWORD = "correct horse battery"


def _env(bank: Path, domains: str) -> dict[str, str]:
    env = {k: v for k, v in source_env().items() if not k.startswith("BANKCHAT_")}
    return env | {"BANKCHAT_DB_PATH": str(bank), "BANKCHAT_SIGNUP_DOMAINS": domains}


@pytest.fixture(scope="module")
def bankchat(bank_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bankchat with its first administrator made by ``create-admin``, and corp.example as
    the one domain allowed to sign up."""
    data = tmp_path_factory.mktemp("probe") / "data"
    env = _env(bank_sqlite, "corp.example")
    command = [sys.executable, "-m", "bankchat", "create-admin", ADMIN, "--password-stdin"]
    made = subprocess.run(
        [*command, "--data-dir", str(data)],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bankchat", "serve", "--port", str(port)]
    command += ["--data-dir", str(data)]
    served = ServedProcess(url, start_process(command, url, data.parent / "log", env, 60), data)
    yield url
    served.stop()


def auth(url: str, route: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/api/auth/{route}", json=body, timeout=30)


def call(url: str, kind: str, path: str, args: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"path": path, "args": args, "format": "json"}
    return httpx.post(f"{url}/api/{kind}", json=body, headers=headers, timeout=60).json()


def code(answer: dict[str, Any]) -> str | None:
    data = answer.get("errorData")
    return data.get("code") if isinstance(data, dict) else answer.get("errorMessage")


READS = [
    ("action", "chat:ask", {"question": "How many clients are there?"}),
    ("action", "chat:runSql", {"sql": "SELECT birth_date FROM client LIMIT 5"}),
    ("query", "favorites:getFavorites", {}),
    ("query", "history:listHistory", {}),
    ("query", "users:listUsers", {}),
    ("query", "users:listRoles", {}),
    ("query", "audit:getAuditLogs", {}),
]


def test_a_stranger_cannot_sign_up_and_anonymous_calls_read_nothing(bankchat: str) -> None:
    refused = auth(bankchat, "signup", {"email": "eve@evil.example", "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "signup_closed"
    assert (
        auth(bankchat, "signin", {"email": "eve@evil.example", "password": PASSWORD}).status_code
        == 401
    )
    for kind, path, args in READS:
        answer = call(bankchat, kind, path, args)
        assert answer["status"] == "error" and code(answer) == "unauthenticated", path
    # no demo accounts (their password is public) on a server not started with --demo
    assert call(bankchat, "query", "users:demoAccounts", {})["value"] == []
    gone = call(bankchat, "mutation", "audit:logQuery", {"action": "x", "allowed": True})
    assert gone["status"] == "error" and "Could not find public function" in gone["errorMessage"]


def test_an_allowed_domain_signs_up_with_no_role_and_reads_nothing(bankchat: str) -> None:
    made = auth(bankchat, "signup", {"email": "newhire@corp.example", "password": PASSWORD})
    assert made.status_code == 200, made.text
    token = made.json()["token"]
    me = call(bankchat, "query", "users:me", {}, token)["value"]
    assert me["email"] == "newhire@corp.example" and me["roles"] == []
    for kind, path, args in READS:
        answer = call(bankchat, kind, path, args, token)
        assert answer["status"] == "error" and code(answer) in ("no_role", "forbidden"), path
    ask = call(bankchat, "action", "chat:runSql", {"sql": "SELECT birth_date FROM client"}, token)
    assert "no role" in ask["errorData"]["message"]


def test_an_invitation_admits_its_email_once_with_its_roles(bankchat: str) -> None:
    admin = auth(bankchat, "signin", {"email": ADMIN, "password": PASSWORD}).json()["token"]
    invite = call(
        bankchat,
        "mutation",
        "users:inviteUser",
        {"email": "Ann@Partner.example", "roles": ["teller"]},
        admin,
    )["value"]
    info = call(bankchat, "query", "users:inviteInfo", {"token": invite["token"]})["value"]
    assert info == {"email": "ann@partner.example", "state": "valid"}
    wrong_email = auth(
        bankchat,
        "signup",
        {"email": "eve@partner.example", "password": PASSWORD, "invite": invite["token"]},
    )
    assert wrong_email.status_code >= 400 and wrong_email.json()["code"] == "invalid_invite"
    joined = auth(
        bankchat,
        "signup",
        {"email": "ann@partner.example", "password": PASSWORD, "invite": invite["token"]},
    )
    assert joined.status_code == 200, joined.text
    token = joined.json()["token"]
    assert call(bankchat, "query", "users:me", {}, token)["value"]["roles"] == ["teller"]
    answer = call(bankchat, "action", "chat:runSql", {"sql": "SELECT COUNT(*) FROM client"}, token)
    assert answer["value"]["status"] == "success"
    birth = call(bankchat, "action", "chat:runSql", {"sql": "SELECT birth_date FROM client"}, token)
    assert birth["value"]["denied"] is True
    again = auth(
        bankchat,
        "signup",
        {"email": "ann@partner.example", "password": PASSWORD, "invite": invite["token"]},
    )
    assert again.status_code >= 400 and again.json()["code"] == "invalid_invite"
    used = call(bankchat, "query", "users:inviteInfo", {"token": invite["token"]})["value"]
    assert used["state"] == "used"
    # without the invitation, an email that has an account gets what any stranger gets
    taken = auth(bankchat, "signup", {"email": "ann@partner.example", "password": PASSWORD})
    assert taken.status_code == 403 and taken.json()["code"] == "signup_closed"
    log = call(bankchat, "query", "audit:getAuditLogs", {"userEmail": ADMIN}, admin)["value"]
    assert [e["action"] for e in log][-1] == "invite"


def test_audit_entries_say_where_from_as_the_server_saw_the_connection(bankchat: str) -> None:
    admin = auth(bankchat, "signin", {"email": ADMIN, "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {admin}", "User-Agent": "BranchDesk/2.1 (audit test)"}
    body = {"path": "chat:ask", "args": {"question": "How many loans are there?"}}
    answer = httpx.post(f"{bankchat}/api/action", json=body, headers=headers, timeout=60).json()
    assert answer["status"] == "success", answer
    # an address in the arguments is refused, not recorded
    forged = {**body["args"], "ipAddress": "10.9.8.7"}
    refused = call(bankchat, "action", "chat:ask", forged, admin)
    assert refused["status"] == "error" and "ipAddress" in refused["errorMessage"]
    entries = call(bankchat, "query", "audit:getAuditLogs", {"ipAddress": "127.0.0.1"}, admin)
    mine = [e for e in entries["value"] if e.get("question") == "How many loans are there?"]
    assert mine and mine[0]["userAgent"] == "BranchDesk/2.1 (audit test)"
    assert mine[0]["outcome"] == "answered"
    assert (
        call(bankchat, "query", "audit:getAuditLogs", {"ipAddress": "10.9.8.7"}, admin)["value"]
        == []
    )
