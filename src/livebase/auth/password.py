"""The built-in password provider: accounts, argon2 hashes and signed tokens, no third party.

Accounts live in ``_auth_accounts`` (email, argon2 hash, name); refresh tokens in
``_auth_refresh_tokens``, stored only as their sha256. Access tokens are ES256 JWTs signed
with the deployment's own key (``auth_es256.pem`` in the data directory), with issuer = the
deployment's origin and audience ``livebase``; they expire after an hour by default and are
renewed with a refresh token, which rotates on every use. Changing a password or signing out
revokes refresh tokens. The HTTP routes are ``/api/auth/signup``, ``/signin``, ``/refresh``,
``/signout`` and ``/password``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from livebase import clock
from livebase.auth.jwt_providers import identity_from_claims
from livebase.errors import AuthFailed, ConvexError
from livebase.query import IndexRange
from livebase.transaction import Transaction

if TYPE_CHECKING:
    from livebase.runtime import Runtime

ACCOUNTS = "_auth_accounts"
REFRESH = "_auth_refresh_tokens"
AUDIENCE = "livebase"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PasswordProvider:
    """Email and password accounts, kept in the deployment itself."""

    def __init__(
        self,
        *,
        access_ttl: int = 3600,
        refresh_ttl: int = 30 * 86400,
        min_password_length: int = 8,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.min_password_length = min_password_length
        self.hasher = hasher or PasswordHasher()
        self._runtime: Runtime | None = None
        self._key: ec.EllipticCurvePrivateKey | None = None
        self._dummy_hash = self.hasher.hash(secrets.token_hex(8))

    # --- setup -------------------------------------------------------------------------
    def bind(self, runtime: Runtime) -> None:
        """Attach to a deployment: its tables and its signing key."""
        self._runtime = runtime
        runtime.db.ensure_system_table(ACCOUNTS, {"by_email": ("email",)})
        runtime.db.ensure_system_table(REFRESH, {"by_hash": ("hash",), "by_account": ("account",)})
        self._key = _load_key(runtime.data_dir / "auth_es256.pem")

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("PasswordProvider is not bound to a runtime")
        return self._runtime

    @property
    def issuer(self) -> str:
        return self.runtime.origin

    # --- tokens ------------------------------------------------------------------------
    def verify(self, token: str) -> dict[str, Any]:
        """The identity of an access token this deployment signed."""
        assert self._key is not None
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["ES256"],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthFailed("The token has expired; refresh it") from None
        except jwt.PyJWTError as exc:
            raise AuthFailed(f"Invalid token: {exc}") from None
        return identity_from_claims(claims)

    def _session(self, txn: Transaction, account: dict[str, Any]) -> dict[str, Any]:
        assert self._key is not None
        now = clock.real_time()
        claims = {
            "iss": self.issuer,
            "sub": account["_id"],
            "aud": AUDIENCE,
            "iat": int(now),
            "exp": int(now) + self.access_ttl,
            "email": account["email"],
            "name": account.get("name"),
        }
        token = jwt.encode(claims, self._key, algorithm="ES256")
        refresh = secrets.token_urlsafe(32)
        txn.insert(
            REFRESH,
            {
                "account": account["_id"],
                "hash": _digest(refresh),
                "expiresAt": (now + self.refresh_ttl) * 1000,
            },
        )
        return {
            "token": token,
            "refreshToken": refresh,
            "expiresAt": claims["exp"] * 1000,
            "subject": account["_id"],
            "email": account["email"],
        }

    # --- accounts ------------------------------------------------------------------------
    def _find(
        self, txn: Transaction, table: str, index: str, field: str, value: Any
    ) -> list[dict[str, Any]]:
        info = txn.table(table)
        interval = IndexRange(info.indexes[index]).eq(field, value).interval()
        assert interval is not None
        return [doc for _, doc in txn.scan(info, info.indexes[index], *interval)]

    def _check_password(self, password: Any) -> str:
        if not isinstance(password, str) or len(password) < self.min_password_length:
            need = f"Passwords need at least {self.min_password_length} characters"
            raise ConvexError({"code": "weak_password", "message": need})
        return password

    def sign_up(self, email: Any, password: Any, name: str | None = None) -> dict[str, Any]:
        """Create an account and sign it in; ConvexError if the email is taken or invalid."""
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            raise ConvexError({"code": "invalid_email", "message": "That is not an email address"})
        email = email.strip().lower()
        hashed = self.hasher.hash(self._check_password(password))

        def create(txn: Transaction) -> dict[str, Any]:
            if self._find(txn, ACCOUNTS, "by_email", "email", email):
                raise ConvexError(
                    {
                        "code": "account_exists",
                        "message": "An account with this email already exists",
                    }
                )
            doc = {"email": email, "passwordHash": hashed, "name": name or email.split("@")[0]}
            account_id = txn.insert(ACCOUNTS, doc)
            return self._session(txn, {"_id": account_id, **doc})

        session, _ = self.runtime.transact(create)
        return session

    def sign_in(self, email: Any, password: Any) -> dict[str, Any]:
        """A new session for valid credentials; the same error for any wrong pair."""
        wrong = ConvexError({"code": "invalid_credentials", "message": "Invalid email or password"})
        if not isinstance(email, str) or not isinstance(password, str):
            raise wrong
        email = email.strip().lower()
        found, _ = self.runtime.transact(
            lambda txn: self._find(txn, ACCOUNTS, "by_email", "email", email), readonly=True
        )
        stored = found[0]["passwordHash"] if found else self._dummy_hash
        try:
            self.hasher.verify(stored, password)  # why: hash even for unknown emails (timing)
        except (VerificationError, InvalidHashError):
            raise wrong from None
        if not found:
            raise wrong
        session, _ = self.runtime.transact(lambda txn: self._session(txn, found[0]))
        return session

    def refresh(self, refresh_token: Any) -> dict[str, Any]:
        """Trade a refresh token for a new session (the old refresh token is used up)."""
        if not isinstance(refresh_token, str):
            raise ConvexError({"code": "invalid_refresh", "message": "Invalid refresh token"})

        def rotate(txn: Transaction) -> dict[str, Any]:
            rows = self._find(txn, REFRESH, "by_hash", "hash", _digest(refresh_token))
            if not rows or rows[0]["expiresAt"] < clock.real_time() * 1000:
                raise ConvexError(
                    {"code": "invalid_refresh", "message": "The session has ended; sign in again"}
                )
            txn.delete(rows[0]["_id"], REFRESH)
            account = txn.get(rows[0]["account"], ACCOUNTS)
            if account is None:
                raise ConvexError({"code": "invalid_refresh", "message": "The account is gone"})
            return self._session(txn, account)

        session, _ = self.runtime.transact(rotate)
        return session

    def sign_out(self, refresh_token: Any) -> None:
        """End a session: its refresh token stops working (access tokens run out by expiry)."""
        if not isinstance(refresh_token, str):
            return

        def revoke(txn: Transaction) -> None:
            for row in self._find(txn, REFRESH, "by_hash", "hash", _digest(refresh_token)):
                txn.delete(row["_id"], REFRESH)

        self.runtime.transact(revoke)

    def change_password(self, subject: str, old: Any, new: Any) -> dict[str, Any]:
        """Change a password (the old one is required); every other session is signed out."""
        hashed = self.hasher.hash(self._check_password(new))

        def change(txn: Transaction) -> dict[str, Any]:
            account = txn.get(subject, ACCOUNTS)
            if account is None:
                raise ConvexError({"code": "invalid_credentials", "message": "Unknown account"})
            try:
                self.hasher.verify(account["passwordHash"], old if isinstance(old, str) else "")
            except (VerificationError, InvalidHashError):
                raise ConvexError(
                    {"code": "invalid_credentials", "message": "The current password is wrong"}
                ) from None
            txn.patch(subject, {"passwordHash": hashed}, ACCOUNTS)
            for row in self._find(txn, REFRESH, "by_account", "account", subject):
                txn.delete(row["_id"], REFRESH)
            return self._session(txn, {**account, "passwordHash": hashed})

        session, _ = self.runtime.transact(change)
        return session

    def ensure_account(self, email: str, password: str, name: str | None = None) -> str:
        """Create an account if the email has none (seeding demo users); returns its subject."""
        try:
            return str(self.sign_up(email, password, name)["subject"])
        except ConvexError as exc:
            if isinstance(exc.data, dict) and exc.data.get("code") == "account_exists":
                return str(self.sign_in(email, password)["subject"])
            raise


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise RuntimeError(f"{path.name} is not an EC private key")
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key
