"""Convex's HTTP API: ``/api/query``, ``/api/mutation``, ``/api/action``, ``/api/run/...``,
``/api/function``, ``/api/query_ts``, ``/api/query_at_ts``, ``/api/query_batch``, ``/version``.

Queries and mutations run on the runtime's worker threads, never on the event loop. Function
outcomes, success or failure (a time limit too), are HTTP 200 with
``{"status": "success" | "error"}``;
a request that is not well-formed gets a 4xx with ``{"code", "message"}``: among them,
arguments nested deeper than Convex's 64 levels (400 ``TooNested``), and 429
``too_many_attempts`` with ``Retry-After`` once an address has sent too many wrong admin keys.
"""

from __future__ import annotations

import asyncio
import math
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from livebase.engine import values
from livebase.engine.errors import LimitError, LivebaseError
from livebase.engine.history import HistoryUnavailable
from livebase.runtime import logs
from livebase.runtime.context import ClientInfo
from livebase.server.auth import AuthFailed, TooManyAttempts, refusal
from livebase.server.errors import client_error
from livebase.server.protocol import ProtocolError, decode_ts, encode_ts

if TYPE_CHECKING:
    from livebase.server.app import Server

MAX_BODY = 16 * 1024 * 1024  # Convex's limit on function arguments

FORMATS = {
    "json": values.to_clean_json,
    "convex_clean_json": values.to_clean_json,
    "convex_encoded_json": values.to_convex_json,
    "convex_json": values.to_convex_json,
}


class BadRequest(Exception):
    def __init__(
        self, code: str, message: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers


def _error_response(exc: BadRequest) -> JSONResponse:
    return JSONResponse(
        {"code": exc.code, "message": exc.message}, status_code=exc.status, headers=exc.headers
    )


def _json(text: str | bytes | bytearray, what: str) -> Any:
    try:
        return values.parse_json(text, what)
    except LimitError as exc:
        raise BadRequest("TooNested", exc.message) from None


async def _body(request: Request) -> dict[str, Any]:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise BadRequest("TooLarge", f"The request body is over {MAX_BODY} bytes", 413)
    try:
        body = _json(raw or b"{}", "The request body")
    except ValueError as exc:
        raise BadRequest("BadJsonBody", f"The request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("BadJsonBody", "The request body must be a JSON object")
    return body


def _args(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, list):
        if len(raw) != 1:
            raise BadRequest("InvalidArgs", "args must be an object (or a one-element array)")
        raw = raw[0]
    try:
        # why: checked before decoding, which recurses once per level
        args = values.from_convex_json(values.check_nesting(raw, "The arguments object"))
    except LimitError as exc:
        raise BadRequest("TooNested", exc.message) from None
    except LivebaseError as exc:
        raise BadRequest("InvalidArgs", exc.message) from None
    if not isinstance(args, dict):
        raise BadRequest("InvalidArgs", "args must be an object")
    return args


def _encoder(fmt: Any) -> Any:
    if fmt is None:
        return values.to_clean_json
    encoder = FORMATS.get(fmt)
    if encoder is None:
        raise BadRequest(
            "InvalidFormat", f"Unknown format {fmt!r}; use json or convex_encoded_json"
        )
    return encoder


class HttpApi:
    """The HTTP routes, bound to one server."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def routes(self) -> list[Route]:
        return [
            Route("/api/query", self.query, methods=["GET", "POST"]),
            Route("/api/mutation", self.mutation, methods=["POST"]),
            Route("/api/action", self.action, methods=["POST"]),
            Route("/api/function", self.function, methods=["POST"]),
            Route("/api/run/{path:path}", self.run_path, methods=["POST"]),
            Route("/api/query_ts", self.query_ts, methods=["GET", "POST"]),
            Route("/api/query_at_ts", self.query_at_ts, methods=["POST"]),
            Route("/api/query_batch", self.query_batch, methods=["POST"]),
            Route("/version", self.version, methods=["GET"]),
        ]

    async def _caller(self, request: Request) -> tuple[dict[str, Any] | None, bool]:
        header = request.headers.get("authorization")
        admin_key = request.query_params.get("adminKey")
        if header is None and admin_key:
            header = f"Convex {admin_key}"
        client = request.client.host if request.client else None
        try:
            if not header or not header[:7].lower().startswith("bearer "):
                # why: anonymous calls and admin keys (an HMAC compare) need no thread hop,
                # which costs more than the check itself
                return self.server.auth.from_header(header, client)
            # why: a token verifier may fetch keys over the network; never block the loop
            return await run_in_threadpool(self.server.auth.from_header, header, client)
        except TooManyAttempts as exc:
            wait = str(max(1, math.ceil(exc.retry_after)))
            raise BadRequest(
                "too_many_attempts", exc.message, status=429, headers={"Retry-After": wait}
            ) from None
        except AuthFailed as exc:
            code, message, status = refusal(exc, self.server.runtime.dev)
            raise BadRequest(code, message, status=status) from None

    async def _call(
        self, request: Request, kind: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        identity, admin = await self._caller(request)
        encode = _encoder(body.get("format"))
        path = body.get("path")
        args = _args(body.get("args"))
        runtime = self.server.runtime
        lines = logs.LogLines(str(path))
        try:
            fn = runtime.function(path, kind, internal_ok=admin)
            if fn.kind == "query":
                result = await runtime.run_query_async(
                    fn, args, identity=identity, internal_ok=admin
                )
                value, log_lines = result.value, result.log_lines
            elif fn.kind == "mutation":
                done = await runtime.run_mutation_async(
                    fn, args, identity=identity, internal_ok=admin
                )
                value, log_lines = done.value, done.log_lines
            else:
                with logs.capture_into(lines):
                    value = await runtime.run_action(
                        fn,
                        args,
                        identity=identity,
                        internal_ok=admin,
                        client=ClientInfo(
                            request.client.host if request.client else None,
                            request.headers.get("user-agent"),
                        ),
                    )
                log_lines = lines.finish()
        except Exception as exc:
            error = client_error(exc, str(path), self.server.runtime)
            out: dict[str, Any] = {
                "status": "error",
                "errorMessage": error.message,
                "logLines": logs.lines_of(exc) or lines.finish(),
            }
            if error.has_data:
                out["errorData"] = encode(error.data)
            return out
        return {"status": "success", "value": encode(value), "logLines": log_lines}

    async def _respond(
        self, request: Request, kind: str | None, body: dict[str, Any] | None = None
    ) -> Response:
        try:
            payload = await self._call(
                request, kind, body if body is not None else await _body(request)
            )
        except BadRequest as exc:
            return _error_response(exc)
        return JSONResponse(payload)

    async def query(self, request: Request) -> Response:
        if request.method == "GET":
            params = request.query_params
            try:
                args = _json(params.get("args", "{}"), "The arguments")
            except BadRequest as exc:
                return _error_response(exc)
            except ValueError:
                return _error_response(BadRequest("InvalidArgs", "args must be JSON"))
            body = {"path": params.get("path"), "args": args, "format": params.get("format")}
            return await self._respond(request, "query", body)
        return await self._respond(request, "query")

    async def mutation(self, request: Request) -> Response:
        return await self._respond(request, "mutation")

    async def action(self, request: Request) -> Response:
        return await self._respond(request, "action")

    async def function(self, request: Request) -> Response:
        return await self._respond(request, None)

    async def run_path(self, request: Request) -> Response:
        try:
            body = await _body(request)
        except BadRequest as exc:
            return _error_response(exc)
        module, _, name = request.path_params["path"].rstrip("/").rpartition("/")
        body = {
            "path": f"{module}:{name}",
            "args": body.get("args"),
            "format": body.get("format", "json"),
        }
        return await self._respond(request, None, body)

    async def query_ts(self, request: Request) -> Response:
        return JSONResponse({"ts": encode_ts(self.server.runtime.db.latest_ts)})

    async def query_at_ts(self, request: Request) -> Response:
        try:
            body = await _body(request)
            ts = decode_ts(body.get("ts"))
        except BadRequest as exc:
            return _error_response(exc)
        except ProtocolError as exc:
            return _error_response(BadRequest("InvalidTimestamp", str(exc)))
        db = self.server.runtime.db
        if ts > db.latest_ts:
            await asyncio.to_thread(db.catch_up)  # another process may have committed it
        if ts > db.latest_ts:
            return _error_response(
                BadRequest("InvalidTimestamp", "That timestamp is in the future")
            )
        runtime = self.server.runtime
        try:
            identity, _ = await self._caller(request)
            path, args = body.get("path"), _args(body.get("args"))
            try:
                result = await runtime.run_query_at_async(path, args, ts, identity=identity)
            except HistoryUnavailable:
                # why: older than this process's history, or another process committed
                # since: the latest snapshot answers when nothing the query read changed
                result = await runtime.run_query_async(path, args, identity=identity)
                if result.ts > db.latest_ts:
                    # why: the check below can only see commits the feed has published
                    await asyncio.to_thread(db.catch_up)
                if db.feed.conflicts(result.read_set, ts, result.ts):
                    return _error_response(
                        BadRequest(
                            "TimestampOutOfRetention",
                            "That timestamp is older than the history this server keeps "
                            "(about 30 seconds) and the data changed since; query the latest",
                        )
                    )
        except BadRequest as exc:
            return _error_response(exc)
        except Exception:
            return await self._respond(request, "query", body)
        encode = _encoder(body.get("format"))
        return JSONResponse(
            {"status": "success", "value": encode(result.value), "logLines": result.log_lines}
        )

    async def query_batch(self, request: Request) -> Response:
        try:
            body = await _body(request)
            queries = body.get("queries")
            if not isinstance(queries, list):
                raise BadRequest("BadJsonBody", 'query_batch takes {"queries": [...]}')
            results = [
                await self._call(request, "query", q if isinstance(q, dict) else {})
                for q in queries
            ]
        except BadRequest as exc:
            return _error_response(exc)
        return JSONResponse({"results": results})

    async def version(self, request: Request) -> Response:
        return PlainTextResponse(f"livebase {version('livebase')}")
