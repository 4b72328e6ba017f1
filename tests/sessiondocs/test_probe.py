"""The hole an outside probe found, driven the way it did: a real ``python -m sessiondocs
serve`` holding someone's session, then an anonymous client (and a stranger with an account of
their own) trying every public function and the export URL on it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from livebase.runtime.app import load_app
from tests.access_support import public_functions
from tests.conftest import ROOT
from tests.sessiondocs.conftest import PASSWORD, SIGNUP_DOMAIN, Account, SessiondocsServer
from tests.sessiondocs.test_app import screen

APP = ROOT / "src" / "sessiondocs" / "functions"
OWNER = "owner@corp.example"


def anonymous(url: str, kind: str, path: str, args: dict[str, Any], token: str = "") -> Any:
    body = {"path": path, "args": args, "format": "json"}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{url}/api/{kind}", json=body, headers=headers, timeout=30).json()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server whose administrator recorded a documented session with one screenshot."""
    server = SessiondocsServer(tmp_path_factory.mktemp("probe") / "data")
    command = [sys.executable, "-m", "sessiondocs", "create-admin", OWNER, "--password-stdin"]
    made = subprocess.run(
        [*command, "--data-dir", str(server.data_dir)],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert made.returncode == 0, made.stderr
    server.start()
    try:
        url = server.url
        owner = Account.sign_in(url, OWNER)
        token = owner.token

        def call(kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
            return owner.call(url, kind, path, args)

        session = call("mutation", "sessions:createSession", {"pcName": "PAYROLL", "redact": False})
        upload = call("mutation", "screenshots:generateUploadUrl")
        stored = httpx.post(
            upload,
            content=screen("Payroll", ["Salary 5200"]),
            headers={"Content-Type": "image/png"},
        ).json()["storageId"]
        shot = call(
            "mutation",
            "screenshots:registerScreenshot",
            {"sessionId": session, "filename": "0001.png", "storageId": stored},
        )
        call("mutation", "sessions:completeSession", {"sessionId": session})
        device = call("mutation", "devices:createDevice", {"name": "Payroll PC"})
        link = call("mutation", "shares:createLink", {"sessionId": session})
        invite = call("mutation", "users:inviteUser", {"email": "new@corp.example"})
        me = call("query", "users:me")
        yield {
            "url": url,
            "owner": token,
            "call": call,
            "args": {
                "sessionId": session,
                "screenshotId": shot,
                "storageId": stored,
                "deviceId": device["deviceId"],
                "linkId": link["linkId"],
                "inviteId": invite["inviteId"],
                "userId": me["_id"],
                "token": "guessed-token",
                "pcName": "INJECTED",
                "filename": "injected.png",
                "title": "Renamed by a stranger",
                "email": "eve@evil.example",
                "access": "edit",
                "name": "Eve's PC",
                "isActive": False,
                "isAdmin": True,
                "limit": 10,
            },
            "link": link["token"],
        }
    finally:
        server.stop()


def _args_for(path: str, known: dict[str, Any]) -> dict[str, Any]:
    app = load_app(APP)
    fn = app.resolve(path)
    fields = fn.args.fields if fn.args is not None else {}
    return {name: known[name] for name in fields if name in known}


@pytest.mark.parametrize("caller", ["anonymous", "stranger", "stranger's device"])
def test_no_public_function_gives_an_outsider_the_session(
    deployment: dict[str, Any], caller: str
) -> None:
    url = deployment["url"]
    token = ""
    if caller != "anonymous":
        stranger = Account.sign_up(url, f"eve-{len(caller)}@{SIGNUP_DOMAIN}")
        token = stranger.token if caller == "stranger" else stranger.device_token
    for path, fn in public_functions(APP).items():
        answer = anonymous(url, fn.kind, path, _args_for(path, deployment["args"]), token)
        value = answer.get("value")
        mine = (
            "users:me",
            "sessions:listSessions",
            "devices:listDevices",
            "devices:createDevice",
            "sessions:createSession",
            "screenshots:generateUploadUrl",
        )  # what an outsider may get: their own records, or nothing
        leaked = (
            answer.get("status") == "success"
            and value not in (None, False, [])
            and path not in mine
        )
        assert not leaked, (path, answer)
        if answer.get("status") == "success" and path == "sessions:listSessions":
            assert value == [], value  # the stranger's own (none), never the owner's
    no_demo = anonymous(url, "query", "users:demoAccount", {})
    assert no_demo["value"] is None  # a server started without --demo shows no demo account
    # nothing changed: the owner's session is as it was, still theirs alone
    call = deployment["call"]
    session = call("query", "sessions:getSession", {"sessionId": deployment["args"]["sessionId"]})
    assert session["pcName"] == "PAYROLL" and session.get("title") != "Renamed by a stranger"
    assert call("query", "shares:listShares", {"sessionId": session["sessionId"]})["people"] == []
    assert [d["name"] for d in call("query", "devices:listDevices")] == ["Payroll PC"]


def test_the_export_url_answers_only_to_whoever_may_read_the_session(
    deployment: dict[str, Any],
) -> None:
    url, session = deployment["url"], deployment["args"]["sessionId"]
    export = f"{url}/http/export"
    deployment["call"]("mutation", "docs:regenerate", {"sessionId": session})
    params = {"sessionId": session, "format": "md"}
    owner = {"Authorization": f"Bearer {deployment['owner']}"}
    for _ in range(300):
        if httpx.get(export, params=params, headers=owner).status_code == 200:
            break
        time.sleep(0.1)
    assert httpx.get(export, params=params, headers=owner).status_code == 200
    assert httpx.get(export, params=params).status_code == 404
    stranger = Account.sign_up(url, f"mallory@{SIGNUP_DOMAIN}")
    other = {"Authorization": f"Bearer {stranger.token}"}
    assert httpx.get(export, params=params, headers=other).status_code == 404
    assert httpx.get(export, params=params | {"share": "guessed"}).status_code == 404
    shared = httpx.get(export, params=params | {"share": deployment["link"]})
    assert shared.status_code == 200 and "Payroll" in shared.text
