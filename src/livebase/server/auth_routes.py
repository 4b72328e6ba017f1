"""The password provider over HTTP: ``/api/auth/signup``, ``signin``, ``refresh``,
``signout`` and ``password`` (change). Bodies and answers are JSON; a refused request gets
``{"code", "message"}`` with 400, 401 or 409."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from livebase.auth.password import PasswordProvider
from livebase.errors import AuthFailed, ConvexError

_STATUS = {
    "account_exists": 409,
    "invalid_credentials": 401,
    "invalid_refresh": 401,
    "too_large": 413,
}
MAX_BODY = 64 * 1024  # an email, a password, a token: far less than this


class AuthRoutes:
    def __init__(self, provider: PasswordProvider) -> None:
        self.provider = provider

    def routes(self) -> list[Route]:
        return [
            Route("/api/auth/signup", self.signup, methods=["POST"]),
            Route("/api/auth/signin", self.signin, methods=["POST"]),
            Route("/api/auth/refresh", self.refresh, methods=["POST"]),
            Route("/api/auth/signout", self.signout, methods=["POST"]),
            Route("/api/auth/password", self.password, methods=["POST"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any]:
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise ConvexError({"code": "too_large", "message": "The body is too large"})
        try:
            body = json.loads(bytes(raw) or b"{}")
        except ValueError:
            raise ConvexError({"code": "bad_request", "message": "The body must be JSON"}) from None
        if not isinstance(body, dict):
            raise ConvexError({"code": "bad_request", "message": "The body must be an object"})
        return body

    async def _answer(self, request: Request, work: Any) -> Response:
        try:
            body = await self._body(request)
            # why: argon2 takes ~100 ms of CPU a call; on the event loop it would stall every
            # other connection (live queries, pings) while someone signs in.
            result = await run_in_threadpool(work, body)
        except ConvexError as exc:
            data = exc.data
            if not isinstance(data, dict):
                data = {"code": "error", "message": str(data)}
            return JSONResponse(data, status_code=_STATUS.get(data.get("code", ""), 400))
        except AuthFailed as exc:
            return JSONResponse({"code": "unauthenticated", "message": exc.message}, 401)
        return JSONResponse(result if result is not None else {"ok": True})

    async def signup(self, request: Request) -> Response:
        return await self._answer(
            request,
            lambda b: self.provider.sign_up(b.get("email"), b.get("password"), b.get("name")),
        )

    async def signin(self, request: Request) -> Response:
        return await self._answer(
            request, lambda b: self.provider.sign_in(b.get("email"), b.get("password"))
        )

    async def refresh(self, request: Request) -> Response:
        return await self._answer(request, lambda b: self.provider.refresh(b.get("refreshToken")))

    async def signout(self, request: Request) -> Response:
        return await self._answer(request, lambda b: self.provider.sign_out(b.get("refreshToken")))

    async def password(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""

        def change(body: dict[str, Any]) -> dict[str, Any]:
            identity = self.provider.verify(token)
            return self.provider.change_password(
                identity["subject"], body.get("oldPassword"), body.get("newPassword")
            )

        return await self._answer(request, change)
