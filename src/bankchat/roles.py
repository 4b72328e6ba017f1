"""Roles as data: what each role may read of the bank database and which app features it has.

A permission is ``{"resource", "action": "allow" | "deny", "conditions"?}``:

    table:*  table:loan           reading a table (deny wins over allow)
    column:client.birth_date      reading a column
    rows:account + {"filter": "district_id = 1"}   only these rows of a table
    feature:audit  feature:analytics  feature:admin   parts of the application

``policy_of`` turns a user's roles into the guard's ``Policy``; row conditions are enforced by
rewriting the query, so no SQL (a model's, a person's or a saved one) can read past them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bankchat.sql.guard import Policy

BANK_TABLES = ("account", "card", "client", "disp", "district", "loan", "order", "trans")
TELLER_DISTRICT = 1  # the Prague branch
_ACCOUNTS = f"account_id IN (SELECT account_id FROM account WHERE district_id = {TELLER_DISTRICT})"
_BRANCH = "your branch (Hl.m. Praha, district 1)"

DEMO_ROLES: list[dict[str, Any]] = [
    {
        "name": "admin",
        "description": "Everything, plus user and role administration and analytics",
        "permissions": [
            {"resource": "table:*", "action": "allow"},
            {"resource": "feature:admin", "action": "allow"},
            {"resource": "feature:analytics", "action": "allow"},
            {"resource": "feature:audit", "action": "allow"},
        ],
    },
    {
        "name": "analyst",
        "description": "Reads the whole bank database",
        "permissions": [{"resource": "table:*", "action": "allow"}],
    },
    {
        "name": "teller",
        "description": "A branch teller: only the Prague branch's accounts and clients, "
        "never clients' birth dates",
        "permissions": [
            {"resource": "table:*", "action": "allow"},
            {"resource": "column:client.birth_date", "action": "deny"},
            {
                "resource": "rows:account",
                "action": "allow",
                "conditions": {
                    "filter": f"district_id = {TELLER_DISTRICT}",
                    "label": f"accounts held at {_BRANCH}",
                },
            },
            {
                "resource": "rows:client",
                "action": "allow",
                "conditions": {
                    "filter": f"district_id = {TELLER_DISTRICT}",
                    "label": f"clients living in the district of {_BRANCH}",
                },
            },
            {
                "resource": "rows:loan",
                "action": "allow",
                "conditions": {
                    "filter": _ACCOUNTS,
                    "label": f"loans of accounts held at {_BRANCH}",
                },
            },
            {
                "resource": "rows:trans",
                "action": "allow",
                "conditions": {
                    "filter": _ACCOUNTS,
                    "label": f"transactions of accounts held at {_BRANCH}",
                },
            },
            {
                "resource": "rows:order",
                "action": "allow",
                "conditions": {
                    "filter": _ACCOUNTS,
                    "label": f"permanent orders of accounts held at {_BRANCH}",
                },
            },
            {
                "resource": "rows:disp",
                "action": "allow",
                "conditions": {
                    "filter": _ACCOUNTS,
                    "label": f"dispositions of accounts held at {_BRANCH}",
                },
            },
            {
                "resource": "rows:card",
                "action": "allow",
                "conditions": {
                    "filter": f"disp_id IN (SELECT disp_id FROM disp WHERE {_ACCOUNTS})",
                    "label": f"cards on accounts held at {_BRANCH}",
                },
            },
        ],
    },
    {
        "name": "auditor",
        "description": "Reviews the audit log; reads only district statistics and accounts",
        "permissions": [
            {"resource": "table:district", "action": "allow"},
            {"resource": "table:account", "action": "allow"},
            {"resource": "feature:audit", "action": "allow"},
        ],
    },
]

DEMO_USERS = [
    ("admin@bank.example", "Alice Admin", "admin"),
    ("analyst@bank.example", "Anna Analyst", "analyst"),
    ("teller@bank.example", "Tomas Teller", "teller"),
    ("auditor@bank.example", "Olga Auditor", "auditor"),
]
DEMO_PASSWORD = "livebase-demo"
DEMO_ENV = "BANKCHAT_DEMO"  # "1" in a server started with --demo: the sign-in page lists them


def policy_of(roles: Iterable[dict[str, Any]]) -> Policy:
    """The guard policy of a user holding these roles (deny wins, row filters combine)."""
    roles = list(roles)
    allowed: set[str] = set()
    denied_tables: set[str] = set()
    denied_columns: set[tuple[str, str]] = set()
    filters: dict[str, list[str]] = {}
    labels: dict[str, list[str]] = {}
    everything = False
    for role in roles:
        for perm in role.get("permissions", []):
            kind, _, target = perm["resource"].partition(":")
            allow = perm["action"] == "allow"
            if kind == "table":
                if target == "*":
                    everything = everything or allow
                elif allow:
                    allowed.add(target)
                else:
                    denied_tables.add(target)
            elif kind == "column" and not allow:
                table, _, column = target.partition(".")
                denied_columns.add((table, column))
            elif kind == "rows" and allow:
                condition = (perm.get("conditions") or {}).get("filter")
                if condition:
                    filters.setdefault(target, []).append(f"({condition})")
                    label = (perm.get("conditions") or {}).get("label")
                    labels.setdefault(target, []).append(
                        label or f"only the rows of {target} your role may read"
                    )
    return Policy(
        name="+".join(r["name"] for r in roles) or "none",
        allowed_tables=None if everything else frozenset(allowed),
        denied_tables=frozenset(denied_tables),
        denied_columns=frozenset(denied_columns),
        row_filters={t: " AND ".join(c) for t, c in filters.items()},
        row_labels={t: "; ".join(dict.fromkeys(c)) for t, c in labels.items()},
    )


def has_feature(roles: Iterable[dict[str, Any]], feature: str) -> bool:
    """Whether any role allows an application feature (and none denies it)."""
    verdicts = [
        p["action"]
        for r in roles
        for p in r.get("permissions", [])
        if p["resource"] == f"feature:{feature}"
    ]
    return "allow" in verdicts and "deny" not in verdicts
