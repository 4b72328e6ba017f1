"""File storage: upload URLs, content-addressed blobs, metadata in ``_storage``.

Blobs live under ``<data dir>/storage/blobs/<2 hex>/<sha256 hex>``. A file's path is always
derived from the sha256 recorded in its ``_storage`` document, never from anything a client
sends, so no request can reach outside the storage directory. An upload is streamed to a
temporary file while it is hashed and measured; only a complete upload within the size limit
(and matching its ``Digest`` header, when sent) becomes a blob, and only once its ``_storage``
document commits does it get an ID.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livebase.engine.catalog import TableInfo
from livebase.engine.errors import InvalidIdError, LimitError, LivebaseError, ValidationError
from livebase.engine.transaction import Transaction
from livebase.runtime import clock
from livebase.runtime.core import DEFAULT_MAX_UPLOAD
from livebase.runtime.deployment import Deployment

if TYPE_CHECKING:
    from livebase.runtime.transactor import Transactor

log = logging.getLogger("livebase.storage")

TABLE = "_storage"
INDEXES = {"by_sha256": ("sha256",), "by_upload_token": ("uploadToken",)}
UPLOAD_URL_TTL_MS = 60 * 60 * 1000
_SHA = re.compile(r"^[0-9a-f]{64}$")


class UploadError(LivebaseError):
    """An upload that is refused; ``status`` is the HTTP status to answer with."""

    code = "UploadRejected"

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class StoredFile:
    """A finished upload waiting for its ``_storage`` document."""

    sha256: str
    size: int
    content_type: str | None


class StorageService:
    """Blobs on disk plus the ``_storage`` table, for one transactor."""

    def __init__(
        self, transactor: Transactor, deployment: Deployment, max_upload: int = DEFAULT_MAX_UPLOAD
    ) -> None:
        self.transactor = transactor
        self.deployment = deployment
        self.max_upload = max_upload
        self.root = deployment.data_dir / "storage"
        self.blobs = self.root / "blobs"
        self.tmp = self.root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        transactor.db.ensure_system_table(TABLE, INDEXES)

    # --- paths and ids -----------------------------------------------------------------
    def table(self) -> TableInfo:
        return self.transactor.db.catalog.table(TABLE)

    def blob_path(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise ValidationError("Not a sha256 digest")
        return self.blobs / sha256[:2] / sha256

    def check_id(self, storage_id: Any) -> str:
        """A storage ID, or InvalidIdError (IDs of other tables, paths, junk)."""
        from livebase.engine.ids import decode_id

        if decode_id(storage_id) != self.table().number:
            raise InvalidIdError(f"{storage_id!r} is not a storage ID")
        return str(storage_id)

    def url_for(self, storage_id: str) -> str:
        return f"{self.transactor.origin}/api/storage/{storage_id}"

    # --- upload URLs -------------------------------------------------------------------
    def generate_upload_url(self) -> str:
        """An absolute, one-time URL valid for an hour: POST the bytes to it."""
        payload = json.dumps(
            {
                "n": secrets.token_urlsafe(12),
                "e": int(clock.real_time() * 1000) + UPLOAD_URL_TTL_MS,
            },
            separators=(",", ":"),
        ).encode()
        token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        token += "." + self.deployment.sign(payload)
        return f"{self.transactor.origin}/api/storage/upload?token={token}"

    def check_token(self, token: str | None) -> str:
        """The nonce of a valid, unexpired upload token; UploadError otherwise."""
        if not token or "." not in token:
            raise UploadError("The upload URL has no valid token", 403)
        body, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            claims = json.loads(payload)
        except ValueError:
            raise UploadError("The upload URL has no valid token", 403) from None
        # why: hmac.compare_digest raises TypeError on non-ASCII str (a 500, not a 403).
        if not signature.isascii() or not self.deployment.verify(payload, signature):
            raise UploadError("The upload URL's signature is not valid", 403)
        if not isinstance(claims, dict) or claims.get("e", 0) < clock.real_time() * 1000:
            raise UploadError("The upload URL has expired; generate a new one", 403)
        nonce = claims.get("n")
        if not isinstance(nonce, str):
            raise UploadError("The upload URL has no valid token", 403)
        return nonce

    # --- writing blobs -----------------------------------------------------------------
    async def receive(
        self, chunks: AsyncIterator[bytes], content_length: int | None, digest: str | None
    ) -> tuple[Path, StoredFile]:
        """Stream an upload to a temporary file, checking size, length and digest."""
        if content_length is not None and content_length > self.max_upload:
            raise UploadError(
                f"The upload is larger than the limit of {self.max_upload} bytes", 413
            )
        hasher = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.tmp)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_upload:
                        raise UploadError(
                            f"The upload is larger than the limit of {self.max_upload} bytes", 413
                        )
                    hasher.update(chunk)
                    out.write(chunk)
            if content_length is not None and size != content_length:
                raise UploadError(
                    f"The upload was truncated: {size} of {content_length} bytes arrived"
                )
            self._check_digest(digest, hasher.digest())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, StoredFile(hasher.hexdigest(), size, None)

    @staticmethod
    def _check_digest(header: str | None, actual: bytes) -> None:
        if not header:
            return
        algorithm, _, value = header.partition("=")
        if algorithm.strip().lower() != "sha-256":
            raise UploadError(f"Unsupported Digest algorithm {algorithm!r}; use sha-256")
        try:
            expected = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            raise UploadError("The Digest header is not valid base64") from None
        if expected != actual:
            raise UploadError("The upload does not match its Digest header")

    def _link(self, tmp: Path, sha256: str) -> None:
        target = self.blob_path(sha256)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            tmp.unlink()
        else:
            os.replace(tmp, target)

    def commit_upload(self, tmp: Path, stored: StoredFile, nonce: str | None) -> str:
        """Turn a received file into a blob and a ``_storage`` document; returns its ID."""
        try:
            self._link(tmp, stored.sha256)
        finally:
            tmp.unlink(missing_ok=True)

        def insert(txn: Transaction) -> str:
            if nonce is not None and self._by_index(txn, "by_upload_token", nonce) is not None:
                raise UploadError("This upload URL was already used; generate a new one", 409)
            doc = {
                "sha256": stored.sha256,
                "size": stored.size,
                "contentType": stored.content_type,
                "uploadToken": nonce,
            }
            return txn.insert(TABLE, doc)

        try:
            storage_id, _ = self.transactor.transact(insert)
        except BaseException:
            self.collect(stored.sha256)
            raise
        return storage_id

    def store_bytes(self, data: bytes, content_type: str | None) -> str:
        """Store bytes directly (actions' ``ctx.storage.store``)."""
        if len(data) > self.max_upload:
            raise LimitError(f"The file is larger than the limit of {self.max_upload} bytes")
        fd, name = tempfile.mkstemp(dir=self.tmp)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        stored = StoredFile(hashlib.sha256(data).hexdigest(), len(data), content_type)
        return self.commit_upload(Path(name), stored, None)

    # --- reading and deleting ------------------------------------------------------------
    def _by_index(self, txn: Transaction, index_name: str, value: Any) -> dict[str, Any] | None:
        return txn.first_by_index(TABLE, index_name, value)

    def metadata(self, txn: Transaction, storage_id: Any) -> dict[str, Any] | None:
        """``{_id, _creationTime, sha256, size, contentType}`` of a file, or None."""
        doc = txn.get(self.check_id(storage_id), TABLE)
        if doc is None:
            return None
        return {k: doc[k] for k in ("_id", "_creationTime", "sha256", "size", "contentType")}

    def read(self, storage_id: str) -> tuple[dict[str, Any], Path] | None:
        """A file's metadata and blob path, or None (for serving and ``ctx.storage.get``)."""
        result, _ = self.transactor.transact(
            lambda txn: self.metadata(txn, storage_id), readonly=True
        )
        if result is None:
            return None
        path = self.blob_path(result["sha256"])
        return (result, path) if path.exists() else None

    def delete(self, txn: Transaction, storage_id: Any) -> None:
        """Delete a file's document; its blob goes once the deletion commits."""
        doc = txn.get(self.check_id(storage_id), TABLE)
        if doc is None:
            raise InvalidIdError(f"Storage file {storage_id!r} does not exist")
        txn.delete(doc["_id"], TABLE)
        txn.after_commit.append(lambda: self.collect(doc["sha256"]))

    def collect(self, sha256: str) -> None:
        """Remove a blob that no ``_storage`` document refers to any more."""
        still_used, _ = self.transactor.transact(
            lambda txn: self._by_index(txn, "by_sha256", sha256) is not None, readonly=True
        )
        if not still_used:
            self.blob_path(sha256).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Remove leftover temporary files and unreferenced blobs (after a crash)."""
        removed = 0
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)
            removed += 1
        for blob in self.blobs.glob("*/*"):
            if _SHA.match(blob.name):
                before = blob.exists()
                self.collect(blob.name)
                removed += before and not blob.exists()
        return removed


class StorageReader:
    """``ctx.storage`` in queries."""

    def __init__(self, service: StorageService, txn: Transaction | None) -> None:
        self._service = service
        self._txn = txn

    async def get_url(self, storage_id: Any) -> str | None:
        """An absolute URL that serves the file, or None if it does not exist."""
        meta = await self.get_metadata(storage_id)
        return None if meta is None else self._service.url_for(meta["_id"])

    async def get_metadata(self, storage_id: Any) -> dict[str, Any] | None:
        """``{_id, _creationTime, sha256, size, contentType}``, or None."""
        if self._txn is None:  # an action's: a transaction of its own, off the event loop
            result, _ = await self._service.transactor.transact_async(
                lambda txn: self._service.metadata(txn, storage_id), readonly=True
            )
            return result
        return self._service.metadata(self._txn, storage_id)


class StorageWriter(StorageReader):
    """``ctx.storage`` in mutations."""

    async def generate_upload_url(self) -> str:
        """A one-time upload URL, valid for an hour."""
        return self._service.generate_upload_url()

    async def delete(self, storage_id: Any) -> None:
        """Delete a file (with the mutation: rolled back if the mutation fails)."""
        if self._txn is None:  # an action's: a transaction of its own, off the event loop
            await self._service.transactor.transact_async(
                lambda txn: self._service.delete(txn, storage_id)
            )
            return
        self._service.delete(self._txn, storage_id)


class ActionStorage(StorageWriter):
    """``ctx.storage`` in actions: also reads and writes file contents."""

    def __init__(self, service: StorageService) -> None:
        super().__init__(service, None)

    async def get(self, storage_id: Any) -> bytes | None:
        """A file's bytes, or None."""
        storage_id = self._service.check_id(storage_id)

        def read() -> bytes | None:
            found = self._service.read(storage_id)
            return None if found is None else found[1].read_bytes()

        # why: a transaction and file I/O: on a thread, not on the loop the action runs on
        return await asyncio.to_thread(read)

    async def store(self, data: bytes, content_type: str | None = None) -> str:
        """Store bytes as a new file; returns its storage ID."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValidationError("ctx.storage.store() takes bytes")
        # why: a file write and a transaction: on the writer thread, not on the event loop
        return await self._service.transactor.in_writer(
            partial(self._service.store_bytes, bytes(data), content_type)
        )
