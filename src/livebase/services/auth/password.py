"""The built-in password provider: accounts, argon2 hashes and signed tokens, no third party.

Accounts live in ``_auth_accounts`` (email, argon2 hash, name); refresh tokens in
``_auth_refresh_tokens``, stored only as their sha256. Access tokens are ES256 JWTs signed
with the deployment's own key (``auth_es256.pem`` in the data directory), with issuer = the
deployment's origin and audience ``livebase``; they expire after an hour by default and are
renewed with a refresh token, which rotates on every use. Changing a password or signing out
revokes refresh tokens. The HTTP routes are ``/api/auth/signup``, ``/signin``, ``/refresh``,
``/signout`` and ``/password``.

Sign-up is closed unless the app opens it. A sign-up is *admitted by policy* when
``signup="open"`` or the email's domain is one of ``allowed_domains``. An ``on_signup`` hook (an
internal mutation of the app) runs inside the transaction that inserts the account and may
admit anyone else, typically someone holding an invitation; it sees::

    {"email", "name", "subject", "tokenIdentifier", "admittedByPolicy", "invite"?}

and the sign-up succeeds when ``admittedByPolicy`` is true or the hook returned ``True``. A
``ConvexError`` from the hook refuses the sign-up with that error, and nothing is written. A
refused sign-up never says whether the email already has an account, and one refused by
policy costs no password hash. ``create_account`` is the server-side way in (CLIs, seeding):
it bypasses the policy.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from livebase.engine.errors import AuthFailed, ConvexError, LivebaseError
from livebase.engine.query import IndexRange
from livebase.engine.transaction import Transaction
from livebase.runtime import clock
from livebase.services.auth.jwt_providers import identity_from_claims

if TYPE_CHECKING:
    from livebase.runtime.transactor import Transactor

ACCOUNTS = "_auth_accounts"
REFRESH = "_auth_refresh_tokens"
AUDIENCE = "livebase"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIGNUP_CLOSED = {
    "code": "signup_closed",
    "message": "Sign-up is closed here: ask an administrator for an invitation",
}


def signup_hook_args() -> dict[str, Any]:
    """The arguments an ``on_signup`` hook receives, as its ``args=`` validators."""
    from livebase.engine.validators import v

    return {
        "email": v.string(),
        "name": v.optional(v.union(v.string(), v.null())),
        "subject": v.string(),
        "tokenIdentifier": v.string(),
        "admittedByPolicy": v.boolean(),
        "invite": v.optional(v.string()),
    }


class PasswordProvider:
    """Email and password accounts, kept in the deployment itself."""

    def __init__(
        self,
        *,
        signup: Literal["closed", "open"] = "closed",
        allowed_domains: Iterable[str] = (),
        on_signup: str | None = None,
        access_ttl: int = 3600,
        refresh_ttl: int = 30 * 86400,
        min_password_length: int = 8,
        hasher: PasswordHasher | None = None,
    ) -> None:
        """``signup``: "closed" (the default) or "open" to anyone. ``allowed_domains``: email
        domains (the part after the @, exact match, any case) admitted while closed.
        ``on_signup``: the path of an internal mutation run in every sign-up's transaction,
        which admits a sign-up by returning ``True`` (see the module docstring)."""
        if signup not in ("closed", "open"):
            raise ValueError(f'signup must be "closed" or "open", not {signup!r}')
        if isinstance(allowed_domains, str):
            raise TypeError("allowed_domains takes a list of domains, not one string")
        self.signup = signup
        self.allowed_domains = frozenset(d.strip().lower() for d in allowed_domains)
        self.on_signup = on_signup
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.min_password_length = min_password_length
        self.hasher = hasher or PasswordHasher()
        self._transactor: Transactor | None = None
        self._key: ec.EllipticCurvePrivateKey | None = None
        self._dummy_hash = self.hasher.hash(secrets.token_hex(8))

    # --- setup -------------------------------------------------------------------------
    def bind(self, transactor: Transactor) -> None:
        """Attach to a deployment: its tables and its signing key."""
        self._transactor = transactor
        transactor.db.ensure_system_table(ACCOUNTS, {"by_email": ("email",)})
        transactor.db.ensure_system_table(
            REFRESH, {"by_hash": ("hash",), "by_account": ("account",)}
        )
        self._key = _load_key(transactor.deployment.secret(KEY_FILE, _new_key_pem))
        if self.on_signup is not None:
            hook = transactor.function(self.on_signup, "mutation", internal_ok=True)
            if not hook.internal:
                # why: a public hook could be called by anyone with admittedByPolicy=True.
                raise LivebaseError(f"on_signup {self.on_signup!r} must be an internal mutation")

    @classmethod
    def of(cls, transactor: Transactor) -> PasswordProvider:
        """The app's password provider, bound to ``transactor`` (for CLIs and seeding)."""
        for provider in transactor.app.auth_providers:
            if isinstance(provider, cls):
                if provider._transactor is not transactor:
                    provider.bind(transactor)
                return provider
        raise LookupError(f"the app {transactor.app.name} has no password provider")

    @property
    def transactor(self) -> Transactor:
        if self._transactor is None:
            raise RuntimeError("PasswordProvider is not bound to a deployment")
        return self._transactor

    @property
    def issuer(self) -> str:
        return self.transactor.origin

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

    def admits(self, email: str) -> bool:
        """Whether the policy alone admits a sign-up of ``email`` (normalized)."""
        return self.signup == "open" or email.rpartition("@")[2] in self.allowed_domains

    def sign_up(
        self, email: Any, password: Any, name: Any = None, invite: Any = None
    ) -> dict[str, Any]:
        """Create an account and sign it in, if the policy or the ``on_signup`` hook admits it.

        ConvexError: ``invalid_email``, ``signup_closed`` (403), ``weak_password``,
        ``account_exists`` (only to a sign-up that was admitted), or the hook's own error."""
        email = _email(email)
        name = _optional_text(name, "name")
        invite = _optional_text(invite, "invite") or None
        admitted = self.admits(email)
        if not admitted and (self.on_signup is None or invite is None):
            # why: refused before any hashing, so a flood of closed sign-ups costs no argon2.
            raise ConvexError(dict(SIGNUP_CLOSED))
        hashed = self.hasher.hash(self._check_password(password))

        def create(txn: Transaction) -> dict[str, Any]:
            account = self._insert_account(txn, email, hashed, name, admitted, invite)
            return self._session(txn, account)

        session, _ = self.transactor.transact(create)
        return session

    def create_account(self, email: Any, password: Any, name: Any = None) -> str:
        """Create an account from the server side (a CLI, seeding), whatever the sign-up
        policy; ``on_signup`` runs with ``admittedByPolicy=True``. Returns its subject."""
        email = _email(email)
        name = _optional_text(name, "name")
        hashed = self.hasher.hash(self._check_password(password))

        def create(txn: Transaction) -> str:
            return str(self._insert_account(txn, email, hashed, name, True, None)["_id"])

        subject, _ = self.transactor.transact(create)
        return subject

    def _insert_account(
        self,
        txn: Transaction,
        email: str,
        hashed: str,
        name: str | None,
        admitted: bool,
        invite: str | None,
    ) -> dict[str, Any]:
        exists = bool(self._find(txn, ACCOUNTS, "by_email", "email", email))
        if exists and admitted:
            raise ConvexError(_ACCOUNT_EXISTS)
        doc = {"email": email, "passwordHash": hashed, "name": name or email.split("@")[0]}
        account_id = txn.insert(ACCOUNTS, doc)
        verdict = None
        if self.on_signup is not None:
            args: dict[str, Any] = {
                "email": email,
                "name": name,
                "subject": account_id,
                "tokenIdentifier": f"{self.issuer}|{account_id}",
                "admittedByPolicy": admitted,
            }
            if invite is not None:
                args["invite"] = invite
            verdict = self.transactor.call_in_transaction(txn, self.on_signup, args)
        if not admitted and verdict is not True:
            raise ConvexError(dict(SIGNUP_CLOSED))
        if exists:
            # why: only now, once the hook admitted it: a refused sign-up must not tell
            # whether the email has an account. Raising discards the transaction.
            raise ConvexError(_ACCOUNT_EXISTS)
        return {"_id": account_id, **doc}

    def _verified(self, email: Any, password: Any) -> dict[str, Any]:
        """The account of a right (email, password) pair; one error for any wrong pair."""
        wrong = ConvexError({"code": "invalid_credentials", "message": "Invalid email or password"})
        if not isinstance(email, str) or not isinstance(password, str):
            raise wrong
        email = email.strip().lower()
        found, _ = self.transactor.transact(
            lambda txn: self._find(txn, ACCOUNTS, "by_email", "email", email), readonly=True
        )
        stored = found[0]["passwordHash"] if found else self._dummy_hash
        try:
            self.hasher.verify(stored, password)  # why: hash even for unknown emails (timing)
        except (VerificationError, InvalidHashError):
            raise wrong from None
        if not found:
            raise wrong
        return dict(found[0])

    def sign_in(self, email: Any, password: Any) -> dict[str, Any]:
        """A new session for valid credentials; the same error for any wrong pair."""
        account = self._verified(email, password)
        session, _ = self.transactor.transact(lambda txn: self._session(txn, account))
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

        session, _ = self.transactor.transact(rotate)
        return session

    def sign_out(self, refresh_token: Any) -> None:
        """End a session: its refresh token stops working (access tokens run out by expiry)."""
        if not isinstance(refresh_token, str):
            return

        def revoke(txn: Transaction) -> None:
            for row in self._find(txn, REFRESH, "by_hash", "hash", _digest(refresh_token)):
                txn.delete(row["_id"], REFRESH)

        self.transactor.transact(revoke)

    def change_password(self, subject: str, old: Any, new: Any) -> dict[str, Any]:
        """Change a password (the old one is required); every other session is signed out."""
        new = self._check_password(new)
        unknown = ConvexError({"code": "invalid_credentials", "message": "Unknown account"})
        account, _ = self.transactor.transact(lambda txn: txn.get(subject, ACCOUNTS), readonly=True)
        if account is None:
            raise unknown
        try:
            # why: the old password first, so a wrong guess costs one hash, not two.
            self.hasher.verify(account["passwordHash"], old if isinstance(old, str) else "")
        except (VerificationError, InvalidHashError):
            raise ConvexError(
                {"code": "invalid_credentials", "message": "The current password is wrong"}
            ) from None
        hashed = self.hasher.hash(new)

        def change(txn: Transaction) -> dict[str, Any]:
            current = txn.get(subject, ACCOUNTS)
            if current is None:
                raise unknown
            if current["passwordHash"] != account["passwordHash"]:
                raise ConvexError(
                    {"code": "invalid_credentials", "message": "The password changed meanwhile"}
                )
            txn.patch(subject, {"passwordHash": hashed}, ACCOUNTS)
            for row in self._find(txn, REFRESH, "by_account", "account", subject):
                txn.delete(row["_id"], REFRESH)
            return self._session(txn, {**current, "passwordHash": hashed})

        session, _ = self.transactor.transact(change)
        return session

    def ensure_account(self, email: str, password: str, name: str | None = None) -> str:
        """The subject of the account of ``email``, created (bypassing the sign-up policy)
        if it has none, else checked against ``password`` (seeding demo users)."""
        address = _email(email)
        found, _ = self.transactor.transact(
            lambda txn: self._find(txn, ACCOUNTS, "by_email", "email", address), readonly=True
        )
        if not found:
            try:
                return self.create_account(address, password, name)
            except ConvexError as exc:
                if not (isinstance(exc.data, dict) and exc.data.get("code") == "account_exists"):
                    raise
        return str(self._verified(address, password)["_id"])


_ACCOUNT_EXISTS = {"code": "account_exists", "message": "An account with this email already exists"}


def _email(email: Any) -> str:
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        raise ConvexError({"code": "invalid_email", "message": "That is not an email address"})
    return email.strip().lower()


def _optional_text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConvexError({"code": "bad_request", "message": f"{field} must be a string"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


KEY_FILE = "auth_es256.pem"


def _new_key_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RuntimeError(f"{KEY_FILE} is not an EC private key")
    return key
