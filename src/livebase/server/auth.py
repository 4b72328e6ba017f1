"""Who a client is: the ``Authenticate`` message and the ``Authorization`` header.

``ServerAuth`` turns a token into an identity (a dict of claims) or refuses it with
``AuthFailed``. Token verifiers are pluggable (``TokenVerifier``); an admin key, when the
deployment has one, unlocks internal functions and acting as a user; an empty key, configured
or presented, never does.

Wrong admin keys are counted per client address: after ``ADDRESS_LIMIT`` of them, that
address's admin keys are refused unchecked (``TooManyAttempts``, which names the wait) for a
lockout that doubles with each further wrong key (see ``livebase.services.auth.throttle``).
"""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["AuthFailed", "ServerAuth", "TokenVerifier", "TooManyAttempts"]

from livebase.engine import values
from livebase.engine.errors import AuthFailed, LimitError
from livebase.services.auth.throttle import ADDRESS_LIMIT, Throttle, TooManyAttempts

Identity = dict[str, Any]
log = logging.getLogger("livebase.auth")


class TokenVerifier(Protocol):
    """Checks a user token (a JWT) and returns its claims as an identity."""

    def verify(self, token: str) -> Identity: ...


class ServerAuth:
    """The deployment's verifiers and admin key."""

    def __init__(
        self,
        verifiers: Sequence[TokenVerifier] = (),
        admin_key: str | None = None,
        admin_throttle: Throttle | None = None,
    ) -> None:
        if admin_key is not None and not admin_key:
            # why: an empty key would match an empty one presented (``Authorization: Convex ``)
            raise ValueError("The deployment's admin key is empty")
        self.verifiers = list(verifiers)
        self.admin_key = admin_key
        self.admin_throttle = admin_throttle or Throttle(ADDRESS_LIMIT)

    def user(self, token: Any) -> Identity:
        """The identity of a user token, or AuthFailed."""
        if not isinstance(token, str) or not token:
            raise AuthFailed("The auth token is missing")
        if not self.verifiers:
            raise AuthFailed("No auth provider is configured on this deployment")
        errors = []
        for verifier in self.verifiers:
            try:
                return verifier.verify(token)
            except AuthFailed as exc:
                errors.append(str(exc))
            except Exception:
                # why: a provider that breaks (bad discovery document, bug) refuses the token
                # instead of crashing the connection or the request that carried it.
                log.exception("auth provider %s failed", type(verifier).__name__)
                errors.append(f"{type(verifier).__name__} could not check the token")
        raise AuthFailed("Could not verify the auth token: " + "; ".join(errors))

    def admin(
        self, key: Any, acting_as: Any = None, client: str | None = None
    ) -> tuple[Identity | None, bool]:
        """Check an admin key; ``acting_as`` (claims) makes the calls run as that user.

        ``client``: the caller's address, whose wrong keys are counted (and then refused
        unchecked with ``TooManyAttempts``)."""
        if client is not None:
            wait = self.admin_throttle.retry_after(client)
            if wait > 0:
                raise TooManyAttempts("wrong admin keys from this address", wait)
        if (
            not self.admin_key
            or not isinstance(key, str)
            or not key
            or not hmac.compare_digest(key.encode(), self.admin_key.encode())
        ):
            if client is not None:
                self.admin_throttle.failure(client)
            raise AuthFailed("The admin key is not valid for this deployment")
        if acting_as is None:
            return None, True
        subject = (
            acting_as.get("subject", acting_as.get("sub")) if isinstance(acting_as, dict) else None
        )
        if not isinstance(subject, str) or not subject:
            raise AuthFailed("Acting as a user needs the user's claims with a 'subject'")
        return dict(acting_as), True

    def from_message(
        self, message: dict[str, Any], client: str | None = None
    ) -> tuple[Identity | None, bool]:
        """The identity an ``Authenticate`` message asks for, and whether it is an admin."""
        kind = message.get("tokenType")
        if kind == "None":
            return None, False
        if kind == "User":
            return self.user(message.get("value")), False
        if kind == "Admin":
            acting = message.get("impersonating", message.get("acting_as"))
            return self.admin(message.get("value"), acting, client)
        raise AuthFailed(f"Unknown tokenType {kind!r}")

    def from_header(
        self, header: str | None, client: str | None = None
    ) -> tuple[Identity | None, bool]:
        """The identity of an HTTP ``Authorization`` header (absent: anonymous)."""
        if not header:
            return None, False
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer":
            return self.user(value), False
        if scheme == "Convex":
            key, _, acting = value.partition(":")
            claims = None
            if acting:
                try:
                    claims = values.parse_json(base64.b64decode(acting), "The acting-as identity")
                except LimitError as exc:
                    raise AuthFailed(exc.message) from None
                except ValueError as exc:
                    raise AuthFailed("The acting-as identity is not base64 JSON") from exc
            return self.admin(key, claims, client)
        raise AuthFailed(f"Unsupported Authorization scheme {scheme!r}")
