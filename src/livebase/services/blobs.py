"""Where file bytes live: a content-addressed blob store, sha256 hex digest -> bytes.

File storage (``storage.py``) keeps each file's metadata in the ``_storage`` table and its
bytes here, under the sha256 of the bytes; two files with the same bytes share one blob.
Three stores, chosen by ``open_blob_store``:

- ``DirectoryBlobStore``: ``<root>/blobs/<2 hex>/<sha256>``, root ``<data dir>/storage`` by
  default (the layout livebase always had). For one machine.
- ``PostgresBlobStore``: tables ``blobs`` and ``blob_chunks`` in the deployment's own
  schema; the default for a PostgreSQL deployment, so every process serving it reaches
  every file with nothing else to run.
- ``S3BlobStore``: objects ``<prefix><2 hex>/<sha256>`` in an S3-compatible bucket.

What every store promises (``tests/services/test_blobs.py`` checks all three):

- A blob is named only by a sha256 hex digest, checked on every call, so no name reaches
  a path or key of anything but a blob. The store trusts the caller that the bytes hash to it.
- ``put_*`` is atomic and idempotent: readers see a blob whole or not at all; putting a blob
  that exists leaves its bytes and refreshes its write time.
- ``delete(sha, older_than=s)`` removes a blob only if it was last put more than ``s``
  seconds ago by the store's clock. Where many processes share a store, file storage
  collects with a grace period so that it never removes bytes another process has just put
  and is about to record (storage.py, ``COLLECT_GRACE``).
- ``open(sha, start, end)`` streams ``bytes[start:end]`` (Python slicing, non-negative
  bounds), or is None when there is no such blob; the stream may hold a file or connection
  open until it is exhausted or closed.
- Every method may be called from any thread.

A store holds the bytes of one deployment: two deployments must not share a directory,
schema or bucket prefix, or each would collect the other's files.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from livebase.engine.errors import LivebaseError

if TYPE_CHECKING:
    import psycopg

    from livebase.persistence.postgres import PostgresPersistence
    from livebase.runtime.transactor import Transactor

log = logging.getLogger("livebase.storage")

CHUNK = 1 << 20  # bytes per read, per PostgreSQL row and per streamed piece
_SHA = re.compile(r"^[0-9a-f]{64}$")
T = TypeVar("T")

Chunks = Generator[bytes, None, None]


class BlobNotFound(OSError):
    """A blob went missing while it was being read (deleted meanwhile)."""


class BlobStoreError(LivebaseError):
    """A blob store that cannot be used (a bucket that does not answer, no credentials)."""

    code = "StorageUnavailable"


def check_sha256(sha256: str) -> str:
    """``sha256`` if it is a lowercase sha256 hex digest; ValueError otherwise."""
    if not isinstance(sha256, str) or not _SHA.match(sha256):
        raise ValueError(f"{sha256!r} is not a sha256 hex digest")
    return sha256


def _check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"byte range {start}:{end} is not a range of a blob")


class BlobStore(ABC):
    """Bytes by their sha256: see the module docstring for what every store promises."""

    description = "a blob store"  # where the bytes are, for logs and errors

    @abstractmethod
    def put_file(self, sha256: str, path: Path) -> None:
        """Store the bytes of the local file ``path``, which hash to ``sha256``. The file is
        left in place (the caller removes it)."""

    @abstractmethod
    def put_bytes(self, sha256: str, data: bytes) -> None:
        """Store ``data``, which hashes to ``sha256``."""

    @abstractmethod
    def size(self, sha256: str) -> int | None:
        """The blob's size in bytes, or None if there is no such blob."""

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.size(sha256) is not None

    @abstractmethod
    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Chunks | None:
        """``bytes[start:end]`` of the blob as a stream of chunks, or None if there is no
        such blob. Close the stream if it is not read to its end. A blob deleted while it is
        read may end its stream with BlobNotFound (PostgreSQL's, read row by row)."""

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> bytes | None:
        """``bytes[start:end]`` of the blob, or None if there is no such blob."""
        chunks = self.open(sha256, start, end)
        if chunks is None:
            return None
        with contextlib.closing(chunks):
            return b"".join(chunks)

    @abstractmethod
    def delete(self, sha256: str, older_than: float = 0.0) -> bool:
        """Remove the blob if it was last put more than ``older_than`` seconds ago; whether
        it was removed."""

    @abstractmethod
    def list(self) -> Iterator[str]:
        """The sha256 of every stored blob (each once, in no promised order)."""

    def close(self) -> None:  # noqa: B027 (most stores hold nothing to release)
        """Release connections and clients (the bytes stay)."""


@dataclass(frozen=True)
class Blob:
    """One stored blob: what a download serves."""

    store: BlobStore
    sha256: str
    size: int

    def open(self, start: int = 0, end: int | None = None) -> Chunks | None:
        """``bytes[start:end]`` as a stream of chunks, or None if the blob is gone."""
        return self.store.open(self.sha256, start, end)

    def read_bytes(self) -> bytes:
        """All of its bytes; FileNotFoundError if the blob is gone."""
        data = self.store.read(self.sha256)
        if data is None:
            raise FileNotFoundError(f"blob {self.sha256} is not in {self.store.description}")
        return data


# --- a directory -----------------------------------------------------------------------------


class DirectoryBlobStore(BlobStore):
    """``<root>/blobs/<2 hex>/<sha256>``, written through ``<root>/tmp``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.tmp = self.root / "tmp"
        self.description = f"the directory {self.root}"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where the blob is (or would be) on disk."""
        return self.blobs / check_sha256(sha256)[:2] / sha256

    def put_file(self, sha256: str, path: Path) -> None:
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        while not self._touch(target):
            try:
                # why: a hard link is atomic and copies nothing, and it leaves the caller's
                # file; touched, so that its write time is the put's, not the upload's
                os.link(path, target)
            except FileExistsError:
                continue  # put meanwhile: touch that one
            except OSError:  # another file system, or one without hard links
                with open(path, "rb") as source:
                    self._write(target, source)
            self._touch(target)
            return

    def put_bytes(self, sha256: str, data: bytes) -> None:
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        if not self._touch(target):
            self._write(target, io.BytesIO(data))

    def _write(self, target: Path, source: BinaryIO) -> None:
        fd, name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)

    @staticmethod
    def _touch(target: Path) -> bool:
        """Refresh an existing blob's write time; False if there is none."""
        try:
            os.utime(target)
        except FileNotFoundError:
            return False
        return True

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Chunks | None:
        _check_range(start, end)
        try:
            file = open(self.path(sha256), "rb")  # noqa: SIM115 (the stream closes it)
        except FileNotFoundError:
            return None
        return _file_chunks(file, start, end)

    def delete(self, sha256: str, older_than: float = 0.0) -> bool:
        path = self.path(sha256)
        if older_than <= 0:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True
        doomed = self.tmp / f"deleting-{sha256}-{secrets.token_hex(4)}"
        try:
            if self._age(path) <= older_than:
                return False
            os.replace(path, doomed)
        except FileNotFoundError:
            return False
        # why: a put that found the blob between the age check and the move touched it and
        # counts on it: put it back (a put after the move found no blob and made its own)
        if self._age(doomed) <= older_than:
            with contextlib.suppress(FileExistsError):
                os.link(doomed, path)
            doomed.unlink()
            return False
        doomed.unlink()
        return True

    @staticmethod
    def _age(path: Path) -> float:
        return time.time() - path.stat().st_mtime

    def list(self) -> Iterator[str]:
        for prefix in sorted(self.blobs.iterdir()):
            if prefix.is_dir():
                for blob in sorted(prefix.iterdir()):
                    if _SHA.match(blob.name) and blob.name[:2] == prefix.name:
                        yield blob.name


def _file_chunks(file: BinaryIO, start: int, end: int | None) -> Chunks:
    with file:
        file.seek(start)
        left = None if end is None else end - start
        while left is None or left > 0:
            chunk = file.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


# --- PostgreSQL ------------------------------------------------------------------------------

_PG_TABLES = """
CREATE TABLE blobs (
    sha256 text PRIMARY KEY, size bigint NOT NULL, chunk integer NOT NULL,
    written timestamptz NOT NULL DEFAULT now());
CREATE TABLE blob_chunks (
    sha256 text NOT NULL REFERENCES blobs ON DELETE CASCADE, n integer NOT NULL,
    data bytea NOT NULL, PRIMARY KEY (sha256, n));
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
"""
_PG_READ = (
    "SELECT substring(data FROM %s::integer FOR %s::integer) FROM blob_chunks"
    " WHERE sha256 = %s AND n = %s"
)
_PG_LIST_PAGE = 1000


class _Connections:
    """A few idle connections kept for reuse; thread-safe. ``run(work)`` lends one to
    ``work``, and retries once on a fresh connection when a kept one turns out dead."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], keep: int) -> None:
        self._connect = connect
        self._keep = keep
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        import psycopg

        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the blob store is closed")
                conn = self._idle.pop() if self._idle else None
            kept = conn is not None
            if conn is None:
                conn = self._connect()
            try:
                result = work(conn)
            except psycopg.OperationalError:
                conn.close()
                if kept:  # why: the server dropped an idle connection (restart, idle timeout)
                    continue
                raise
            except BaseException:
                self._give_back(conn)
                raise
            self._give_back(conn)
            return result

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        from psycopg.pq import TransactionStatus

        healthy = not conn.broken and conn.info.transaction_status == TransactionStatus.IDLE
        with self._lock:
            if healthy and not self._closed and len(self._idle) < self._keep:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class PostgresBlobStore(BlobStore):
    """Blobs in the deployment's own PostgreSQL schema: a ``blobs`` row per blob (size,
    chunk size, write time) and its bytes in ``blob_chunks`` rows of ``chunk_size`` bytes.

    A put writes the row and its chunks in one transaction, so other processes see a blob
    whole or not at all. Reads fetch one chunk (or the part of one a range needs) per query
    and hold no connection between chunks, so a slow client keeps none busy. The chunks are
    stored uncompressed (``STORAGE EXTERNAL``): most files are compressed already, and a
    range then reads only the pages it needs.
    """

    def __init__(
        self, persistence: PostgresPersistence, *, chunk_size: int = CHUNK, keep: int = 4
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.chunk_size = chunk_size
        self.description = f"PostgreSQL schema {persistence.schema} (tables blobs, blob_chunks)"
        self._pool = _Connections(persistence.connect, keep)
        self._pool.run(partial(self._create_tables, f"livebase_blobs_{persistence.schema}"))

    @staticmethod
    def _create_tables(lock: str, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            # why: two processes opening the same deployment at once must not race
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock,))
            if conn.execute("SELECT to_regclass('blobs')").fetchone() == (None,):
                conn.execute(_PG_TABLES)

    def put_file(self, sha256: str, path: Path) -> None:
        check_sha256(sha256)
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size

            def chunks() -> Iterator[bytes]:
                file.seek(0)
                return iter(partial(file.read, self.chunk_size), b"")

            self._pool.run(partial(self._put, sha256, size, chunks))

    def put_bytes(self, sha256: str, data: bytes) -> None:
        check_sha256(sha256)
        view = memoryview(data)

        def chunks() -> Iterator[bytes]:
            step = self.chunk_size
            return (bytes(view[i : i + step]) for i in range(0, len(view), step))

        self._pool.run(partial(self._put, sha256, len(data), chunks))

    def _put(
        self,
        sha256: str,
        size: int,
        chunks: Callable[[], Iterator[bytes]],
        conn: psycopg.Connection[Any],
    ) -> None:
        touched = conn.execute("UPDATE blobs SET written = now() WHERE sha256 = %s", (sha256,))
        if touched.rowcount:
            return
        with conn.transaction():
            new = conn.execute(
                "INSERT INTO blobs (sha256, size, chunk) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (sha256, size, self.chunk_size),
            )
            if not new.rowcount:  # another process put it meanwhile (and just now)
                return
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO blob_chunks VALUES (%s, %s, %b)",
                    ((sha256, n, chunk) for n, chunk in enumerate(chunks())),
                )

    def _row(self, sha256: str) -> tuple[int, int] | None:
        check_sha256(sha256)
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT size, chunk FROM blobs WHERE sha256 = %s", (sha256,)
            ).fetchone()
        )
        return None if row is None else (int(row[0]), int(row[1]))

    def size(self, sha256: str) -> int | None:
        row = self._row(sha256)
        return None if row is None else row[0]

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Chunks | None:
        _check_range(start, end)
        row = self._row(sha256)
        if row is None:
            return None
        size, chunk = row
        return self._chunks(sha256, chunk, start, size if end is None else min(end, size))

    def _chunks(self, sha256: str, chunk: int, start: int, end: int) -> Chunks:
        def fetch(n: int, offset: int, length: int, conn: psycopg.Connection[Any]) -> Any:
            with conn.cursor(binary=True) as cur:
                return cur.execute(_PG_READ, (offset + 1, length, sha256, n)).fetchone()

        position = start
        while position < end:
            n, offset = divmod(position, chunk)
            found = self._pool.run(partial(fetch, n, offset, min(chunk - offset, end - position)))
            if found is None or not found[0]:
                raise BlobNotFound(f"blob {sha256} went missing from {self.description}")
            data = bytes(found[0])
            position += len(data)
            yield data

    def delete(self, sha256: str, older_than: float = 0.0) -> bool:
        check_sha256(sha256)
        if older_than > 0:
            query = (
                "DELETE FROM blobs WHERE sha256 = %s"
                " AND written < now() - make_interval(secs => %s)"
            )
            params: tuple[Any, ...] = (sha256, float(older_than))
        else:
            query, params = "DELETE FROM blobs WHERE sha256 = %s", (sha256,)
        return bool(self._pool.run(lambda conn: conn.execute(query, params).rowcount))

    def list(self) -> Iterator[str]:
        def page(after: str, conn: psycopg.Connection[Any]) -> list[Any]:
            return conn.execute(
                "SELECT sha256 FROM blobs WHERE sha256 > %s ORDER BY sha256 LIMIT %s",
                (after, _PG_LIST_PAGE),
            ).fetchall()

        after = ""
        while True:
            rows = self._pool.run(partial(page, after))
            yield from (row[0] for row in rows)
            if len(rows) < _PG_LIST_PAGE:
                return
            after = rows[-1][0]

    def close(self) -> None:
        self._pool.close()


# --- S3 --------------------------------------------------------------------------------------


class S3BlobStore(BlobStore):
    """Objects ``<prefix><2 hex>/<sha256>`` in an S3-compatible bucket (boto3, with its
    usual credentials: environment variables, shared files, instance roles).

    A put always uploads, so that it refreshes the object's write time (``LastModified``),
    which ``delete(older_than=...)`` reads; with the bytes named by their hash, an upload of
    an existing blob rewrites the same bytes.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
    ) -> None:
        try:
            import boto3
            from boto3.s3.transfer import TransferConfig
            from botocore.config import Config
        except ImportError as exc:
            raise ValueError(
                f"an S3 blob store needs boto3 ({exc.name} is missing): pip install 'livebase[s3]'"
            ) from None
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.description = f"s3://{bucket}/{self.prefix}" + (f" at {endpoint}" if endpoint else "")
        config = Config(
            max_pool_connections=32,
            retries={"mode": "standard"},
            # why: S3-compatible servers on an endpoint of their own (MinIO, moto, Ceph)
            # rarely have a DNS name per bucket
            s3={"addressing_style": "path"} if endpoint else {},
        )
        session = boto3.session.Session()
        self._client = session.client(
            "s3", endpoint_url=endpoint, region_name=region, config=config
        )
        self._transfer = TransferConfig(
            multipart_threshold=16 * CHUNK, multipart_chunksize=16 * CHUNK
        )
        self._check_bucket()

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """``s3://bucket/prefix?endpoint=http://host:port&region=name``."""
        parts = urllib.parse.urlsplit(url)
        params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        unknown = set(params) - {"endpoint", "region"}
        if parts.scheme != "s3" or not parts.netloc or unknown:
            raise ValueError(
                f"S3 storage URL {url!r}: expected s3://bucket/prefix"
                "?endpoint=http://host:port&region=name (endpoint and region optional)"
            )
        return cls(
            parts.netloc,
            urllib.parse.unquote(parts.path),
            endpoint=params.get("endpoint") or None,
            region=params.get("region") or None,
        )

    def _check_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreError(f"cannot use {self.description}: {exc}") from None

    def key(self, sha256: str) -> str:
        """The object key of a blob."""
        return f"{self.prefix}{check_sha256(sha256)[:2]}/{sha256}"

    def put_file(self, sha256: str, path: Path) -> None:
        self._client.upload_file(str(path), self.bucket, self.key(sha256), Config=self._transfer)

    def put_bytes(self, sha256: str, data: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data)

    def _head(self, sha256: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self._client.head_object(Bucket=self.bucket, Key=self.key(sha256)))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def size(self, sha256: str) -> int | None:
        head = self._head(sha256)
        return None if head is None else int(head["ContentLength"])

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Chunks | None:
        from botocore.exceptions import ClientError

        _check_range(start, end)
        if end is not None and end == start:  # S3 has no empty range: check it exists
            return _no_chunks() if self.exists(sha256) else None
        request = {"Bucket": self.bucket, "Key": self.key(sha256)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            response = self._client.get_object(**request)
        except ClientError as exc:
            if _missing(exc):
                return None
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return _no_chunks()  # it starts at or after the end
            raise
        return _body_chunks(response["Body"])

    def delete(self, sha256: str, older_than: float = 0.0) -> bool:
        head = self._head(sha256)
        if head is None:
            return False
        if older_than > 0 and time.time() - head["LastModified"].timestamp() <= older_than:
            return False
        self._client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        return True

    def list(self) -> Iterator[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                sha256 = name[3:]
                if _SHA.match(sha256) and name == f"{sha256[:2]}/{sha256}":
                    yield sha256

    def close(self) -> None:
        self._client.close()


def _missing(error: Any) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _no_chunks() -> Chunks:
    yield from ()


def _body_chunks(body: Any) -> Chunks:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


# --- choosing one ----------------------------------------------------------------------------

FORMS = (
    "s3://bucket/prefix?endpoint=http://host:port&region=name, file:///path or a path "
    "(a directory), or postgres (the deployment's PostgreSQL database; also: db)"
)


def open_blob_store(spec: str | None, runtime: Transactor) -> BlobStore:
    """The blob store ``spec`` names, for ``runtime``'s deployment.

    - None: the deployment's database when it is PostgreSQL, else the directory
      ``<data dir>/storage``.
    - ``s3://bucket/prefix?endpoint=http://host:port&region=name``: an S3-compatible bucket
      (``endpoint`` and ``region`` optional; credentials as boto3 finds them).
    - ``file:///path`` or a plain path: a directory (blobs under ``<path>/blobs``).
    - ``postgres`` or ``db``: the deployment's PostgreSQL database (schema tables).

    ValueError, naming the accepted forms, for anything else.
    """
    store = _open(spec, runtime)
    log.info("file bytes are kept in %s", store.description)
    return store


def _open(spec: str | None, runtime: Transactor) -> BlobStore:
    database = _postgres(runtime.db.persistence)
    if spec is None:
        if database is not None:
            return PostgresBlobStore(database)
        return DirectoryBlobStore(Path(runtime.data_dir) / "storage")
    if spec.startswith("s3://"):
        return S3BlobStore.from_url(spec)
    if spec in ("postgres", "db"):
        if database is None:
            raise ValueError(
                f"storage {spec!r} keeps file bytes in the deployment's PostgreSQL database, "
                "and this deployment is not stored in PostgreSQL"
            )
        return PostgresBlobStore(database)
    if spec.startswith("file://"):
        parts = urllib.parse.urlsplit(spec)
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ValueError(f"storage {spec!r}: expected {FORMS}")
        return DirectoryBlobStore(Path(urllib.parse.unquote(parts.path)))
    if spec.strip() and "://" not in spec:
        return DirectoryBlobStore(Path(spec))
    raise ValueError(f"storage {spec!r}: expected {FORMS}")


def _postgres(persistence: Any) -> PostgresPersistence | None:
    """``persistence`` if it is PostgreSQL's (imported only then: psycopg is an extra)."""
    if not getattr(persistence, "multi_writer", False):
        return None
    try:
        from livebase.persistence.postgres import PostgresPersistence
    except ImportError:
        return None
    return persistence if isinstance(persistence, PostgresPersistence) else None
