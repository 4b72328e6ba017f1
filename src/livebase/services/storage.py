"""File storage: upload URLs, metadata in ``_storage``, bytes in a blob store.

A file's bytes live in the deployment's blob store (``blobs.py``: a directory, the
PostgreSQL database, or an S3 bucket) under their sha256, which is always taken from the
file's ``_storage`` document, never from anything a client sends, so no request can reach
anything but a stored blob. An upload is streamed to a temporary file in
``<data dir>/storage/tmp`` while it is hashed and measured; only a complete upload within
the size limit (and matching its ``Digest`` header, when sent) goes to the blob store, and
only once its ``_storage`` document commits does it get an ID.

What functions and clients see is Convex's: an upload URL serves any number of uploads for
an hour, refusals carry Convex's codes and messages (``StorageTokenInvalid``,
``StorageTokenExpired``, ``BadHeader``, ``Sha256Mismatch``), ``get_metadata`` gives
``{storageId, sha256 (hex), size, contentType}`` and a ``_storage`` document read through
``ctx.db.system`` has its sha256 in base64 (``storage_document``). The documents themselves
keep the sha256 in hex: blobs are named by it, and export and import read it so.

A blob goes when the last document referring to it is deleted. Two rules keep that from
removing bytes a new document is about to refer to:

- In this process, an upload holds its digest from before its put until its document has
  committed, and collecting skips held digests (``_lock`` makes the two exclusive).
- Other server processes (``peers``: ``--workers``, or PostgreSQL) cannot be seen, so
  a blob put less than ``COLLECT_GRACE`` seconds ago is kept and collected later
  (``collect_due``, which the server runs periodically, or ``sweep`` at the next start).

A third keeps bytes a reader still needs: while a document in ``_storage_holds`` has not
expired (an export copying the files of its snapshot, ``hold``), no process collects a blob;
collecting waits until the hold is gone. The hold commits before any deletion the reader must
not see, and a collector decides at a snapshot that holds the deletion, so it sees the hold.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from livebase.engine.catalog import TableInfo
from livebase.engine.errors import InvalidIdError, LimitError, LivebaseError, ValidationError
from livebase.engine.transaction import Transaction
from livebase.runtime import clock
from livebase.runtime.core import DEFAULT_MAX_UPLOAD
from livebase.runtime.deployment import Deployment
from livebase.services.blobs import Blob, BlobStore, DirectoryBlobStore

if TYPE_CHECKING:
    from livebase.runtime.transactor import Transactor

log = logging.getLogger("livebase.storage")

TABLE = "_storage"
INDEXES = {"by_sha256": ("sha256",), "by_upload_token": ("uploadToken",)}
HOLDS = "_storage_holds"  # {until: ms}: while one has not expired, no blob is collected
HOLD_MS = 10 * 60 * 1000.0  # a hold's life; its holder renews it when half has passed
HELD_RETRY = 30.0  # seconds before collection tries again a blob it left for a hold
UPLOAD_URL_TTL_MS = 60 * 60 * 1000
# why: far longer than any upload takes from its put to its document's commit, so that a
# process never collects bytes another process has put and not yet recorded
COLLECT_GRACE = 300.0
SWEEP_PAGE = 100
T = TypeVar("T")


# Convex's refusals (crates/keybroker/src/broker.rs, crates/local_backend/src/storage.rs,
# crates/file_storage/src/core.rs): the code and message of the JSON body, and the status
TOKEN_INVALID = ("StorageTokenInvalid", "Couldn't decode the StoreFileAuthorization token", 401)
TOKEN_EXPIRED = ("StorageTokenExpired", "Store File Authorization expired", 401)
TOKEN_MISSING = ("BadQueryArgs", "Failed to deserialize query string: missing field `token`", 400)


class UploadError(LivebaseError):
    """A refused upload (or ``store``); ``status`` is the HTTP status to answer with, ``code``
    the JSON body's."""

    code = "UploadRejected"

    def __init__(self, message: str, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        if code is not None:
            self.code = code

    @classmethod
    def of(cls, refusal: tuple[str, str, int]) -> UploadError:
        code, message, status = refusal
        return cls(message, status, code)


def bad_header(name: str) -> UploadError:
    """Convex's answer to a header it cannot parse (``Digest``, ``Content-Length``)."""
    return UploadError(f"Bad header for {name}: invalid HTTP header", 400, "BadHeader")


def parse_digest(header: str | None) -> bytes | None:
    """The sha256 a ``Digest: sha-256=<base64>`` header names, None without one; BadHeader
    for anything else (hex, another algorithm, not 32 bytes), as Convex."""
    if header is None:
        return None
    if not header.startswith("sha-256="):
        raise bad_header("digest")
    digest = _base64_sha256(header.removeprefix("sha-256="))
    if digest is None:
        raise bad_header("digest")
    return digest


def _base64_sha256(value: str) -> bytes | None:
    """The 32 bytes ``value`` is the base64 of, or None."""
    try:
        digest = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    return digest if len(digest) == 32 else None


def check_sha256(expected: bytes | None, actual: bytes) -> None:
    """Sha256Mismatch unless the bytes hash to ``expected`` (when given); Convex's message."""
    if expected is not None and expected != actual:
        raise UploadError(
            f"Sha256 mismatch. Expected: {_b64(expected)} Actual: {_b64(actual)}",
            400,
            "Sha256Mismatch",
        )


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def storage_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A ``_storage`` document as functions read it through ``ctx.db.system``: Convex's
    ``{_id, _creationTime, sha256, size, contentType}``, the sha256 in base64 (what Convex
    gives functions of npm 1.9 on) and ``contentType`` null when the file has none. The
    document keeps its sha256 in hex (blobs are named by it; export and import read it);
    its other fields (``uploadToken``) are livebase's own."""
    return {
        "_id": doc["_id"],
        "_creationTime": doc["_creationTime"],
        "sha256": _b64(bytes.fromhex(doc["sha256"])),
        "size": doc["size"],
        "contentType": doc.get("contentType"),
    }


@dataclass
class StoredFile:
    """A finished upload waiting for its ``_storage`` document."""

    sha256: str
    size: int
    content_type: str | None


class StorageService:
    """The ``_storage`` table plus a blob store, for one transactor."""

    def __init__(
        self,
        transactor: Transactor,
        deployment: Deployment,
        max_upload: int = DEFAULT_MAX_UPLOAD,
        blob_store: BlobStore | None = None,
    ) -> None:
        self.transactor = transactor
        self.deployment = deployment
        self.max_upload = max_upload
        self.root = deployment.data_dir / "storage"
        self.tmp = self.root / "tmp"  # uploads being received, whatever the blob store
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.blob_store = blob_store or DirectoryBlobStore(self.root)
        self.grace = COLLECT_GRACE if transactor.peers else 0.0
        self._lock = threading.Lock()  # collecting vs. uploads holding their digest
        self._held: Counter[str] = Counter()  # digests of uploads not yet recorded
        self._deferred: dict[str, float] = {}  # digest -> when to try collecting it again
        transactor.db.ensure_system_table(TABLE, INDEXES)
        transactor.db.ensure_system_table(HOLDS, {})

    # --- paths and ids -----------------------------------------------------------------
    def table(self) -> TableInfo:
        return self.transactor.db.catalog.table(TABLE)

    @property
    def blobs(self) -> Path:
        """The blob directory of a directory store (what backups link)."""
        return self._directory().blobs

    def blob_path(self, sha256: str) -> Path:
        """Where a blob is on disk, for a directory store (what backups link)."""
        try:
            return self._directory().path(sha256)
        except ValueError:
            raise ValidationError("Not a sha256 digest") from None

    def _directory(self) -> DirectoryBlobStore:
        if not isinstance(self.blob_store, DirectoryBlobStore):
            raise LivebaseError(
                f"File bytes are in {self.blob_store.description}, not in a directory"
            )
        return self.blob_store

    def check_id(self, storage_id: Any, operation: str = "storage.get") -> str:
        """A storage ID, or InvalidIdError (IDs of other tables, paths, junk) in Convex's
        words: ``Invalid argument `storageId` for `storage.delete`: ...``."""
        from livebase.engine.ids import decode_id

        try:
            if decode_id(storage_id) == self.table().number:
                return str(storage_id)
            why = f"{storage_id!r} is not a storage ID"
        except InvalidIdError as exc:
            why = exc.message
        raise InvalidIdError(f"Invalid argument `storageId` for `{operation}`: {why}")

    def url_for(self, storage_id: str) -> str:
        return f"{self.transactor.origin}/api/storage/{storage_id}"

    # --- upload URLs -------------------------------------------------------------------
    def generate_upload_url(self) -> str:
        """An absolute URL valid for an hour: POST the bytes to it. As Convex's, it serves any
        number of uploads in that hour, each a new file."""
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
        """The nonce of a valid, unexpired upload token; UploadError otherwise, with Convex's
        code: StorageTokenInvalid (401) for one that is not ours (malformed, tampered, of
        another deployment), StorageTokenExpired (401), BadQueryArgs (400) for none."""
        if token is None:
            raise UploadError.of(TOKEN_MISSING)
        body, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            raise UploadError.of(TOKEN_INVALID) from None
        # why: hmac.compare_digest raises TypeError on non-ASCII str (a 500, not a 401).
        if not signature.isascii() or not self.deployment.verify(payload, signature):
            raise UploadError.of(TOKEN_INVALID)
        try:
            claims = json.loads(payload)
        except ValueError:
            raise UploadError.of(TOKEN_INVALID) from None
        nonce = claims.get("n") if isinstance(claims, dict) else None
        expires = claims.get("e") if isinstance(claims, dict) else None
        if not isinstance(nonce, str) or not isinstance(expires, int | float):
            raise UploadError.of(TOKEN_INVALID)
        if expires < clock.real_time() * 1000:
            raise UploadError.of(TOKEN_EXPIRED)
        return nonce

    # --- writing files -----------------------------------------------------------------
    async def receive(
        self, chunks: AsyncIterator[bytes], content_length: int | None, sha256: bytes | None
    ) -> tuple[Path, StoredFile]:
        """Stream an upload to a temporary file, checking its size, its length and that it
        hashes to ``sha256`` (from its ``Digest`` header: ``parse_digest``) when given."""
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
            check_sha256(sha256, hasher.digest())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, StoredFile(hasher.hexdigest(), size, None)

    def commit_upload(self, tmp: Path, stored: StoredFile, nonce: str | None) -> str:
        """Put a received file in the blob store and record its ``_storage`` document;
        returns its ID. Removes ``tmp``. Blocking, all on the calling thread (tests, tools);
        the server uses ``commit_upload_async``."""
        try:
            return self._store(stored, nonce, partial(self.blob_store.put_file, path=tmp))
        finally:
            tmp.unlink(missing_ok=True)

    async def commit_upload_async(self, tmp: Path, stored: StoredFile, nonce: str | None) -> str:
        """``commit_upload`` from the event loop: the bytes go to the blob store on a worker
        thread (they may travel over the network), the document is recorded on the writer
        thread with the other writes. It finishes even if its caller is cancelled (a client
        that went away), so that no upload is left half done."""

        async def steps() -> str:
            try:
                put = partial(self.blob_store.put_file, path=tmp)
                return await self._store_async(stored, nonce, put)
            finally:
                tmp.unlink(missing_ok=True)

        return await _finish_even_if_cancelled(steps())

    def store_bytes(self, data: bytes, content_type: str | None) -> str:
        """Store bytes as a new file; returns its ID. Blocking, as ``commit_upload``."""
        stored = self._stored_bytes(data, content_type)
        return self._store(stored, None, partial(self.blob_store.put_bytes, data=data))

    async def store_bytes_async(
        self, data: bytes, content_type: str | None, sha256: bytes | None = None
    ) -> str:
        """``store_bytes`` from the event loop (actions' ``ctx.storage.store``), as
        ``commit_upload_async``; Sha256Mismatch, storing nothing, unless the bytes hash to
        ``sha256`` (when given)."""
        stored = self._stored_bytes(data, content_type, sha256)
        put = partial(self.blob_store.put_bytes, data=data)
        return await _finish_even_if_cancelled(self._store_async(stored, None, put))

    def _stored_bytes(
        self, data: bytes, content_type: str | None, sha256: bytes | None = None
    ) -> StoredFile:
        if len(data) > self.max_upload:
            raise LimitError(f"The file is larger than the limit of {self.max_upload} bytes")
        digest = hashlib.sha256(data).digest()
        check_sha256(sha256, digest)
        return StoredFile(digest.hex(), len(data), content_type)

    def _store(self, stored: StoredFile, nonce: str | None, put: Callable[[str], None]) -> str:
        try:
            with self._holding(stored.sha256):
                put(stored.sha256)
                return self._record(stored, nonce)
        except BaseException:
            self._collect_quietly(stored.sha256)  # unless another file has the same bytes
            raise

    async def _store_async(
        self, stored: StoredFile, nonce: str | None, put: Callable[[str], None]
    ) -> str:
        try:
            with self._holding(stored.sha256):
                await asyncio.to_thread(put, stored.sha256)
                return await self.transactor.in_writer(partial(self._record, stored, nonce))
        except BaseException:
            await asyncio.to_thread(self._collect_quietly, stored.sha256)
            raise

    def _record(self, stored: StoredFile, nonce: str | None) -> str:
        storage_id, _ = self.transactor.transact(partial(self._insert, stored, nonce))
        return storage_id

    def _insert(self, stored: StoredFile, nonce: str | None, txn: Transaction) -> str:
        # why: uploadToken records which upload URL a file came from (several files may share
        # one); it is not checked, as Convex's upload URLs are not single-use
        doc = {
            "sha256": stored.sha256,
            "size": stored.size,
            "contentType": stored.content_type,
            "uploadToken": nonce,
        }
        return txn.insert(TABLE, doc)

    @contextmanager
    def _holding(self, sha256: str) -> Iterator[None]:
        """Keep this process from collecting ``sha256`` while an upload of it is recorded."""
        with self._lock:
            self._held[sha256] += 1
        try:
            yield
        finally:
            with self._lock:
                self._held[sha256] -= 1
                if not self._held[sha256]:
                    del self._held[sha256]

    # --- reading and deleting ------------------------------------------------------------
    def metadata(
        self, txn: Transaction, storage_id: Any, operation: str = "storage.getMetadata"
    ) -> dict[str, Any] | None:
        """``{_id, _creationTime, sha256 (hex), size, contentType}`` of a file, or None."""
        doc = txn.get(self.check_id(storage_id, operation), TABLE)
        if doc is None:
            return None
        return {
            **{k: doc[k] for k in ("_id", "_creationTime", "sha256", "size")},
            "contentType": doc.get("contentType"),
        }

    def find(self, storage_id: str) -> dict[str, Any] | None:
        """A file's metadata (a transaction of its own), or None."""
        result, _ = self.transactor.transact(
            lambda txn: self.metadata(txn, storage_id), readonly=True
        )
        return result

    def blob(self, meta: dict[str, Any]) -> Blob:
        """The blob holding the bytes of the file ``meta`` describes."""
        return Blob(self.blob_store, meta["sha256"], meta["size"])

    def read(self, storage_id: str) -> tuple[dict[str, Any], Blob] | None:
        """A file's metadata and blob, or None when either is missing."""
        meta = self.find(storage_id)
        if meta is None or not self.blob_store.exists(meta["sha256"]):
            return None
        return meta, self.blob(meta)

    def delete(self, txn: Transaction, storage_id: Any) -> None:
        """Delete a file's document; its blob goes once the deletion commits."""
        doc = txn.get(self.check_id(storage_id, "storage.delete"), TABLE)
        if doc is None:
            raise InvalidIdError(f"storage id {storage_id} not found")  # Convex's words
        txn.delete(doc["_id"], TABLE)
        txn.after_commit.append(lambda: self._collect_quietly(doc["sha256"]))

    def _collect_quietly(self, sha256: str) -> None:
        try:
            self.collect(sha256)
        except Exception:  # a later sweep removes the blob
            log.exception("removing blob %s failed", sha256)

    def collect(self, sha256: str) -> bool:
        """Remove a blob that no ``_storage`` document refers to any more; whether it went.

        A blob put less than ``grace`` seconds ago stays, to be collected later
        (``collect_due``)."""
        with self._lock:
            return self._collect([sha256]) == 1

    def _collect(self, digests: list[str]) -> int:
        """Collect unreferenced, unheld ``digests``; the caller holds ``_lock``."""
        candidates = [sha for sha in digests if sha not in self._held]
        referenced, on_hold = self._referenced(candidates)
        if on_hold:
            for sha in candidates:
                self._deferred[sha] = time.monotonic() + HELD_RETRY
            return 0
        removed = 0
        for sha in candidates:
            self._deferred.pop(sha, None)
            if sha in referenced:
                continue
            if self.blob_store.delete(sha, older_than=self.grace):
                removed += 1
            elif self.grace and self.blob_store.exists(sha):  # put too recently
                self._deferred[sha] = time.monotonic() + self.grace
        return removed

    def _referenced(self, digests: list[str]) -> tuple[set[str], bool]:
        """Which digests a document refers to, and whether a hold keeps every blob."""
        if not digests:
            return set(), False

        def check(txn: Transaction) -> tuple[set[str], bool]:
            on_hold = any(doc["until"] > _now_ms() for doc in _holds(txn))
            found = {
                sha for sha in digests if txn.first_by_index(TABLE, "by_sha256", sha) is not None
            }
            return found, on_hold

        result, _ = self.transactor.transact(check, readonly=True)
        return result

    @contextmanager
    def hold(self) -> Iterator[Callable[[], None]]:
        """Keep every blob while the block runs (across processes): for a reader of an
        older snapshot's files. Call ``hold()`` from a block already holding the
        database's ``exclusive()`` right after taking that snapshot, so that no deletion
        commits in between. Yields ``renew``, to call now and then while the block runs
        long (it extends the hold once half of it has passed)."""

        def put(txn: Transaction) -> str:
            return txn.insert(HOLDS, {"until": _now_ms() + HOLD_MS})

        hold_id, _ = self.transactor.transact(put)
        renewed = time.monotonic()

        def renew() -> None:
            nonlocal renewed
            if time.monotonic() - renewed < HOLD_MS / 2000:
                return
            until = _now_ms() + HOLD_MS
            self.transactor.transact(lambda txn: txn.patch(hold_id, {"until": until}, HOLDS))
            renewed = time.monotonic()

        try:
            yield renew
        finally:

            def release(txn: Transaction) -> None:
                txn.delete(hold_id, HOLDS)
                # why: expired holds of holders that died go too
                for doc in _holds(txn):
                    if doc["_id"] != hold_id and doc["until"] <= _now_ms():
                        txn.delete(doc["_id"], HOLDS)

            self.transactor.transact(release)

    def collect_due(self) -> int:
        """Collect the blobs whose collection waited for their grace period to pass."""
        now = time.monotonic()
        with self._lock:
            due = [sha for sha, when in self._deferred.items() if when <= now]
        removed = 0
        for sha in due:
            removed += self.collect(sha)
        return removed

    def sweep(self) -> int:
        """Remove leftover temporary files and unreferenced blobs (after a crash)."""
        removed = 0
        cutoff = time.time() - self.grace
        for leftover in self.tmp.iterdir():
            try:
                if not self.grace or leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        digests = self.blob_store.list()
        while page := list(itertools.islice(digests, SWEEP_PAGE)):
            with self._lock:
                removed += self._collect(page)
        return removed

    def close(self) -> None:
        """Release the blob store's connections."""
        self.blob_store.close()


def _now_ms() -> float:
    return clock.real_time() * 1000


def _holds(txn: Transaction) -> list[dict[str, Any]]:
    """Every document of ``_storage_holds``."""
    table = txn.table(HOLDS)
    return [doc for _, doc in txn.scan(table, table.by_id, b"", None)]


async def _finish_even_if_cancelled(steps: Coroutine[Any, Any, T]) -> T:
    """Await ``steps`` as a task of its own that a cancelled caller does not cancel."""
    task = asyncio.ensure_future(steps)
    # why: a caller that went away will not see the task's error; take it so that asyncio
    # does not log it as never retrieved
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return await asyncio.shield(task)


class StorageReader:
    """``ctx.storage`` in queries."""

    # How functions see system tables' documents through ctx.db.system (the runtime layer
    # cannot import this one, so it takes them from the ctx's storage)
    system_views: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {TABLE: storage_document}

    def __init__(self, service: StorageService, txn: Transaction | None) -> None:
        self._service = service
        self._txn = txn

    async def get_url(self, storage_id: Any) -> str | None:
        """An absolute URL that serves the file, or None if it does not exist."""
        meta = await self._metadata(storage_id, "storage.getUrl")
        return None if meta is None else self._service.url_for(meta["_id"])

    async def get_metadata(self, storage_id: Any) -> dict[str, Any] | None:
        """``{storageId, sha256, size, contentType}``, or None: Convex's shape, with the
        sha256 in hex (unlike the ``_storage`` document's) and ``contentType`` None when the
        file has none."""
        meta = await self._metadata(storage_id, "storage.getMetadata")
        if meta is None:
            return None
        return {
            "storageId": meta["_id"],
            "sha256": meta["sha256"],
            "size": meta["size"],
            "contentType": meta["contentType"],
        }

    async def _metadata(self, storage_id: Any, operation: str) -> dict[str, Any] | None:
        if self._txn is None:  # an action's: a transaction of its own, off the event loop
            result, _ = await self._service.transactor.transact_async(
                lambda txn: self._service.metadata(txn, storage_id, operation), readonly=True
            )
            return result
        return self._service.metadata(self._txn, storage_id, operation)


class StorageWriter(StorageReader):
    """``ctx.storage`` in mutations."""

    async def generate_upload_url(self) -> str:
        """An upload URL, valid for an hour."""
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
            meta = self._service.find(storage_id)
            return None if meta is None else self._service.blob_store.read(meta["sha256"])

        # why: a transaction and blob I/O: on a thread, not on the loop the action runs on
        return await asyncio.to_thread(read)

    async def store(
        self, data: bytes, content_type: str | None = None, sha256: str | None = None
    ) -> str:
        """Store bytes as a new file; returns its storage ID. ``sha256``: the base64 of the
        bytes' SHA-256 digest, as Convex's ``store(blob, {sha256})`` takes it; the file is
        stored only if the bytes match it (else ``Sha256 mismatch. Expected: ... Actual:
        ...``)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValidationError("ctx.storage.store() takes bytes")
        if content_type is not None and not (
            isinstance(content_type, str) and content_type.isascii() and content_type.isprintable()
        ):
            raise ValidationError(
                f"ctx.storage.store(): content_type must be a MIME type, not {content_type!r}"
            )
        expected = None
        if sha256 is not None:
            expected = _base64_sha256(sha256) if isinstance(sha256, str) else None
            if expected is None:
                raise ValidationError(
                    "ctx.storage.store(): sha256 must be the base64 of the 32-byte SHA-256 "
                    f"digest (base64.b64encode(hashlib.sha256(data).digest())), not {sha256!r}"
                )
        # why: as Convex, an empty type (a Blob's default) is no type
        return await self._service.store_bytes_async(bytes(data), content_type or None, expected)
