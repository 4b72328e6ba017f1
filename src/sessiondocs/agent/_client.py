"""The sessiondocs backend over livebase's HTTP API, as the agent uses it.

Errors come in two kinds, so that callers retry exactly what is worth retrying::

    ServerError
    ├── ServerUnavailable   no connection, a timeout, HTTP 5xx, an internal server error:
    │                       try again later; nothing was decided
    └── ServerRejected      the server answered and said no (a ConvexError's code, a
                            validation error, a 4xx): the same request will fail again
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from sessiondocs.agent._queue import SessionInfo

TIMEOUT = httpx.Timeout(15.0, connect=3.0)


class ServerError(Exception):
    """A call to the server failed."""


class ServerUnavailable(ServerError):
    """The server could not be reached or failed internally: retry later."""


class ServerRejected(ServerError):
    """The server refused the call; ``code`` is its error code ("not_found", ...) if any."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class Client:
    """Calls the sessiondocs functions at ``url`` (e.g. ``http://127.0.0.1:3230``)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(timeout=TIMEOUT, transport=transport, headers=headers)

    def close(self) -> None:
        self._http.close()

    # --- the functions the agent calls ------------------------------------------------------

    def create_session(self, info: SessionInfo) -> str:
        """Create ``info``'s session (idempotent: the agent chose its ``sessionId``)."""
        args: dict[str, Any] = {
            "pcName": info.pcName,
            "sessionId": info.sessionId,
            "redact": info.redact,
        }
        if info.title:
            args["title"] = info.title
        return str(self.mutation("sessions:createSession", args))

    def upload(self, data: bytes, content_type: str = "image/png") -> str:
        """Store ``data`` through a fresh upload URL; returns its ``storageId``."""
        url = self._reachable(str(self.mutation("screenshots:generateUploadUrl")))
        response = self._send("POST", url, content=data, headers={"Content-Type": content_type})
        try:
            return str(response.json()["storageId"])
        except (ValueError, KeyError, TypeError):
            raise ServerRejected(f"the upload answered {response.text[:200]!r}") from None

    def register_screenshot(
        self,
        session_id: str,
        filename: str,
        storage_id: str,
        captured_at: float,
        event: dict[str, Any] | None = None,
        secrets: list[list[int]] | None = None,
    ) -> str:
        """Register an uploaded frame (idempotent per filename), with the input event it was
        captured just after and the boxes of the password fields showing on it; returns the
        screenshot's ID."""
        args: dict[str, Any] = {
            "sessionId": session_id,
            "filename": filename,
            "storageId": storage_id,
            "capturedAt": captured_at,
        }
        if event is not None:
            args["event"] = event
        if secrets:
            args["secretBoxes"] = secrets
        return str(self.mutation("screenshots:registerScreenshot", args))

    def complete_session(self, session_id: str) -> None:
        """Mark the session completed (idempotent)."""
        self.mutation("sessions:completeSession", {"sessionId": session_id})

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """The session with its counts, or None (a person's token: devices cannot read)."""
        value = self.query("sessions:getSession", {"sessionId": session_id})
        return dict(value) if value is not None else None

    def whoami(self) -> dict[str, Any] | None:
        """The person (and device) the token stands for, or None if it stands for nobody."""
        value = self.query("users:me")
        return dict(value) if value is not None else None

    # --- the HTTP API -----------------------------------------------------------------------

    def mutation(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.call("mutation", path, args)

    def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.call("query", path, args)

    def call(self, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
        """POST /api/{kind}; the function's value, or a ServerError."""
        body = {"path": path, "args": args or {}, "format": "json"}
        response = self._send("POST", f"{self.url}/api/{kind}", json=body)
        try:
            answer = response.json()
            if "status" not in answer and "code" in answer:  # a request livebase refused
                raise ServerRejected(str(answer.get("message")), str(answer["code"]))
            status = answer["status"]
        except (ValueError, KeyError, TypeError):
            raise ServerRejected(
                f"{self.url} does not answer like a sessiondocs server "
                f"(HTTP {response.status_code} to /api/{kind})"
            ) from None
        if status == "success":
            return answer.get("value")
        message = str(answer.get("errorMessage", "unknown error"))
        data = answer.get("errorData")
        if isinstance(data, dict):
            raise ServerRejected(str(data.get("message", message)), data.get("code"))
        if data is not None:  # a ConvexError's message sits in its data, not the Server Error
            raise ServerRejected(f"{path}: {data}")
        if "Server Error" in message:
            # why: an internal error (a database busy, a bug being fixed) may pass; keep the frame
            raise ServerUnavailable(f"server error: {message}")
        raise ServerRejected(f"{path}: {message}")

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnavailable(_describe(exc)) from exc
        if response.status_code >= 500:
            raise ServerUnavailable(f"server error (HTTP {response.status_code})")
        if response.status_code in (401, 403) and "/api/storage/upload" in url:
            # why: an upload URL expires (401 StorageTokenExpired, as Convex's); after a long
            # outage the retry asks for a fresh one
            raise ServerUnavailable(f"the upload URL was refused (HTTP {response.status_code})")
        if response.status_code == 401:
            raise ServerRejected(
                "the device token was refused (revoked?): make a new one in the web app "
                "(Devices) and run python -m sessiondocs agent login",
                "unauthenticated",
            )
        if response.status_code >= 400 and "/api/storage/upload" in url:
            raise ServerRejected(f"the upload was refused (HTTP {response.status_code})")
        return response

    def _reachable(self, upload_url: str) -> str:
        """``upload_url``, moved onto our server URL's host when it names a loopback host.

        A server started without ``--origin`` builds upload URLs for 127.0.0.1, which an agent
        on another PC cannot reach; the path and token are the same through any address.
        """
        upload, ours = urlsplit(upload_url), urlsplit(self.url)
        if _is_loopback(upload.hostname) and not _is_loopback(ours.hostname):
            return urlunsplit((ours.scheme, ours.netloc, upload.path, upload.query, ""))
        return upload_url


def _is_loopback(host: str | None) -> bool:
    if host is None or host == "localhost":
        return host is not None
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else f"cannot connect: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
