"""Storage over HTTP: ``POST /api/storage/upload?token=...`` and ``GET /api/storage/{id}``.

Downloads answer ``Range: bytes=...`` with one range (``206``, or ``416`` when it starts past
the end); a header asking for several ranges, or one this module does not understand, is
ignored and the whole file served, as RFC 9110 allows. ``If-Range`` with the file's ETag
(its sha256) keeps a range; any other value asks for the whole file.
"""

from __future__ import annotations

import asyncio
import re
from email.utils import formatdate
from functools import partial
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from livebase.engine.errors import InvalidIdError
from livebase.services.storage import UploadError

if TYPE_CHECKING:
    from livebase.server.app import Server

_RANGE = re.compile(r"^\s*([0-9]*)\s*-\s*([0-9]*)\s*$", re.ASCII)


class Unsatisfiable(Exception):
    """A byte range that starts at or after the end of the file."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range ``header`` asks for, as ``(start, end)`` with ``end`` exclusive; None
    to serve the whole file; Unsatisfiable when the range lies past the end."""
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    match = _RANGE.match(spec)
    if unit.strip().lower() != "bytes" or match is None:
        return None  # several ranges, another unit, or not a range at all
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)  # the last `suffix` bytes
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(size - suffix, 0), size
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range: ignored
    if start >= size:
        raise Unsatisfiable
    return start, size if not last else min(int(last) + 1, size)


class StorageRoutes:
    def __init__(self, server: Server) -> None:
        self.server = server

    def routes(self) -> list[Route]:
        return [
            Route("/api/storage/upload", self.upload, methods=["POST"]),
            Route("/api/storage/{storage_id}", self.download, methods=["GET", "HEAD"]),
        ]

    async def upload(self, request: Request) -> Response:
        storage = self.server.runtime.storage
        length_header = request.headers.get("content-length")
        try:
            nonce = storage.check_token(request.query_params.get("token"))
            try:
                length = int(length_header) if length_header is not None else None
            except ValueError:
                raise UploadError("Content-Length is not a number") from None
            tmp, stored = await storage.receive(
                request.stream(), length, request.headers.get("digest")
            )
            stored.content_type = request.headers.get("content-type")
            storage_id = await storage.commit_upload_async(tmp, stored, nonce)
        except UploadError as exc:
            return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status)
        except ClientDisconnect:
            # The client went away mid-upload (receive() removed the partial file); there is
            # nobody to answer, and it is not a server error worth a traceback.
            return Response(status_code=400)
        return JSONResponse({"storageId": storage_id})

    async def download(self, request: Request) -> Response:
        storage = self.server.runtime.storage
        try:
            storage_id = storage.check_id(request.path_params["storage_id"])
            meta = await self.server.runtime.readers.run(partial(storage.find, storage_id))
        except InvalidIdError:
            meta = None
        if meta is None:
            return _not_found()
        blob = storage.blob(meta)
        etag = f'"{meta["sha256"]}"'
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, max-age=2592000, immutable",
            "ETag": etag,
            "Last-Modified": formatdate(meta["_creationTime"] / 1000, usegmt=True),
        }
        # why: a client resuming with If-Range wants the rest of the same bytes, or all of
        # them if they changed; our ETag is the file's sha256
        if_range = request.headers.get("if-range")
        range_header = request.headers.get("range") if if_range in (None, etag) else None
        try:
            wanted = byte_range(range_header, blob.size)
        except Unsatisfiable:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{blob.size}"})
        start, end = wanted or (0, blob.size)
        headers["Content-Length"] = str(end - start)
        if wanted is not None:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{blob.size}"
        status = 200 if wanted is None else 206
        media_type = meta["contentType"] or "application/octet-stream"
        if request.method == "HEAD":
            if not await asyncio.to_thread(blob.store.exists, blob.sha256):
                return _not_found()
            return Response(status_code=status, headers=headers, media_type=media_type)
        chunks = await asyncio.to_thread(blob.open, start, end)
        if chunks is None:
            return _not_found()
        return StreamingResponse(chunks, status, headers=headers, media_type=media_type)


def _not_found() -> Response:
    return JSONResponse({"code": "FileNotFound", "message": "No such file"}, status_code=404)
