"""Function handles: Convex's ``createFunctionHandle``, for an app's own functions.

``await create_function_handle("messages:send")`` inside a query, mutation or action gives a
string (``function://<signature>#messages:send``) that ``ctx.run_query`` / ``run_mutation`` /
``run_action`` and ``ctx.scheduler`` take in place of the function, internal ones included: a
handle can be stored in a document or passed in arguments and called later. The signature is
an HMAC of the path under the deployment's secret, so a handle cannot be made up: a caller
holding none cannot reach an internal function through one. Clients call functions by path
only; a handle from a client is not a path.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from livebase.engine.errors import ValidationError

if TYPE_CHECKING:
    from livebase.runtime.core import BaseRuntime as Runtime

PREFIX = "function://"
_PURPOSE = b"function-handle:"

_current: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "livebase_handles_runtime", default=None
)


class within:  # used like a function: ``with within(runtime):``
    """Let the code run inside make handles of ``runtime``'s functions (also in the threads
    and tasks it starts)."""

    __slots__ = ("_runtime", "_token")

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def __enter__(self) -> None:
        self._token = _current.set(self._runtime)

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


async def create_function_handle(function: Any) -> str:
    """A handle of ``function`` (a path like ``"messages:send"`` or the function itself)."""
    runtime = _current.get()
    if runtime is None:
        raise RuntimeError(
            "create_function_handle works inside a query, mutation or action of a running app"
        )
    path = runtime.function(function, None, internal_ok=True).path
    return f"{PREFIX}{runtime.deployment.sign(_PURPOSE + path.encode())}#{path}"


def is_handle(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def resolve(runtime: Runtime, handle: str) -> str:
    """The path a handle names; ValidationError (Convex's words) for one this deployment did
    not make."""
    signature, sep, path = handle[len(PREFIX) :].partition("#")
    if not sep or not runtime.deployment.verify(_PURPOSE + path.encode(), signature):
        raise ValidationError(f"Invalid function handle {handle}")
    return path
