"""Accounts made from the command line: the first administrator, and the demo's person."""

from __future__ import annotations

from typing import Any

DEMO_EMAIL = "demo@sessiondocs.example"
DEMO_PASSWORD = "livebase-demo"
DEMO_ENV = "SESSIONDOCS_DEMO"  # "1" in a server started with --demo: the sign-in page shows it


def password_provider(runtime: Any) -> Any:
    """The deployment's password provider, bound to ``runtime``."""
    from livebase import PasswordProvider

    return PasswordProvider.of(runtime)


def user_exists(runtime: Any, email: str) -> bool:
    return runtime.run_query("users:byEmail", {"email": email}, internal_ok=True).value is not None


def create_admin(runtime: Any, email: str, password: str | None, name: str | None = None) -> str:
    """Make ``email`` an administrator; an email without an account needs ``password``."""
    args = {"email": email}
    if not user_exists(runtime, email):
        if password is None:
            raise ValueError(f"{email} has no account yet: a password is needed")
        provider = password_provider(runtime)
        subject = provider.create_account(email, password, name)
        args["tokenIdentifier"] = f"{provider.issuer}|{subject}"
    return str(runtime.run_mutation("users:makeAdmin", args, internal_ok=True).value)


def seed_demo_user(runtime: Any) -> tuple[str, str]:
    """The demo's person (an administrator, public password); returns (email, password)."""
    provider = password_provider(runtime)
    subject = provider.ensure_account(DEMO_EMAIL, DEMO_PASSWORD, "Demo User")
    runtime.run_mutation(
        "users:makeAdmin",
        {"email": DEMO_EMAIL, "tokenIdentifier": f"{provider.issuer}|{subject}"},
        internal_ok=True,
    )
    return DEMO_EMAIL, DEMO_PASSWORD
