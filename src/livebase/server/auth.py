"""Who a client is: the ``Authenticate`` message and the ``Authorization`` header.

``ServerAuth`` turns a token into an identity (a dict of claims) or refuses it with
``AuthFailed``. Token verifiers are pluggable (``TokenVerifier``); an admin key, when the
deployment has one, unlocks internal functions and acting as a user; an empty key, configured
or presented, never does.

A user token is checked as Convex checks one (its ``validate_id_token``), and refused with
Convex's codes and texts (``TokenRejected``): the token's unverified claims pick the first
provider whose issuer, and application id when it has one, match them (``NoAuthProvider``
when none does, naming the configured providers); that provider then verifies it. A custom
JWT provider needs a ``kid`` in the token's header, and ``exp``, ``nbf`` and ``iat`` are held
to Convex's 5-second tolerance (or the provider's ``leeway``, when smaller); a token it
cannot take is ``InvalidAuthHeader``. The password provider's tokens and OIDC providers' are
refused as Convex refuses a token of its OIDC providers (``Unauthenticated``). Verifiers of
the app's own (not livebase's providers) are offered every token, in order; their refusals
are added to the message. A production deployment (``livebase serve``) leaves out the
provider list and the key id, as Convex's production deployments do (``refusal``).

Wrong admin keys are counted per client address: after ``ADDRESS_LIMIT`` of them, that
address's admin keys are refused unchecked (``TooManyAttempts``, which names the wait) for a
lockout that doubles with each further wrong key (see ``livebase.services.auth.throttle``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeGuard

import httpx

from livebase.engine import values
from livebase.engine.errors import AuthFailed, LimitError
from livebase.engine.wallclock import real_time
from livebase.services.auth.jwt_providers import CustomJwtProvider, OidcProvider, same_issuer
from livebase.services.auth.password import AUDIENCE as PASSWORD_AUDIENCE
from livebase.services.auth.password import PasswordProvider
from livebase.services.auth.throttle import ADDRESS_LIMIT, Throttle, TooManyAttempts

__all__ = [
    "AuthFailed",
    "ServerAuth",
    "TokenRejected",
    "TokenVerifier",
    "TooManyAttempts",
    "refusal",
]

Identity = dict[str, Any]
log = logging.getLogger("livebase.auth")

CLOCK_TOLERANCE = 5  # seconds: Convex's epsilon for a custom JWT's exp, nbf and iat
# why: how livebase.services.auth.jwt_providers says that a provider's keys did not load (the
# cause is the exception's __context__); that is Convex's JWKS error, not a refused token.
KEYS_UNAVAILABLE = "Could not load the provider's keys"

# Convex's texts (crates/authentication/src/lib.rs, keybroker's UserIdentity).
NOT_A_JWT = (
    "Could not parse JWT payload. Check that the token is a valid JWT format with three "
    "base64-encoded parts separated by dots."
)
NO_ISSUER = (
    "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that "
    "matches one of your configured auth providers."
)
NO_PROVIDER = "No auth provider found matching the given token"
NO_PROVIDERS = f"{NO_PROVIDER} (no providers configured). Check the providers in the app's auth.py."
NO_KID = "Could not decode token. JWT may be missing a 'kid' (key ID) header."
KID_REDACTED = (
    "Could not decode token. The JWT's 'kid' (key ID) header doesn't match any key in the "
    "provider's JWKS, or the JWT signature is invalid."
)
BAD_CLAIMS = (
    "Could not verify token claim. Check that the JWT contains valid claims and matches your "
    "auth provider configuration."
)
NOT_VERIFIED = (
    "Could not verify {what} token claim. Check that the token signature is valid and the "
    "token hasn't expired."
)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_STRING_CLAIMS = ("iss", "sub", "jti")
_TIME_CLAIMS = ("exp", "nbf", "iat")


class TokenVerifier(Protocol):
    """Checks a user token (a JWT) and returns its claims as an identity."""

    def verify(self, token: str) -> Identity: ...


class TokenRejected(AuthFailed):
    """A user token refused as Convex refuses it.

    ``error_code``: Convex's code (``InvalidAuthHeader``, ``NoAuthProvider``,
    ``Unauthenticated``, ``AuthProviderDiscoveryFailed``); ``redacted``: the message a
    production deployment sends instead; ``status``: the HTTP status."""

    def __init__(
        self, error_code: str, message: str, *, redacted: str | None = None, status: int = 401
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.redacted = message if redacted is None else redacted
        self.status = status


def refusal(exc: AuthFailed, dev: bool) -> tuple[str, str, int]:
    """What a client is told of ``exc``: ``(code, message, HTTP status)``.

    A refused user token gets Convex's code and text, without the provider list and the key
    id unless the deployment is a development one (``livebase dev``), as Convex redacts them
    on production deployments; anything else is ``Unauthenticated``."""
    if isinstance(exc, TokenRejected):
        return exc.error_code, exc.message if dev else exc.redacted, exc.status
    return "Unauthenticated", str(exc), 401


@dataclass(frozen=True)
class _Jwt:
    """A token's header and claims, as read before any check of its signature."""

    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def issuer(self) -> str | None:
        issuer = self.claims.get("iss")
        return issuer if isinstance(issuer, str) else None

    @property
    def audiences(self) -> list[str]:
        audience = self.claims.get("aud")
        if isinstance(audience, str):
            return [audience]
        return list(audience) if isinstance(audience, list) else []


def _part(text: str) -> Any:
    """One base64url part of a JWT, decoded as JSON (None when it is not)."""
    if not _BASE64URL.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return values.parse_json(raw, "The token")
    except (binascii.Error, ValueError, LimitError):
        return None


def _parse(token: str) -> _Jwt | None:
    """The token's header and claims, or None when its payload is not JWT claims (Convex
    reads the payload only: a token with a broken header still finds its provider)."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    claims = _part(parts[1])
    if not isinstance(claims, dict):
        return None
    for name in _STRING_CLAIMS:
        if claims.get(name) is not None and not isinstance(claims[name], str):
            return None
    for name in _TIME_CLAIMS:
        if claims.get(name) is not None and not _is_number(claims[name]):
            return None
    audience = claims.get("aud")
    if audience is not None and not (
        isinstance(audience, str)
        or (isinstance(audience, list) and all(isinstance(a, str) for a in audience))
    ):
        return None
    header = _part(parts[0])
    return _Jwt(header if isinstance(header, dict) else {}, claims)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _expects(verifier: Any) -> tuple[str, str | None] | None:
    """The issuer and application id (``aud``) of one of livebase's providers; None for a
    verifier of the app's own, which sees every token."""
    if isinstance(verifier, CustomJwtProvider):
        return verifier.issuer, verifier.application_id
    if isinstance(verifier, PasswordProvider):
        try:
            return verifier.issuer, PASSWORD_AUDIENCE
        except RuntimeError:  # not bound to a deployment: it has no issuer yet
            return None
    return None


def _describe(verifier: Any) -> str:
    """A provider as Convex lists the configured ones: ``CustomJWT(issuer=..., app_id=...)``."""
    if isinstance(verifier, OidcProvider):
        return f"OIDC(domain={verifier.domain}, app_id={verifier.application_id})"
    if isinstance(verifier, CustomJwtProvider):
        app_id = "none" if verifier.application_id is None else verifier.application_id
        return f"CustomJWT(issuer={verifier.issuer}, app_id={app_id})"
    expected = _expects(verifier)
    if expected is not None:
        return f"Password(issuer={expected[0]}, app_id={expected[1]})"
    return type(verifier).__name__


def _late(claims: dict[str, Any], tolerance: float) -> TokenRejected | None:
    """Convex's check of ``exp``, then ``nbf`` and ``iat``, against the clock in whole
    seconds, ``tolerance`` seconds either way."""
    now = int(real_time())
    expiry = claims.get("exp")
    if _is_number(expiry) and now - expiry > tolerance:
        return TokenRejected(
            "InvalidAuthHeader",
            f"Could not validate token: Token expired {int(now - expiry)} seconds ago",
        )
    for name in ("nbf", "iat"):
        start = claims.get(name)
        if _is_number(start) and start - now > tolerance:
            return TokenRejected(
                "InvalidAuthHeader",
                f"Could not validate token: Token will be valid in {int(start - now)} seconds",
            )
    return None


def _discovery_failed(domain: str, cause: BaseException | None) -> TokenRejected:
    """Convex's refusal when an OIDC provider's discovery (its document, then its keys)
    fails: the provider's HTTP status, when it answered one, as Convex maps it."""
    message = f"Auth provider discovery of {domain} failed"
    status = 400
    if isinstance(cause, httpx.HTTPStatusError):
        reply = cause.response
        message += f": {reply.status_code} {reply.reason_phrase} {reply.text}"
        code = reply.status_code
        status = code if code in (401, 403, 404, 429) else 503 if code >= 500 else 400
    return TokenRejected("AuthProviderDiscoveryFailed", message, status=status)


def _jwks_text(source: Any, cause: BaseException | None) -> str:
    """Convex's text for keys that did not load, for a JWKS URL or file (``source``)."""
    where = str(source) if isinstance(source, str | Path) else "the configured JWKS"
    if isinstance(cause, httpx.HTTPError):
        why = str(cause)
        if isinstance(cause, httpx.HTTPStatusError):
            why = f"HTTP {cause.response.status_code} {cause.response.reason_phrase}"
        return (
            f"Could not fetch JWKS from URL '{where}': {why}. Check that the URL is correct "
            "and accessible."
        )
    if isinstance(cause, OSError):  # a JWKS file
        why = cause.strerror or str(cause)
        return (
            f"Could not read JWKS from file '{where}': {why}. Check that the path is correct "
            "and readable."
        )
    if cause is not None:  # not JSON, or JSON that is not a key set
        return (
            f"Invalid JWKS response body from '{where}'. The response is not valid JSON or "
            "doesn't match the expected JWKS format."
        )
    return f"Could not fetch JWKS from '{where}'. Check that it is correct and accessible."


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
        # why: while a provider waits to fetch its keys again, it no longer says why they did
        # not load; the last refusal (code, message, status), by provider, keeps the answer
        # the same meanwhile
        self._keys_refusals: dict[int, tuple[str, str, int]] = {}

    def user(self, token: Any) -> Identity:
        """The identity of a user token, or TokenRejected saying why not, as Convex does."""
        if not self.verifiers:
            raise TokenRejected("NoAuthProvider", NO_PROVIDERS, redacted=NO_PROVIDER)
        token = token if isinstance(token, str) else ""
        parsed = _parse(token)
        refused: list[str] = []  # by the app's own verifiers
        for verifier in self.verifiers:
            expected = _expects(verifier)
            if expected is None:
                try:
                    return verifier.verify(token)
                except AuthFailed as exc:
                    refused.append(str(exc))
                except Exception:
                    # why: a verifier that breaks (a bug) refuses the token instead of
                    # crashing the connection or the request that carried it.
                    log.exception("auth provider %s failed", type(verifier).__name__)
                    refused.append(f"{type(verifier).__name__} could not check the token")
                continue
            issuer, application_id = expected
            if parsed is None or parsed.issuer is None or not same_issuer(parsed.issuer, issuer):
                continue
            if application_id is not None and application_id not in parsed.audiences:
                continue
            # why: as on Convex, the first provider the token names decides; no other is tried
            return self._verify(verifier, token, parsed)
        also = f" The app's own verifiers refused it too: {'; '.join(refused)}" if refused else ""
        if parsed is None:
            raise TokenRejected("InvalidAuthHeader", NOT_A_JWT + also)
        if parsed.issuer is None:
            raise TokenRejected("InvalidAuthHeader", NO_ISSUER + also)
        providers = ", ".join(_describe(v) for v in self.verifiers)
        message = (
            f"{NO_PROVIDER}. Check that your JWT's issuer and audience match one of your "
            f"configured providers: [{providers}]"
        )
        raise TokenRejected("NoAuthProvider", message + also, redacted=NO_PROVIDER + also)

    def _verify(self, provider: Any, token: str, parsed: _Jwt) -> Identity:
        """The identity of a token ``provider`` was picked for, or TokenRejected."""
        if isinstance(provider, CustomJwtProvider) and not isinstance(provider, OidcProvider):
            return self._custom_jwt(provider, token, parsed)
        # The password provider's tokens and OIDC providers': Convex's OIDC refusals.
        what = "OIDC" if isinstance(provider, OidcProvider) else "password provider"
        try:
            identity: Identity = provider.verify(token)
            return identity
        except AuthFailed as exc:
            if isinstance(provider, OidcProvider) and str(exc).startswith(KEYS_UNAVAILABLE):
                raise self._keys_refusal(provider, exc) from None
        except Exception:
            log.exception("auth provider %s failed", type(provider).__name__)
        raise TokenRejected("Unauthenticated", NOT_VERIFIED.format(what=what))

    def _custom_jwt(self, provider: CustomJwtProvider, token: str, parsed: _Jwt) -> Identity:
        """Convex's order: the keys, the key id (and signature), the times, the claims."""
        identity: Identity | None = None
        failure: AuthFailed | None = None
        try:
            identity = provider.verify(token)
        except AuthFailed as exc:
            failure = exc
        except Exception:
            log.exception("auth provider %s failed", type(provider).__name__)
            failure = AuthFailed("the provider could not check the token")
        if failure is not None and str(failure).startswith(KEYS_UNAVAILABLE):
            raise self._keys_refusal(provider, failure)
        kid = parsed.header.get("kid")
        if not isinstance(kid, str):
            # why: as Convex's JWKS decoding, even when the key set has a single key
            raise TokenRejected("InvalidAuthHeader", NO_KID)
        # why: on the claims as read, so that a token the provider refused for its times
        # (past its own, larger, leeway) says so, and one it took is held to Convex's 5 s; a
        # forged token refused here is told about its times, where Convex names its key
        late = _late(parsed.claims, min(CLOCK_TOLERANCE, getattr(provider, "leeway", 0)))
        if late is not None:
            raise late
        if identity is not None:
            return identity
        if not parsed.claims.get("sub") or not _is_number(parsed.claims.get("exp")):
            raise TokenRejected("InvalidAuthHeader", BAD_CLAIMS)  # livebase needs a subject
        raise TokenRejected(
            "InvalidAuthHeader",
            f"Could not decode token. The JWT's 'kid' (key ID) header is '{kid}', does this "
            "key match any key in the provider's JWKS?",
            redacted=KID_REDACTED,
        )

    def _keys_refusal(self, provider: CustomJwtProvider, failure: AuthFailed) -> TokenRejected:
        """Convex's refusal for a provider whose keys (an OIDC provider's discovery) did not
        load; ``failure.__context__`` is why."""
        cause = failure.__context__
        known = self._keys_refusals.get(id(provider))
        if cause is None and known is not None:
            code, message, status = known
            return TokenRejected(code, message, status=status)
        if isinstance(provider, OidcProvider):
            refused = _discovery_failed(provider.domain, cause)
        else:
            source = getattr(getattr(provider, "_jwks", None), "source", None)
            refused = TokenRejected("InvalidAuthHeader", _jwks_text(source, cause))
        if cause is not None:
            self._keys_refusals[id(provider)] = (
                refused.error_code,
                refused.message,
                refused.status,
            )
        return refused

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
