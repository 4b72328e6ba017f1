"""Storage over HTTP: ``POST /api/storage/upload?token=...`` and ``GET /api/storage/{id}``."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from livebase.engine.errors import InvalidIdError
from livebase.services.storage import UploadError

if TYPE_CHECKING:
    from livebase.server.app import Server


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
            # why: recording the file is a transaction: it runs with the other writes
            storage_id = await self.server.runtime.in_writer(
                partial(storage.commit_upload, tmp, stored, nonce)
            )
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
            found = await self.server.runtime.readers.run(partial(storage.read, storage_id))
        except InvalidIdError:
            found = None
        if found is None:
            return JSONResponse(
                {"code": "FileNotFound", "message": "No such file"}, status_code=404
            )
        meta, path = found
        return FileResponse(
            path,
            media_type=meta["contentType"] or "application/octet-stream",
            headers={
                "Cache-Control": "private, max-age=2592000, immutable",
                "ETag": f'"{meta["sha256"]}"',
            },
        )
