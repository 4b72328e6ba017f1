"""HTTP actions: an app's ``http.py`` routes requests to Python handlers.

    from livebase import HttpRouter, http_action

    http = HttpRouter()

    @http_action
    async def hook(ctx, request):
        body = await request.json()
        await ctx.run_mutation("events:record", {"body": body})
        return {"ok": True}                   # dict/list -> JSON, str -> text, or a Response

    http.route(path="/webhook", method="POST", handler=hook)
    http.route(path_prefix="/files/", method="GET", handler=serve_file)

Served under ``/http/`` on the main port, and at the root of the second port when one is
configured (Convex's 3211). Handlers get an action ``ctx`` and a Starlette ``Request``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from livebase.engine.errors import SchemaError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


@dataclass(frozen=True)
class HttpActionDefinition:
    """A handler ``async def handler(ctx, request)`` marked as an HTTP action."""

    handler: Callable[..., Any]


def http_action(handler: Callable[..., Any]) -> HttpActionDefinition:
    """Mark a function as an HTTP action handler."""
    if not callable(handler):
        raise SchemaError("http_action decorates a function (ctx, request)")
    return HttpActionDefinition(handler)


@dataclass(frozen=True)
class HttpRoute:
    path: str | None
    path_prefix: str | None
    method: str
    action: HttpActionDefinition


class HttpRouter:
    """Routes of an app's HTTP actions: exact paths first, then the longest prefix."""

    def __init__(self) -> None:
        self.routes: list[HttpRoute] = []

    def route(
        self,
        *,
        method: str,
        handler: HttpActionDefinition | Callable[..., Any],
        path: str | None = None,
        path_prefix: str | None = None,
    ) -> None:
        """Add a route: exactly one of ``path`` or ``path_prefix`` (which ends with ``/``)."""
        if (path is None) == (path_prefix is None):
            raise SchemaError("A route takes exactly one of path= or path_prefix=")
        where = path if path is not None else path_prefix
        assert where is not None
        if not where.startswith("/"):
            raise SchemaError(f"Route {where!r} must start with '/'")
        if path_prefix is not None and not path_prefix.endswith("/"):
            raise SchemaError(f"path_prefix {path_prefix!r} must end with '/'")
        method = method.upper()
        if method not in METHODS:
            raise SchemaError(f"Unsupported method {method!r}")
        action = handler if isinstance(handler, HttpActionDefinition) else http_action(handler)
        for existing in self.routes:
            if (existing.path, existing.path_prefix, existing.method) == (
                path,
                path_prefix,
                method,
            ):
                raise SchemaError(f"Route {method} {where} is defined twice")
        self.routes.append(HttpRoute(path, path_prefix, method, action))

    def lookup(self, path: str, method: str) -> tuple[HttpRoute | None, bool]:
        """The route for a request, and whether the path matched under another method."""
        method = method.upper()
        lookup_method = "GET" if method == "HEAD" else method
        exact = [r for r in self.routes if r.path == path]
        prefixed = sorted(
            (r for r in self.routes if r.path_prefix and path.startswith(r.path_prefix)),
            key=lambda r: -len(r.path_prefix or ""),
        )
        candidates = exact or prefixed
        for route in candidates:
            if route.method == lookup_method:
                return route, True
        return None, bool(candidates)
