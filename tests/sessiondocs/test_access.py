"""Who may call what in sessiondocs: one scenario per public function, for every kind of caller.

Every call gets a fresh session recorded by "owner", shared with "reader" (to read) and
"editor" (to edit), with one screenshot. The callers: nobody signed in, the owner's capture
device, a revoked device, a disabled account, another person ("stranger"), the two people the
session is shared with, its owner, and an administrator it is not shared with. A row's rule
gives each caller's outcome; ``overrides`` name the exceptions (another person's device). A
public function without a row fails the suite, as does one whose declared rule differs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from livebase import ConvexError, Runtime
from sessiondocs.functions._access import DEVICE_ISSUER
from tests.access_support import OK, assert_rules_match, outcome
from tests.conftest import ROOT

APP = ROOT / "src" / "sessiondocs" / "functions"
PEOPLE = ["disabled", "stranger", "reader", "editor", "owner", "admin"]
CALLERS = ["anonymous", "device", "revoked_device", *PEOPLE]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def email(person: str) -> str:
    return f"{person}@docs.example"


def person_identity(person: str) -> dict[str, Any]:
    return {"issuer": "test", "subject": person, "email": email(person)}


class Fixtures:
    """Records a call needs, made fresh for every call."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.counter = itertools.count()

    def m(self, person: str, path: str, args: dict[str, Any]) -> Any:
        return self.runtime.run_mutation(path, args, identity=person_identity(person)).value

    def session(self) -> str:
        """A session of the owner's, shared with reader and editor, holding one screenshot."""
        session = str(self.m("owner", "sessions:createSession", {"pcName": "PC", "redact": False}))
        for person, access in (("reader", "read"), ("editor", "edit")):
            share = {"sessionId": session, "email": email(person), "access": access}
            self.m("owner", "shares:shareWith", share)
        self.screenshot(session)
        return session

    def stored(self) -> str:
        return self.runtime.storage.store_bytes(PNG, "image/png")

    def screenshot(self, session: str, failed: bool = False) -> str:
        args = {"sessionId": session, "filename": f"{next(self.counter)}.png"}
        shot = str(
            self.m("owner", "screenshots:registerScreenshot", args | {"storageId": self.stored()})
        )
        if failed:
            self.runtime.transact(lambda txn: txn.patch(shot, {"status": "failed"}, "screenshots"))
        return shot

    def failed_screenshot(self) -> str:
        return self.screenshot(self.session(), failed=True)

    def device(self, person: str = "owner") -> str:
        return str(self.m(person, "devices:createDevice", {"name": "Laptop"})["deviceId"])

    def link(self) -> dict[str, Any]:
        session = self.session()
        made = self.m("owner", "shares:createLink", {"sessionId": session})
        return {"sessionId": session, **made}

    def person(self) -> str:
        name = f"person{next(self.counter)}"
        signup(self.runtime, name)
        found = self.runtime.run_query("users:byEmail", {"email": email(name)}, internal_ok=True)
        return str(found.value["_id"])

    def invite(self) -> dict[str, Any]:
        args = {"email": f"invitee{next(self.counter)}@docs.example"}
        return dict(self.m("admin", "users:inviteUser", args))


def signup(runtime: Runtime, person: str) -> None:
    args = {
        "email": email(person),
        "subject": person,
        "tokenIdentifier": f"test|{person}",
        "admittedByPolicy": True,
    }
    runtime.run_mutation("users:admitSignup", args, internal_ok=True)


Args = Callable[[Fixtures], dict[str, Any]]


@dataclass
class Row:
    function: str
    rule: str
    args: Args = field(default=lambda fx: {})
    overrides: dict[str, str] = field(default_factory=dict)


def _session(fx: Fixtures) -> dict[str, Any]:
    return {"sessionId": fx.session()}


def _first_shot(fx: Fixtures) -> dict[str, Any]:
    return {"screenshotId": fx.screenshot(fx.session())}


def _not_owner(result: str) -> dict[str, str]:
    return {p: result for p in PEOPLE if p not in ("owner", "disabled")}


SCENARIOS = [
    Row("users:me", "anyone"),
    Row("users:demoAccount", "anyone"),
    Row("users:listUsers", "admin"),
    Row("users:setActive", "admin", lambda fx: {"userId": fx.person(), "isActive": False}),
    Row("users:inviteUser", "admin", lambda fx: {"email": f"new{next(fx.counter)}@docs.example"}),
    Row("users:listInvites", "admin"),
    Row("users:revokeInvite", "admin", lambda fx: {"inviteId": fx.invite()["inviteId"]}),
    Row("users:inviteInfo", "anyone", lambda fx: {"token": fx.invite()["token"]}),
    Row("devices:createDevice", "signed_in", lambda fx: {"name": "Office PC"}),
    Row("devices:listDevices", "signed_in"),
    Row(
        "devices:revokeDevice",
        "signed_in",
        lambda fx: {"deviceId": fx.device("owner")},
        overrides=_not_owner("not_found"),  # someone else's device
    ),
    Row("sessions:createSession", "uploader", lambda fx: {"pcName": "Front desk"}),
    Row("sessions:completeSession", "session:upload", _session),
    Row("sessions:renameSession", "session:edit", lambda fx: _session(fx) | {"title": "Invoices"}),
    Row("sessions:deleteSession", "session:owner", _session),
    Row("sessions:listSessions", "signed_in"),
    Row("sessions:getSession", "session:read", _session),
    Row("search:search", "signed_in", lambda fx: {"text": "invoice"}),
    Row("screenshots:generateUploadUrl", "uploader"),
    Row(
        "screenshots:registerScreenshot",
        "session:upload",
        lambda fx: _session(fx) | {"filename": "new.png", "storageId": fx.stored()},
    ),
    Row("screenshots:discardUpload", "uploader", lambda fx: {"storageId": fx.stored()}),
    Row("screenshots:listBySession", "session:read", _session),
    Row("screenshots:getOcr", "session:read", _first_shot),
    Row("screenshots:retry", "session:edit", lambda fx: {"screenshotId": fx.failed_screenshot()}),
    Row("docs:regenerate", "session:edit", _session),
    Row("docs:getDocumentation", "session:read", _session),
    Row(
        "shares:shareWith",
        "session:owner",
        lambda fx: _session(fx) | {"email": "friend@docs.example", "access": "read"},
    ),
    Row("shares:unshare", "session:owner", lambda fx: _session(fx) | {"email": email("reader")}),
    Row("shares:listShares", "session:owner", _session),
    Row("shares:createLink", "session:owner", _session),
    Row(
        "shares:revokeLink",
        "session:owner",
        lambda fx: {k: v for k, v in fx.link().items() if k in ("sessionId", "linkId")},
    ),
    Row("shared:getSession", "anyone", lambda fx: {"token": fx.link()["token"]}),
    Row("shared:listScreenshots", "anyone", lambda fx: {"token": fx.link()["token"]}),
    Row("shared:getDocumentation", "anyone", lambda fx: {"token": fx.link()["token"]}),
]

_SESSION_GRANTS = {
    "session:read": {"reader", "editor", "owner"},
    "session:edit": {"editor", "owner"},
    "session:upload": {"editor", "owner", "device"},
    "session:owner": {"owner"},
}


def expected(row: Row, caller: str) -> str:
    """The outcome ``row``'s rule gives ``caller``: "ok" or the refusal's error code."""
    if caller in row.overrides:
        return row.overrides[caller]
    if row.rule == "anyone":
        return OK
    if caller in ("anonymous", "revoked_device", "disabled"):
        return "unauthenticated"
    if row.rule == "uploader":
        return OK
    if caller == "device" and row.rule != "session:upload":
        return "forbidden"  # a device only uploads
    if row.rule == "signed_in":
        return OK
    if row.rule == "admin":
        return OK if caller == "admin" else "forbidden"
    if caller in _SESSION_GRANTS[row.rule]:
        return OK
    return "forbidden" if caller in ("reader", "editor") else "not_found"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    runtime = Runtime(APP, tmp_path_factory.mktemp("access") / "data")
    for person in PEOPLE:
        signup(runtime, person)
    runtime.run_mutation("users:makeAdmin", {"email": email("admin")}, internal_ok=True)
    disabled = runtime.run_query("users:byEmail", {"email": email("disabled")}, internal_ok=True)
    runtime.run_mutation(
        "users:setActive",
        {"userId": disabled.value["_id"], "isActive": False},
        identity=person_identity("admin"),
    )
    yield runtime
    runtime.close()


def identity(fx: Fixtures, caller: str) -> dict[str, Any] | None:
    if caller == "anonymous":
        return None
    if caller in ("device", "revoked_device"):
        device = fx.device("owner")
        if caller == "revoked_device":
            fx.m("owner", "devices:revokeDevice", {"deviceId": device})
        return {"issuer": DEVICE_ISSUER, "subject": device}
    return person_identity(caller)


def call(runtime: Runtime, caller: str, row: Row) -> str:
    fx = Fixtures(runtime)
    args = row.args(fx)
    who = identity(fx, caller)
    return outcome(runtime, row.function, args, who)


def test_every_public_function_has_a_scenario_and_declares_its_rule() -> None:
    assert_rules_match(APP, ((row.function, row.rule) for row in SCENARIOS))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", SCENARIOS, ids=lambda row: row.function)
def test_access_scenario(deployment: Runtime, row: Row, caller: str) -> None:
    assert call(deployment, caller, row) == expected(row, caller)


def test_a_revoked_share_link_shows_nothing(deployment: Runtime) -> None:
    fx = Fixtures(deployment)
    link = fx.link()
    shown = deployment.run_query("shared:getSession", {"token": link["token"]}).value
    assert shown["sessionId"] == link["sessionId"] and "ownerId" not in shown
    fx.m("owner", "shares:revokeLink", {"sessionId": link["sessionId"], "linkId": link["linkId"]})
    with pytest.raises(ConvexError, match="revoked or never existed"):
        deployment.run_query("shared:listScreenshots", {"token": link["token"]})


def test_sessions_list_only_what_the_caller_owns_or_was_given(deployment: Runtime) -> None:
    fx = Fixtures(deployment)
    session = fx.session()

    def listed(person: str) -> dict[str, str]:
        rows = deployment.run_query(
            "sessions:listSessions", {}, identity=person_identity(person)
        ).value
        return {row["sessionId"]: row["access"] for row in rows}

    assert listed("owner")[session] == "owner"
    assert listed("reader")[session] == "read" and listed("editor")[session] == "edit"
    assert session not in listed("stranger") and session not in listed("admin")
