"""Serving an app's HTTP actions (``http.py``): under ``/http/`` and on an optional port.

A handler runs on the event loop like any action, within the action time limit; the queries
and mutations it calls run on the runtime's worker threads.
"""

from __future__ import annotations

import inspect
import json
import math
import secrets
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from livebase.engine import values
from livebase.engine.errors import ValidationError
from livebase.runtime import execution, handles
from livebase.runtime.context import ClientInfo, make_identity
from livebase.server.auth import AuthFailed, TooManyAttempts
from livebase.server.errors import client_error

if TYPE_CHECKING:
    from livebase.server.app import Server

MAX_BODY = 20 * 1024 * 1024


class _BodyTooLarge(Exception):
    """The request body grew past MAX_BODY while the handler read it."""


def _limited(receive: Receive) -> Receive:
    """``receive`` that counts body bytes: a chunked body has no Content-Length to check."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _BodyTooLarge
        return message

    return limited


def to_response(result: Any) -> Response:
    """What a handler returned, as an HTTP response."""
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status_code=204)
    if isinstance(result, str):
        return PlainTextResponse(result)
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    return JSONResponse(values.to_clean_json(values.normalize(result)))


class HttpActions:
    """An ASGI app routing requests to the app's HTTP actions; ``prefix`` is stripped."""

    def __init__(self, server: Server, prefix: str = "") -> None:
        self.server = server
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, _limited(receive))
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        router = self.server.runtime.app.http
        path = request.url.path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :] or "/"
        if router is None:
            return JSONResponse(
                {"code": "NotFound", "message": "This app has no HTTP actions"}, 404
            )
        route, path_known = router.lookup(path, request.method)
        if route is None:
            status = 405 if path_known else 404
            return JSONResponse(
                {"code": "NoRoute", "message": f"No route for {request.method} {path}"}, status
            )
        too_large = JSONResponse({"code": "TooLarge", "message": "Request body over 20 MiB"}, 413)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            return too_large
        auth_error = None
        try:
            claims, _ = await run_in_threadpool(
                self.server.auth.from_header,
                request.headers.get("authorization"),
                request.client.host if request.client else None,
            )
            # why: an admin acting as a user passes bare claims; the handler's ctx.auth must
            # see the same identity (tokenIdentifier, issuer) as the functions it calls.
            identity = make_identity(claims)
        except TooManyAttempts as exc:
            wait = str(max(1, math.ceil(exc.retry_after)))
            refusal = {"code": "too_many_attempts", "message": exc.message}
            return JSONResponse(refusal, 429, headers={"Retry-After": wait})
        except (AuthFailed, ValidationError) as exc:
            # why: as on Convex, a header that is not a valid token (a webhook's own scheme,
            # say) does not stop the action: it runs with no identity and decides itself
            identity, auth_error = None, str(exc)
        runtime = self.server.runtime
        peer = request.client.host if request.client else None
        client = ClientInfo(peer, request.headers.get("user-agent"))
        ctx = runtime.action_ctx(identity, client, auth_error=auth_error)
        try:
            with handles.within(runtime):
                result = route.action.handler(ctx, request)
                if inspect.isawaitable(result):
                    name = f"{request.method} {path}"
                    limit = runtime.limits.action
                    result = await execution.time_limited(result, name, "action", limit)
            return to_response(result)
        except _BodyTooLarge:
            return too_large
        except Exception as exc:
            if isinstance(exc.__context__, _BodyTooLarge):  # the handler caught and re-raised
                return too_large
            return _failed(exc, f"{request.method} {path}", runtime)


def _failed(exc: Exception, name: str, runtime: Any) -> Response:
    """A thrown error as Convex answers it (``RedactedJsError::to_http_response_parts``):
    500 with ``{"code": "[Request ID: ...] Server Error"}``, in dev mode (``livebase dev``)
    ``: Uncaught Type: message`` after it and the ``trace``, and a ConvexError's ``data``."""
    error = client_error(exc, name, runtime)
    code = f"[Request ID: {error.request_id or secrets.token_hex(8)}] Server Error"
    body: dict[str, Any] = {"code": code}
    if runtime.dev:
        # why: livebase's own refusals are Convex's system errors, thrown as plain Errors
        trace = error.uncaught or f"Uncaught Error: {error.message}"
        body["code"] = f"{code}: {trace.splitlines()[0]}"
        body["trace"] = trace
    if error.has_data:
        body["data"] = json.loads(error.data_json() or "null")
    return JSONResponse(body, status_code=500)
