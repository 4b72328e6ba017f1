"""A deployment's secrets (created on first use).

- ``secret.key``: signs upload URLs (HMAC-SHA256).
- ``admin_key``: unlocks internal functions, acting as a user, and the CLI against a server.
- others a service asks for by name (the password provider's signing key).

With SQLite they are files in the data directory (mode 0600), which every process on the
machine shares. With a database elsewhere (``persistence.on_this_machine`` False:
PostgreSQL), whose processes may run on other machines, they live in the database's
metadata (``secret:<name>``), created once under the committer's lock, so that every process
signs and checks with the same ones; a file already in the data directory is taken over the
first time (a deployment moved from SQLite keeps its admin key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livebase.engine.database import Database


def _read_or_create(path: Path, make: bytes) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(make)
    return make


class Deployment:
    """The secrets of the deployment whose data lives in ``data_dir`` (or in ``db``)."""

    def __init__(self, data_dir: str | Path, db: Database | None = None) -> None:
        self.data_dir = Path(data_dir)
        self._db = db if db is not None and not db.persistence.on_this_machine else None
        self._cache: dict[str, bytes] = {}
        self._secret = self.secret("secret.key", lambda: secrets.token_bytes(32).hex().encode())

    def secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret called ``name``, made by ``make()`` the first time it is asked for."""
        if name in self._cache:
            return self._cache[name]
        if self._db is None:
            value = _read_or_create(self.data_dir / name, make())
        else:
            value = self._shared(name, make)
        self._cache[name] = value
        return value

    def _shared(self, name: str, make: Callable[[], bytes]) -> bytes:
        from livebase.engine.store import Commit

        db = self._db
        assert db is not None
        key = f"secret:{name}"
        with db.exclusive():  # why: no other process creates it meanwhile
            snap = db.persistence.snapshot()
            try:
                stored = snap.meta(key)
            finally:
                snap.close()
            if stored is not None:
                return base64.b64decode(stored)
            path = self.data_dir / name
            value = path.read_bytes().strip() if path.exists() else make()
            encoded = base64.b64encode(value).decode()
            db.committer.commit(lambda ts: Commit(ts, meta={key: encoded}))
        return value

    @property
    def admin_key(self) -> str:
        """The admin key (generated on first use): ``livebase admin-key`` prints it."""
        return self.secret(
            "admin_key", lambda: f"livebase|{secrets.token_hex(24)}".encode()
        ).decode()

    def sign(self, payload: bytes) -> str:
        """A URL-safe HMAC of ``payload`` under the deployment's secret."""
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, payload: bytes, signature: str) -> bool:
        """Whether ``signature`` is this deployment's signature of ``payload``."""
        if not isinstance(signature, str) or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(payload).encode(), signature.encode())
