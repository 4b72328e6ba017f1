"""Demo roles and users: seeded into a bankchat deployment on start (idempotent)."""

from __future__ import annotations

from typing import Any

from bankchat.roles import DEMO_PASSWORD, DEMO_ROLES, DEMO_USERS
from livebase.runtime import Runtime


def password_provider(runtime: Runtime) -> Any:
    from livebase.auth import PasswordProvider

    for provider in runtime.app.auth_providers:
        if isinstance(provider, PasswordProvider):
            if provider._runtime is not runtime:
                provider.bind(runtime)
            return provider
    raise RuntimeError("the bankchat app has no password provider")


def seed(runtime: Runtime, password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """Create the demo roles, password accounts and users; returns (email, password, role)."""
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


def identity_of(runtime: Runtime, email: str) -> dict[str, Any]:
    """The identity a user's requests carry (for the CLI acting as that user)."""
    found = runtime.run_query("users:access", {"email": email}, internal_ok=True).value
    if found is None:
        raise LookupError(f"No bankchat user with email {email}")
    user = found["user"]
    issuer, _, subject = str(user.get("tokenIdentifier") or f"cli|{user['_id']}").partition("|")
    return {"issuer": issuer, "subject": subject, "email": user["email"], "name": user["name"]}
