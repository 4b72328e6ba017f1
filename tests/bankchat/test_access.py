"""Who may call what in bankchat: one scenario per public function, for every kind of caller.

Each row names a public function, the access rule it must follow, the arguments to call it
with (resources belong to the caller, so a role that may call it succeeds), and, for functions
that take someone's record, what *another* user gets when the record is not theirs. The rule
gives the expectation for anonymous callers, a signed-in account without a role, a disabled
account and each role. A public function without a row fails the suite, as does one whose
declared rule differs from its row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bankchat.cli import APP
from bankchat.roles import DEMO_ROLES
from livebase import Runtime
from tests.access_support import OK, assert_rules_match, outcome, public_functions
from tests.bankchat.appsupport import ADMIN, ANALYST, AUDITOR, TELLER, as_user, bank_runtime

OTHER = "other@bank.example"  # a second analyst: "another user"
INVITER = "inviter@bank.example"
STRANGER = "stranger@elsewhere.example"  # signed in, no role yet
DISABLED = "disabled@bank.example"

ROLES = {"admin": ADMIN, "analyst": ANALYST, "teller": TELLER, "auditor": AUDITOR}
CALLERS = ["anonymous", "stranger", "disabled", *ROLES, "other"]
_FEATURES = {"admin": {"admin"}, "audit": {"admin", "auditor"}, "analytics": {"admin"}}


class Fixtures:
    """Makes the records a call needs, owned by a given user, fresh for every call."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.counter = itertools.count()

    def _m(self, email: str, path: str, args: dict[str, Any]) -> Any:
        return self.runtime.run_mutation(path, args, identity=as_user(self.runtime, email)).value

    def _user_id(self, email: str) -> str:
        found = self.runtime.run_query("users:access", {"email": email}, internal_ok=True).value
        return str(found["user"]["_id"])

    def conversation(self, owner: str) -> str:
        return str(self._m(owner, "chat:sendMessage", {"content": "How many loans?"}))

    def favorite(self, owner: str) -> str:
        args = {"name": "Loans", "sql": "SELECT COUNT(*) FROM loan", "isPublic": False}
        return str(self._m(owner, "favorites:saveFavorite", args))

    def answer(self, owner: str) -> None:
        """A refused query on record: a history entry, a notification and an audit entry."""
        result = {"status": "denied", "denied": True, "error": "refused", "sql": "SELECT 1"}
        args = {
            "userId": self._user_id(owner),
            "userEmail": owner,
            "action": "sql",
            "result": result,
        }
        self.runtime.run_mutation("chat:recordAnswer", args, internal_ok=True)

    def assistant_message(self, owner: str) -> str:
        """An answer in ``owner``'s conversation (what a 'wrong answer' report names)."""
        conversation = self.conversation(owner)
        result = {"status": "success", "sql": "SELECT COUNT(*) FROM loan", "row_count": 1}
        args = {
            "userId": self._user_id(owner),
            "userEmail": owner,
            "conversationId": conversation,
            "action": "ask",
            "result": result,
        }
        return str(self.runtime.run_mutation("chat:recordAnswer", args, internal_ok=True).value)

    def review(self) -> str:
        """An open review of an analyst's answer."""
        message = self.assistant_message(ANALYST)
        return str(self._m(ANALYST, "reviews:reportWrong", {"messageId": message}))

    def history(self, owner: str) -> str:
        self.answer(owner)
        rows = self.runtime.run_query(
            "history:listHistory", {"limit": 1}, identity=as_user(self.runtime, owner)
        )
        return str(rows.value[0]["_id"])

    def notification(self, owner: str) -> str:
        self.answer(owner)
        rows = self.runtime.run_query(
            "notifications:getUnread", {}, identity=as_user(self.runtime, owner)
        )
        return str(rows.value[0]["_id"])

    def team(self, owner: str) -> str:
        return str(self._m(owner, "teams:createTeam", {"name": f"Team {next(self.counter)}"}))

    def team_invite_for(self, invitee: str) -> str:
        team = self.team(INVITER)
        self._m(INVITER, "teams:addMember", {"teamId": team, "email": invitee})
        invites = self.runtime.run_query(
            "teams:myInvites", {}, identity=as_user(self.runtime, invitee)
        ).value
        return str(next(i["_id"] for i in invites if i["teamId"] == team))

    def team_invite_of(self, owner: str) -> str:
        """An invitation sent by ``owner`` (who owns its team)."""
        team = self.team(owner)
        self._m(owner, "teams:addMember", {"teamId": team, "email": "nobody@bank.example"})
        pending = self.runtime.run_query(
            "teams:pendingInvites", {"teamId": team}, identity=as_user(self.runtime, owner)
        ).value
        return str(pending[0]["_id"])

    def target_user(self) -> str:
        email = f"target{next(self.counter)}@bank.example"
        spec = {
            "email": email,
            "name": "Target",
            "role": "analyst",
            "tokenIdentifier": f"t|{email}",
        }
        self.runtime.run_mutation(
            "users:seed", {"roles": DEMO_ROLES, "users": [spec]}, internal_ok=True
        )
        return self._user_id(email)

    def invite(self) -> dict[str, Any]:
        email = f"invitee{next(self.counter)}@bank.example"
        return dict(self._m(ADMIN, "users:inviteUser", {"email": email, "roles": ["analyst"]}))


Args = Callable[[Fixtures, str], dict[str, Any]]


@dataclass
class Row:
    function: str
    rule: str
    args: Args = field(default=lambda fx, who: {})
    other: str = OK  # what another user gets, calling it on the owner's record


def _question(fx: Fixtures, who: str) -> dict[str, Any]:
    return {"question": "How many loans are there?"}


SCENARIOS = [
    Row("users:me", "anyone"),
    Row("users:demoAccounts", "anyone"),
    Row("users:ensureUser", "identified"),
    Row("users:updatePreferences", "signed_in", lambda fx, who: {"theme": "dark"}),
    Row("users:listUsers", "feature:admin"),
    Row("users:listRoles", "feature:admin"),
    Row(
        "users:setRoles",
        "feature:admin",
        lambda fx, who: {"userId": fx.target_user(), "roles": ["teller"]},
    ),
    Row(
        "users:setActive",
        "feature:admin",
        lambda fx, who: {"userId": fx.target_user(), "isActive": False},
    ),
    Row(
        "users:inviteUser",
        "feature:admin",
        lambda fx, who: {"email": f"new{next(fx.counter)}@bank.example", "roles": ["analyst"]},
    ),
    Row("users:listInvites", "feature:admin"),
    Row(
        "users:revokeInvite", "feature:admin", lambda fx, who: {"inviteId": fx.invite()["inviteId"]}
    ),
    Row("users:inviteInfo", "anyone", lambda fx, who: {"token": fx.invite()["token"]}),
    Row("chat:listConversations", "member"),
    Row(
        "chat:getConversationMessages",
        "member",
        lambda fx, who: {"conversationId": fx.conversation(who)},
        other="not_found",
    ),
    Row("chat:sendMessage", "member", lambda fx, who: {"content": "Loans per region"}),
    Row(
        "chat:renameConversation",
        "member",
        lambda fx, who: {"conversationId": fx.conversation(who), "title": "Renamed"},
        other="not_found",
    ),
    Row(
        "chat:deleteConversation",
        "member",
        lambda fx, who: {"conversationId": fx.conversation(who)},
        other="not_found",
    ),
    Row("chat:ask", "member", _question),
    Row(
        "chat:runSql",
        "member",
        lambda fx, who: {
            "sql": "SELECT COUNT(*) FROM district",
            "conversationId": fx.conversation(who),
        },
        other="not_found",
    ),
    Row(
        "favorites:saveFavorite",
        "member",
        lambda fx, who: {"name": "Districts", "sql": "SELECT COUNT(*) FROM district"},
    ),
    Row("favorites:getFavorites", "member"),
    Row(
        "favorites:updateFavorite",
        "member",
        lambda fx, who: {"favoriteId": fx.favorite(who), "name": "Renamed"},
        other="not_found",
    ),
    Row(
        "favorites:deleteFavorite",
        "member",
        lambda fx, who: {"favoriteId": fx.favorite(who)},
        other="not_found",
    ),
    Row(
        "favorites:markUsed",
        "member",
        lambda fx, who: {"favoriteId": fx.favorite(who)},
        other="not_found",
    ),
    Row(
        "favorites:runFavorite",
        "member",
        lambda fx, who: {"favoriteId": fx.favorite(who)},
        other="not_found",
    ),
    Row("history:listHistory", "member"),
    Row("search:mine", "member", lambda fx, who: {"text": "loans"}),
    Row(
        "history:pageHistory",
        "member",
        lambda fx, who: {"paginationOpts": {"numItems": 5, "cursor": None}},
    ),
    Row(
        "history:getEntry",
        "member",
        lambda fx, who: {"historyId": fx.history(who)},
        other="not_found",
    ),
    Row(
        "history:rerun", "member", lambda fx, who: {"historyId": fx.history(who)}, other="not_found"
    ),
    Row("notifications:getUnread", "signed_in"),
    Row("notifications:listNotifications", "signed_in"),
    Row(
        "notifications:markRead",
        "signed_in",
        lambda fx, who: {"notificationId": fx.notification(who)},
        other="not_found",
    ),
    Row("notifications:markAllRead", "signed_in"),
    Row("audit:getAuditLogs", "feature:audit"),
    Row(
        "audit:pageAuditLogs",
        "feature:audit",
        lambda fx, who: {"paginationOpts": {"numItems": 5, "cursor": None}},
    ),
    Row("analytics:getAnalytics", "feature:analytics"),
    Row(
        "reviews:reportWrong",
        "member",
        lambda fx, who: {"messageId": fx.assistant_message(who), "note": "wrong year"},
        other="not_found",
    ),
    Row("reviews:myReports", "member"),
    Row("reviews:listReviews", "feature:admin"),
    Row("reviews:dismissReview", "feature:admin", lambda fx, who: {"reviewId": fx.review()}),
    Row(
        "reviews:correctReview",
        "feature:admin",
        lambda fx, who: {"reviewId": fx.review(), "sql": "SELECT COUNT(*) FROM loan"},
    ),
    Row("teams:createTeam", "member", lambda fx, who: {"name": "Risk"}),
    Row("teams:myTeams", "member"),
    Row(
        "teams:addMember",
        "member",
        lambda fx, who: {"teamId": fx.team(who), "email": "someone@bank.example"},
        other="forbidden",
    ),
    Row("teams:myInvites", "member"),
    Row(
        "teams:acceptInvite",
        "member",
        lambda fx, who: {"inviteId": fx.team_invite_for(who)},
        other="not_found",
    ),
    Row(
        "teams:declineInvite",
        "member",
        lambda fx, who: {"inviteId": fx.team_invite_for(who)},
        other="not_found",
    ),
    Row(
        "teams:pendingInvites",
        "member",
        lambda fx, who: {"teamId": fx.team(who)},
        other="forbidden",
    ),
    Row(
        "teams:cancelInvite",
        "member",
        lambda fx, who: {"inviteId": fx.team_invite_of(who)},
        other="forbidden",
    ),
    Row(
        "teams:removeMember",
        "member",
        lambda fx, who: {"teamId": fx.team(who), "userId": fx._user_id(who)},
        other="forbidden",
    ),
    Row("teams:members", "member", lambda fx, who: {"teamId": fx.team(who)}, other="forbidden"),
    Row(
        "teams:shareQuery",
        "member",
        lambda fx, who: {"teamId": fx.team(who), "name": "Loans", "sql": "SELECT 1"},
        other="forbidden",
    ),
    Row(
        "teams:getSharedQueries",
        "member",
        lambda fx, who: {"teamId": fx.team(who)},
        other="forbidden",
    ),
]


def expected(row: Row, caller: str) -> str:
    """The outcome the row's rule gives ``caller`` (an error code, or "ok")."""
    if caller == "other":
        # another analyst: refused someone else's record, otherwise treated as an analyst
        return row.other if row.other != OK else expected(row, "analyst")
    if row.rule == "anyone":
        return OK
    if caller == "anonymous":
        return "unauthenticated"
    if row.rule == "identified":
        return OK
    if caller == "disabled":
        return "inactive"
    if row.rule == "signed_in":
        return OK
    if caller == "stranger":
        return "no_role"
    if row.rule == "member":
        return OK
    feature = row.rule.removeprefix("feature:")
    return OK if caller in _FEATURES[feature] else "forbidden"


@pytest.fixture(scope="module")
def deployment(bank_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with pytest.MonkeyPatch.context() as patch:
        data = tmp_path_factory.mktemp("access") / "data"
        for runtime in bank_runtime(bank_sqlite, patch, data):
            extra = [
                {
                    "email": e,
                    "name": e.split("@")[0],
                    "role": "analyst",
                    "tokenIdentifier": f"t|{e}",
                }
                for e in (OTHER, INVITER, DISABLED)
            ]
            runtime.run_mutation(
                "users:seed", {"roles": DEMO_ROLES, "users": extra}, internal_ok=True
            )
            stranger = {
                "email": STRANGER,
                "subject": "stranger",
                "tokenIdentifier": f"t|{STRANGER}",
                "admittedByPolicy": True,
            }
            runtime.run_mutation("users:admitSignup", stranger, internal_ok=True)
            disabled = runtime.run_query("users:access", {"email": DISABLED}, internal_ok=True)
            runtime.run_mutation(
                "users:setActive",
                {"userId": disabled.value["user"]["_id"], "isActive": False},
                identity=as_user(runtime, ADMIN),
            )
            yield runtime


def identity(runtime: Runtime, caller: str) -> dict[str, Any] | None:
    emails = {**ROLES, "stranger": STRANGER, "disabled": DISABLED, "other": OTHER}
    return None if caller == "anonymous" else as_user(runtime, emails[caller])


def call(runtime: Runtime, caller: str, row: Row) -> str:
    """Run the row's function as ``caller``: "ok", or the error code it was refused with."""
    fx = Fixtures(runtime)
    owner = ROLES.get(caller, ANALYST)
    if caller == "stranger" and row.rule == "signed_in":
        owner = STRANGER  # a signed-in account without a role still owns its notifications
    args = row.args(fx, owner)
    who = identity(runtime, caller)
    return outcome(runtime, row.function, args, who)


def test_every_public_function_has_a_scenario_and_declares_its_rule() -> None:
    assert_rules_match(APP, ((row.function, row.rule) for row in SCENARIOS))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", SCENARIOS, ids=lambda row: row.function)
def test_access_scenario(deployment: Runtime, row: Row, caller: str) -> None:
    assert call(deployment, caller, row) == expected(row, caller)


def test_no_public_function_changes_or_removes_an_audit_entry(deployment: Runtime) -> None:
    def entries() -> dict[str, Any]:
        rows = deployment.run_query(
            "audit:getAuditLogs", {"limit": 100_000}, identity=as_user(deployment, AUDITOR)
        ).value
        return {row["_id"]: row for row in rows}

    Fixtures(deployment).answer(ANALYST)
    before = entries()
    for row in SCENARIOS:
        for caller in ("admin", "analyst", "other"):
            call(deployment, caller, row)
    after = entries()
    assert all(after.get(key) == value for key, value in before.items())
    assert len(after) > len(before)  # the admin's changes were audited


def test_audit_entries_are_written_only_by_the_server() -> None:
    source = Path(APP).glob("*.py")
    writers = [p.name for p in source if 'insert("auditLogs"' in p.read_text()]
    assert writers == ["audit.py"]
    assert "audit:logQuery" not in public_functions(APP)
