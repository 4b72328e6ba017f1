"""bankchat users sign in with livebase's built-in password provider.

Sign-up is closed: an administrator's invitation (``users:inviteUser``) admits one email with
its roles; ``BANKCHAT_SIGNUP_DOMAINS`` (comma-separated, e.g. ``bank.example``) lets those
domains sign up with no role. ``users:admitSignup`` decides, inside the sign-up's transaction.
"""

import os

from livebase import PasswordProvider


def _domains() -> list[str]:
    raw = os.environ.get("BANKCHAT_SIGNUP_DOMAINS", "")
    return [d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()]


providers = [PasswordProvider(allowed_domains=_domains(), on_signup="users:admitSignup")]
