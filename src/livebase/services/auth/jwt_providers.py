"""JWT verification for external identity providers (custom JWT and OIDC), with PyJWT.

Signatures are checked with the provider's keys (a JWKS file or URL) for the one configured
algorithm (RS256 or ES256), so ``alg: none`` and algorithm swaps never verify; issuer,
audience and expiry are enforced.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt

from livebase.engine.errors import AuthFailed

ALGORITHMS = ("RS256", "ES256")
_RESERVED = {"iss", "sub", "aud", "exp", "iat", "nbf", "jti"}
JWKS_CACHE_SECONDS = 300
# why: an unknown key id (or a failed fetch) triggers a refetch; without a pause between
# attempts, every forged token would cost an outbound request to the provider.
JWKS_REFETCH_COOLDOWN = 10
JwksSource = str | Path | dict[str, Any] | Callable[[], str]


def identity_from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """Convex's identity: ``tokenIdentifier`` (issuer|subject), subject, issuer, other claims."""
    issuer = claims.get("iss")
    subject = claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not subject:
        raise AuthFailed("The token has no issuer or subject")
    identity = {k: v for k, v in claims.items() if k not in _RESERVED}
    identity.update(tokenIdentifier=f"{issuer}|{subject}", subject=subject, issuer=issuer)
    return identity


class _Jwks:
    """A key set from a file, a URL (cached, refetched for unknown key ids) or a dict."""

    def __init__(self, source: JwksSource) -> None:
        self.source = source
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = 0.0
        self._attempted: float | None = None
        self._lock = threading.Lock()

    def _load(self) -> jwt.PyJWKSet:
        source = self.source() if callable(self.source) else self.source
        if isinstance(source, dict):
            data = source
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            response = httpx.get(source, timeout=10)
            response.raise_for_status()
            data = response.json()
        else:
            data = json.loads(Path(source).read_text())
        return jwt.PyJWKSet.from_dict(data)

    def key(self, kid: str | None) -> Any:
        with self._lock:
            now = time.monotonic()
            stale = now - self._fetched > JWKS_CACHE_SECONDS
            resting = self._attempted is not None and now - self._attempted < JWKS_REFETCH_COOLDOWN
            if (self._keys is None or stale or not self._find(kid)) and not resting:
                self._attempted = now
                try:
                    self._keys = self._load()
                    self._fetched = time.monotonic()
                except (OSError, ValueError, KeyError, httpx.HTTPError, jwt.PyJWTError) as exc:
                    if self._keys is None:
                        raise AuthFailed(f"Could not load the provider's keys: {exc}") from None
            if self._keys is None:
                raise AuthFailed("Could not load the provider's keys; retrying shortly")
            found = self._find(kid)
        if found is None:
            raise AuthFailed("The token was signed by an unknown key")
        return found.key

    def _find(self, kid: str | None) -> Any:
        if self._keys is None:
            return None
        keys = self._keys.keys
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((k for k in keys if k.key_id == kid), None)


def same_issuer(token_issuer: str, configured: str) -> bool:
    """Whether a token's ``iss`` names the configured issuer, as Convex compares them: an
    ``iss`` without a scheme is read as ``https://``, and a trailing slash on either side does
    not count (Auth0's tokens end in one; its docs name the domain without)."""
    if not token_issuer.startswith(("https://", "http://")):
        token_issuer = f"https://{token_issuer}"
    return token_issuer.rstrip("/") == configured.rstrip("/")


class CustomJwtProvider:
    """Tokens signed by an issuer you name, with keys from a JWKS file, URL or dict."""

    def __init__(
        self,
        *,
        issuer: str,
        jwks: JwksSource,
        algorithm: str = "RS256",
        application_id: str | None = None,
        leeway: float = 30,
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}")
        self.issuer = issuer
        self.algorithm = algorithm
        self.application_id = application_id
        self.leeway = leeway
        self._jwks = _Jwks(jwks)

    def bind(self, runtime: Any) -> None:
        """Nothing to set up: the keys come from the configured JWKS."""

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthFailed(f"Malformed token: {exc}") from None
        if header.get("alg") != self.algorithm:
            raise AuthFailed(f"Token algorithm {header.get('alg')!r} is not {self.algorithm}")
        key = self._jwks.key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.application_id,
                leeway=self.leeway,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_aud": self.application_id is not None,
                    "verify_iss": False,  # why: compared below, as Convex compares issuers
                },
            )
            if not isinstance(claims.get("iss"), str) or not same_issuer(
                claims["iss"], self.issuer
            ):
                raise jwt.InvalidIssuerError("another issuer")
        except jwt.ExpiredSignatureError:
            raise AuthFailed("The token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthFailed("The token is for another application (audience)") from None
        except jwt.InvalidIssuerError:
            raise AuthFailed("The token is from another issuer") from None
        except jwt.PyJWTError as exc:
            raise AuthFailed(f"Invalid token: {exc}") from None
        return identity_from_claims(claims)


class OidcProvider(CustomJwtProvider):
    """An OpenID Connect provider: keys found through ``/.well-known/openid-configuration``."""

    def __init__(self, *, domain: str, application_id: str, algorithm: str = "RS256") -> None:
        self.domain = domain.rstrip("/")
        super().__init__(
            issuer=self.domain,
            jwks=self._discover,
            algorithm=algorithm,
            application_id=application_id,
        )

    def _discover(self) -> str:
        """The provider's JWKS URL, from its discovery document."""
        url = f"{self.domain}/.well-known/openid-configuration"
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        config = response.json()
        jwks_uri = config.get("jwks_uri") if isinstance(config, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("http://", "https://")):
            raise ValueError(f"{url} names no jwks_uri")
        return jwks_uri
