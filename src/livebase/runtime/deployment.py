"""A deployment's secrets, kept in its data directory (created on first start, mode 0600).

- ``secret.key``: signs upload URLs (HMAC-SHA256).
- ``admin_key``: unlocks internal functions, acting as a user, and the CLI against a server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path


def _read_or_create(path: Path, make: bytes) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(make)
    return make


class Deployment:
    """The secrets of the deployment whose data lives in ``data_dir``."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self._secret = _read_or_create(
            self.data_dir / "secret.key", secrets.token_bytes(32).hex().encode()
        )

    @property
    def admin_key(self) -> str:
        """The admin key (generated on first use): ``livebase admin-key`` prints it."""
        name = f"livebase|{secrets.token_hex(24)}".encode()
        return _read_or_create(self.data_dir / "admin_key", name).decode()

    def sign(self, payload: bytes) -> str:
        """A URL-safe HMAC of ``payload`` under the deployment's secret."""
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, payload: bytes, signature: str) -> bool:
        """Whether ``signature`` is this deployment's signature of ``payload``."""
        if not isinstance(signature, str) or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(payload).encode(), signature.encode())
