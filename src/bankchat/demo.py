"""Demo roles and users: seeded into a bankchat deployment on start (idempotent)."""

from __future__ import annotations

from typing import Any

from bankchat.roles import DEMO_PASSWORD, DEMO_ROLES, DEMO_USERS
from livebase import Runtime


def password_provider(runtime: Runtime) -> Any:
    from livebase import PasswordProvider

    return PasswordProvider.of(runtime)


def seed_roles(runtime: Runtime) -> None:
    """Create or update the roles every deployment has (admin, analyst, teller, auditor)."""
    runtime.run_mutation("users:seedRoles", {"roles": DEMO_ROLES}, internal_ok=True)


def seed(runtime: Runtime, password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """Create the roles, the demo password accounts and users; returns (email, password, role).

    Only for demos and tests: the demo accounts' password is public.
    """
    seed_roles(runtime)
    provider = password_provider(runtime)
    users = []
    for email, name, role in DEMO_USERS:
        subject = provider.ensure_account(email, password, name)
        users.append(
            {
                "email": email,
                "name": name,
                "role": role,
                "tokenIdentifier": f"{provider.issuer}|{subject}",
            }
        )
    runtime.run_mutation("users:seed", {"roles": DEMO_ROLES, "users": users}, internal_ok=True)
    return [(email, password, role) for email, _, role in DEMO_USERS]


def user_exists(runtime: Runtime, email: str) -> bool:
    """Whether ``email`` already has a bankchat user (so no password needs choosing)."""
    return runtime.run_query("users:access", {"email": email}, internal_ok=True).value is not None


def create_admin(
    runtime: Runtime, email: str, password: str | None = None, name: str | None = None
) -> str:
    """Make ``email`` an administrator; returns the user's ID.

    An existing user just gets the admin role; otherwise ``password`` is required and a
    password account is made for the email.
    """
    seed_roles(runtime)
    token_identifier = None
    if not user_exists(runtime, email):
        if password is None:
            raise ValueError(f"{email} has no account yet: a password is needed")
        provider = password_provider(runtime)
        subject = provider.create_account(email, password, name)
        token_identifier = f"{provider.issuer}|{subject}"
    args = {"email": email}
    if token_identifier is not None:
        args["tokenIdentifier"] = token_identifier
    return str(runtime.run_mutation("users:makeAdmin", args, internal_ok=True).value)


OPERATOR = "operator@localhost"


def operator_identity(runtime: Runtime) -> dict[str, Any]:
    """The identity of the local operator (the CLI's ``ask`` and ``sql``): an administrator
    without a password account, so nobody can sign in as it."""
    seed_roles(runtime)
    runtime.run_mutation(
        "users:makeAdmin", {"email": OPERATOR, "tokenIdentifier": "cli|operator"}, internal_ok=True
    )
    return {"issuer": "cli", "subject": "operator", "email": OPERATOR, "name": "operator"}


def identity_of(runtime: Runtime, email: str) -> dict[str, Any]:
    """The identity a user's requests carry (for the CLI acting as that user)."""
    found = runtime.run_query("users:access", {"email": email}, internal_ok=True).value
    if found is None:
        raise LookupError(f"No bankchat user with email {email}")
    user = found["user"]
    issuer, _, subject = str(user.get("tokenIdentifier") or f"cli|{user['_id']}").partition("|")
    return {"issuer": issuer, "subject": subject, "email": user["email"], "name": user["name"]}
