"""A deployment's secrets (created on first use).

- ``secret.key``: signs upload URLs (HMAC-SHA256).
- ``admin_key``: unlocks internal functions, acting as a user, and the CLI against a server.
- others a service asks for by name (the password provider's signing key).

With SQLite they are files in the data directory (mode 0600), which every process on the
machine shares; a file appears only once written (processes that start together all read
the one stored first), and an empty one is never taken for a secret. With a database
elsewhere (``persistence.on_this_machine`` False: PostgreSQL), whose processes may run on
other machines, they live in the database's metadata (``secret:<name>``), created once under
the committer's lock, so that every process signs and checks with the same ones; a file
already in the data directory is taken over the first time (a deployment moved from SQLite
keeps its admin key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livebase.engine.database import Database


EMPTY_WAIT = 1.0  # seconds a secret file found empty gets to be written before it is refused


def _read(path: Path) -> bytes | None:
    """The secret stored at ``path`` (``b""`` if the file is empty), or None without a file."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        return None


def _publish(path: Path, value: bytes) -> bool:
    """Store ``value`` at ``path`` unless a file is there already; whether it was stored.

    why: the file appears only complete. It is written and synced under a temporary name in
    the same directory, then hard-linked to ``path``, which fails if another process got there
    first; an O_EXCL create would let a process starting alongside read it still empty."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(value)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # why: the new name survives a crash, not only the bytes
    finally:
        os.close(directory)
    return True


def _read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret at ``path``, made by ``make()`` and stored there (mode 0600) if absent.

    Every process that asks at once gets the same value. A file found empty is taken for one
    being written and read again for ``EMPTY_WAIT`` seconds, then refused: an empty secret
    would sign anything and match an empty admin key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + EMPTY_WAIT
    while True:
        stored = _read(path)
        if stored:
            return stored
        if stored is None:
            value = make()
            if _publish(path, value):
                return value
            continue  # another process stored it first: read theirs
        if time.monotonic() >= deadline:
            raise ValueError(f"The secret file {path} is empty; delete it and a new secret is made")
        time.sleep(0.02)


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

        def made() -> bytes:
            # why: stripped as it is when read back, so its maker sees what others read
            value = make().strip()
            if not value:
                raise ValueError(f"The secret {name!r} was made empty")
            return value

        if self._db is None:
            value = _read_or_create(self.data_dir / name, made)
        else:
            value = self._shared(name, made)
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
            value = _read(self.data_dir / name) or make()
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
