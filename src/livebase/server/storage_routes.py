"""Storage over HTTP: ``POST /api/storage/upload?token=...`` and ``GET /api/storage/{id}``,
answered as Convex answers them (``crates/local_backend/src/storage.rs``).

A download carries the file's stored ``Content-Type`` (none if it has none), its
``Content-Length``, ``Cache-Control: private, max-age=2592000`` and ``Accept-Ranges: bytes``;
a whole file also its ``Digest: sha-256=<base64>``. livebase adds an ``ETag`` (the sha256)
and ``Last-Modified``, and honours ``If-Range`` with that ETag; Convex sends neither.

``Range`` as Convex reads it (the ``headers`` crate): a header not starting with ``bytes=`` is
ignored (the whole file, 200); otherwise its comma-separated specs that parse are its ranges,
and anything but exactly one is 416 with an empty body. One range is 206 with
``Content-Range`` naming the range as asked (not clamped to the file) and the bytes of it that
the file has, perhaps none; an empty file answers any one range with an empty 200. Unlike
Convex, ``bytes=-N`` is the last N bytes (and ``bytes=-0`` 416), as RFC 9110 has it: Convex
reads it against a length of 2^64-1 and so answers with no bytes.

A path that is not an ID is 400 ``InvalidStoragePath``; an ID of no stored file 404
``FileNotFound``.
"""

from __future__ import annotations

import asyncio
import base64
import re
from email.utils import formatdate
from functools import partial
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from livebase.engine.errors import InvalidIdError
from livebase.engine.ids import decode_id
from livebase.services.blobs import Blob
from livebase.services.storage import UploadError, bad_header, parse_digest

if TYPE_CHECKING:
    from livebase.server.app import Server

# why: Rust's u64 parse, which the headers crate uses for a bound: digits, an optional "+"
_BOUND = re.compile(r"\+?[0-9]+", re.ASCII)
_U64_MAX = 2**64 - 1
CACHE_CONTROL = "private, max-age=2592000"  # 30 days: a file's bytes never change


class Unsatisfiable(Exception):
    """A ``Range`` header that names no range, or several."""


Bounds = tuple[int | None, int | None]


def requested_range(header: str | None) -> Bounds | None:
    """The one range ``header`` asks for, as its first and last byte positions (inclusive,
    None where it leaves one open); None to serve the whole file (no header, or one not
    starting with ``bytes=``); Unsatisfiable when it names no range or several."""
    if header is None or not header.startswith("bytes="):
        return None
    ranges: list[Bounds] = []
    for spec in header.removeprefix("bytes=").split(","):
        first, dash, last = spec.strip().partition("-")
        if dash and _parses(first) and _parses(last):  # why: Convex drops the other specs
            ranges.append((_bound(first), _bound(last)))
    if len(ranges) != 1:
        raise Unsatisfiable
    return ranges[0]


def _parses(bound: str) -> bool:
    if not bound:
        return True
    # why: int() refuses over 4300 digits; a u64 has at most 20 after its leading zeros
    digits = bound.removeprefix("+").lstrip("0")
    return (
        _BOUND.fullmatch(bound) is not None and len(digits) <= 20 and int(digits or "0") <= _U64_MAX
    )


def _bound(bound: str) -> int | None:
    return int(bound.removeprefix("+").lstrip("0") or "0") if bound else None


def resolve(bounds: Bounds, size: int) -> tuple[int, int, str]:
    """The bytes ``[start, stop)`` of a ``size``-byte file to send for ``bounds``, and its
    ``Content-Range``; Unsatisfiable for ``bytes=-0``. ``size`` must not be 0."""
    first, last = bounds
    if first is None and last is not None:  # the last `last` bytes
        if last == 0:
            raise Unsatisfiable
        start = max(size - last, 0)
        return start, size, f"bytes {start}-{size - 1}/{size}"
    first = first or 0
    last = size - 1 if last is None else last
    start = min(first, size)
    return start, max(start, min(last + 1, size)), f"bytes {first}-{last}/{size}"


def _digest(sha256_hex: str) -> str:
    """The ``Digest`` header of a whole file (Convex's ``DigestHeader``)."""
    return "sha-256=" + base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _error(code: str, message: str, status: int) -> Response:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _invalid_path(path: str) -> Response:
    return _error(
        "InvalidStoragePath",
        f'Invalid storage path: "{path}". Please use `storage.getUrl(storageId: Id<"_storage">)`'
        " to generate a valid URL to retrieve files. See "
        "https://docs.convex.dev/file-storage/serve-files for more details",
        400,
    )


def _not_found(storage_id: str) -> Response:
    return _error("FileNotFound", f"File {storage_id} not found", 404)


class StorageRoutes:
    def __init__(self, server: Server) -> None:
        self.server = server

    def routes(self) -> list[Route]:
        return [
            Route("/api/storage/upload", self.upload, methods=["POST"]),
            Route("/api/storage/{storage_id}", self.download, methods=["GET", "HEAD"]),
        ]

    async def upload(self, request: Request) -> Response:
        """Convex's checks, in its order: the token, then the headers, then the body."""
        storage = self.server.runtime.storage
        length_header = request.headers.get("content-length")
        try:
            nonce = storage.check_token(request.query_params.get("token"))
            try:
                length = int(length_header) if length_header is not None else None
            except ValueError:
                raise bad_header("content-length") from None
            sha256 = parse_digest(request.headers.get("digest"))
            tmp, stored = await storage.receive(request.stream(), length, sha256)
            stored.content_type = request.headers.get("content-type") or None
            storage_id = await storage.commit_upload_async(tmp, stored, nonce)
        except UploadError as exc:
            return _error(exc.code, exc.message, exc.status)
        except ClientDisconnect:
            # The client went away mid-upload (receive() removed the partial file); there is
            # nobody to answer, and it is not a server error worth a traceback.
            return Response(status_code=400)
        return JSONResponse({"storageId": storage_id})

    async def download(self, request: Request) -> Response:
        storage = self.server.runtime.storage
        path = request.path_params["storage_id"]
        try:
            table = decode_id(path)
        except InvalidIdError:
            return _invalid_path(path)
        meta = None
        if table == storage.table().number:
            meta = await self.server.runtime.readers.run(partial(storage.find, path))
        if meta is None:
            return _not_found(path)
        blob = storage.blob(meta)
        etag = f'"{meta["sha256"]}"'
        headers = {
            "Cache-Control": CACHE_CONTROL,
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "Last-Modified": formatdate(meta["_creationTime"] / 1000, usegmt=True),
        }
        if meta["contentType"] is not None:
            headers["Content-Type"] = meta["contentType"]
        # why: a client resuming with If-Range wants the rest of the same bytes, or all of
        # them if they changed; our ETag is the file's sha256
        if_range = request.headers.get("if-range")
        try:
            bounds = requested_range(
                request.headers.get("range") if if_range in (None, etag) else None
            )
            start, stop, status = 0, blob.size, 200
            if bounds is None:
                headers["Digest"] = _digest(meta["sha256"])
            elif blob.size:  # an empty file answers a range with its (empty) whole, as 200
                start, stop, headers["Content-Range"] = resolve(bounds, blob.size)
                status = 206
        except Unsatisfiable:
            return Response(status_code=416)
        headers["Content-Length"] = str(stop - start)
        return await self._send(request, blob, start, stop, status, headers, path)

    async def _send(
        self,
        request: Request,
        blob: Blob,
        start: int,
        stop: int,
        status: int,
        headers: dict[str, str],
        storage_id: str,
    ) -> Response:
        if request.method == "HEAD":
            if not await asyncio.to_thread(blob.store.exists, blob.sha256):
                return _not_found(storage_id)
            return Response(status_code=status, headers=headers)
        chunks = await asyncio.to_thread(blob.open, start, stop)
        if chunks is None:
            return _not_found(storage_id)
        return StreamingResponse(chunks, status, headers=headers)
