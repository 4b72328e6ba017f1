"""The password provider over HTTP: ``/api/auth/signup``, ``signin``, ``refresh``,
``signout`` and ``password`` (change). Bodies and answers are JSON; a refused request gets
``{"code", "message"}``:

- 400 a malformed body (``bad_request``, ``too_nested`` past 64 levels), a weak password or a
  bad email; 401 wrong credentials or token; 403 ``signup_closed``; 409 ``account_exists``;
  413 ``too_large``;
- 429 ``too_many_attempts`` with ``Retry-After`` (seconds): this account or this client
  address failed too often (see ``livebase.services.auth.throttle``); the password is not checked;
- 503 ``busy`` with ``Retry-After``: the password-hashing pool's queue is full.

Sign-up, sign-in and password changes hash passwords, so they run on the dedicated
``HashingPool``, never on the event loop or Starlette's shared thread pool; refresh and sign-out
do not, and stay available while the pool is busy.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from livebase.engine import values
from livebase.engine.errors import AuthFailed, ConvexError, LimitError
from livebase.services.auth.hashing import Busy, HashingPool
from livebase.services.auth.password import PasswordProvider
from livebase.services.auth.throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT, Throttle, TooManyAttempts

log = logging.getLogger("livebase.auth")

_STATUS = {
    "account_exists": 409,
    "invalid_credentials": 401,
    "invalid_refresh": 401,
    "signup_closed": 403,
    "too_large": 413,
}
MAX_BODY = 64 * 1024  # an email, a password, a token: far less than this

Work = Callable[[dict[str, Any]], Any]


class AuthRoutes:
    """The routes of one provider, with their hashing pool and failure counters."""

    def __init__(
        self,
        provider: PasswordProvider,
        pool: HashingPool | None = None,
        accounts: Throttle | None = None,
        addresses: Throttle | None = None,
    ) -> None:
        self.provider = provider
        self.pool = pool or HashingPool()
        self.accounts = accounts or Throttle(ACCOUNT_LIMIT)
        self.addresses = addresses or Throttle(ADDRESS_LIMIT)

    def routes(self) -> list[Route]:
        return [
            Route("/api/auth/signup", self.signup, methods=["POST"]),
            Route("/api/auth/signin", self.signin, methods=["POST"]),
            Route("/api/auth/refresh", self.refresh, methods=["POST"]),
            Route("/api/auth/signout", self.signout, methods=["POST"]),
            Route("/api/auth/password", self.password, methods=["POST"]),
        ]

    # --- plumbing ------------------------------------------------------------------------
    async def _body(self, request: Request) -> dict[str, Any]:
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise ConvexError({"code": "too_large", "message": "The body is too large"})
        try:
            body = values.check_nesting(values.parse_json(bytes(raw) or b"{}"), "The body")
        except LimitError as exc:
            raise ConvexError({"code": "too_nested", "message": exc.message}) from None
        except ValueError:
            raise ConvexError({"code": "bad_request", "message": "The body must be JSON"}) from None
        if not isinstance(body, dict):
            raise ConvexError({"code": "bad_request", "message": "The body must be an object"})
        return body

    async def _answer(
        self,
        request: Request,
        work: Work,
        *,
        hashing: bool = False,
        gate: Callable[[dict[str, Any]], None] | None = None,
    ) -> Response:
        """Run ``work(body)`` off the loop: on the hashing pool when it hashes passwords.
        ``gate(body)`` runs first, on the loop, to refuse cheaply (a locked account)."""
        try:
            body = await self._body(request)
            if gate is not None:
                gate(body)
            if hashing:
                result = await self.pool.run(work, body)
            else:
                result = await run_in_threadpool(work, body)
        except TooManyAttempts as exc:
            return _refused(429, "too_many_attempts", str(exc), exc.retry_after)
        except Busy as exc:
            return _refused(503, "busy", str(exc), exc.retry_after)
        except ConvexError as exc:
            data = exc.data
            if not isinstance(data, dict):
                data = {"code": "error", "message": str(data)}
            return JSONResponse(data, status_code=_STATUS.get(data.get("code", ""), 400))
        except AuthFailed as exc:
            return JSONResponse({"code": "unauthenticated", "message": exc.message}, 401)
        except Exception:
            # why: a broken on_signup hook or the database; the client gets no internals.
            log.exception("%s failed", request.url.path)
            return JSONResponse({"code": "internal", "message": "Internal error"}, 500)
        return JSONResponse(result if result is not None else {"ok": True})

    # --- throttling ----------------------------------------------------------------------
    def _check(self, account: str | None, address: str) -> None:
        wait = self.addresses.retry_after(address)
        if account is not None:
            wait = max(wait, self.accounts.retry_after(account))
        if wait > 0:
            raise TooManyAttempts("wrong passwords", wait)

    def _counted(self, account: str | None, address: str, attempt: Callable[[], Any]) -> Any:
        """Run a password check for ``account`` from ``address``, counting a wrong password
        as a failure of both and a right one as the account's success."""
        # why: checked again on the pool thread: attempts queued behind the failures that
        # locked the account are refused without hashing.
        self._check(account, address)
        try:
            result = attempt()
        except ConvexError as exc:
            if isinstance(exc.data, dict) and exc.data.get("code") == "invalid_credentials":
                self.addresses.failure(address)
                if account is not None:
                    self.accounts.failure(account)
            raise
        if account is not None:
            self.accounts.success(account)
        return result

    # --- routes --------------------------------------------------------------------------
    async def signup(self, request: Request) -> Response:
        return await self._answer(
            request,
            lambda b: self.provider.sign_up(
                b.get("email"), b.get("password"), b.get("name"), b.get("invite")
            ),
            hashing=True,
        )

    async def signin(self, request: Request) -> Response:
        address = _address(request)

        def sign_in(body: dict[str, Any]) -> Any:
            account = _account(body.get("email"))
            return self._counted(
                account,
                address,
                lambda: self.provider.sign_in(body.get("email"), body.get("password")),
            )

        return await self._answer(
            request,
            sign_in,
            hashing=True,
            gate=lambda b: self._check(_account(b.get("email")), address),
        )

    async def refresh(self, request: Request) -> Response:
        return await self._answer(request, lambda b: self.provider.refresh(b.get("refreshToken")))

    async def signout(self, request: Request) -> Response:
        return await self._answer(request, lambda b: self.provider.sign_out(b.get("refreshToken")))

    async def password(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        address = _address(request)

        def change(body: dict[str, Any]) -> dict[str, Any]:
            identity = self.provider.verify(token)
            account = _account(identity.get("email")) or identity["subject"]
            session: dict[str, Any] = self._counted(
                account,
                address,
                lambda: self.provider.change_password(
                    identity["subject"], body.get("oldPassword"), body.get("newPassword")
                ),
            )
            return session

        return await self._answer(
            request, change, hashing=True, gate=lambda _: self._check(None, address)
        )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _account(email: Any) -> str | None:
    """The throttle's key for an account: its email as the provider stores it."""
    return email.strip().lower() if isinstance(email, str) else None


def _refused(status: int, code: str, message: str, retry_after: float) -> JSONResponse:
    wait = str(max(1, math.ceil(retry_after)))
    return JSONResponse(
        {"code": code, "message": message}, status_code=status, headers={"Retry-After": wait}
    )
