"""Who can call sessiondocs: people with a password account, and capture devices.

People sign in with livebase's password provider; sign-up is closed except by an
administrator's invitation (``users:inviteUser``) or for ``SESSIONDOCS_SIGNUP_DOMAINS``
(comma-separated). A capture agent sends its device token (``devices:createDevice``) as a
bearer token; ``DeviceTokens`` turns it into an identity whose issuer marks it as a device.
"""

from __future__ import annotations

import os
from typing import Any

from livebase import AuthFailed, PasswordProvider
from livebase import token_digest as digest
from sessiondocs.functions._access import DEVICE_ISSUER
from sessiondocs.functions.devices import TOKEN_PREFIX


class DeviceTokens:
    """A token verifier for device tokens, checked against the ``devices`` table."""

    def __init__(self) -> None:
        self._runtime: Any = None

    def bind(self, runtime: Any) -> None:
        self._runtime = runtime

    def verify(self, token: str) -> dict[str, Any]:
        if not token.startswith(TOKEN_PREFIX) or self._runtime is None:
            raise AuthFailed("Not a device token")
        found = self._runtime.run_query(
            "devices:byToken", {"tokenHash": digest(token)}, internal_ok=True
        ).value
        if found is None:
            raise AuthFailed("This device token was revoked or never existed")
        return {
            "issuer": DEVICE_ISSUER,
            "subject": found["deviceId"],
            "tokenIdentifier": f"{DEVICE_ISSUER}|{found['deviceId']}",
            "name": found["name"],
        }


def _domains() -> list[str]:
    raw = os.environ.get("SESSIONDOCS_SIGNUP_DOMAINS", "")
    return [d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()]


providers = [
    PasswordProvider(allowed_domains=_domains(), on_signup="users:admitSignup"),
    DeviceTokens(),
]
