"""How function errors reach clients: a message, ConvexError data, never a traceback."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livebase.engine import values
from livebase.engine.errors import ConvexError, LivebaseError

log = logging.getLogger("livebase.server")


@dataclass
class ClientError:
    """An error as the client sees it."""

    message: str
    data: Any = None
    has_data: bool = False
    request_id: str | None = None  # a bug's or a ConvexError's, logged with it
    uncaught: str | None = None  # in dev mode: ``Uncaught Type: message`` and the app's frames

    def data_json(self) -> str | None:
        from livebase.server.protocol import dumps

        return dumps(values.to_convex_json(self.data)) if self.has_data else None


def client_error(exc: BaseException, path: str, runtime: Any = None) -> ClientError:
    """The client's view of an exception raised by a function at ``path``.

    A thrown error reaches the client as Convex sends it (``RedactedJsError``):
    ``[Request ID: ...] Server Error``, and from a ``runtime`` in dev mode (``livebase dev``)
    also ``Uncaught Type: message`` and the lines of the app's code it passed through, as
    from a Convex dev deployment; a production deployment (``livebase serve``) sends no more.
    A ``ConvexError`` carries its data in both. livebase's own refusals (a validation error,
    a missing function, a limit) keep their message."""
    if isinstance(exc, LivebaseError) and not isinstance(exc, ConvexError):
        return ClientError(exc.message)
    request_id = secrets.token_hex(8)
    uncaught = None
    if runtime is not None and runtime.dev:
        uncaught = _uncaught(exc, runtime.app_folder())
    message = f"[Request ID: {request_id}] Server Error"
    if uncaught is not None:
        message += "\n" + uncaught
    if isinstance(exc, ConvexError):
        try:
            data = values.normalize(exc.data)
        except LivebaseError:
            try:
                data = str(exc.data)
            except RecursionError:  # why: repr recurses per level; data can nest thousands
                data = "ConvexError data nested too deeply to send"
        return ClientError(message, data, True, request_id, uncaught)
    # why: the detail may hold secrets or internals; the client gets an id to quote.
    log.error("[Request ID: %s] %s failed", request_id, path, exc_info=exc)
    return ClientError(message, request_id=request_id, uncaught=uncaught)


def _uncaught(exc: BaseException, folder: Path) -> str:
    """``Uncaught Type: message`` and, innermost last, the app's frames it passed through."""
    frames = [
        f"    at {frame.name} ({Path(frame.filename).name}:{frame.lineno})"
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(folder)
    ]
    text = str(exc)
    if isinstance(exc, ConvexError):
        text = exc.message.removeprefix("ConvexError: ")
        if not isinstance(exc.data, str):
            # why: data that cannot be sent keeps the text it was raised with
            with contextlib.suppress(LivebaseError, RecursionError, TypeError, ValueError):
                text = json.dumps(_as_js(values.normalize(exc.data)), separators=(",", ":"))
    return "\n".join([f"Uncaught {type(exc).__name__}: {text}", *reversed(frames)])


def _as_js(value: Any) -> Any:
    """A value as JavaScript's ``JSON.stringify`` shows it in Convex's ``Uncaught
    ConvexError: {...}`` line: an int64 as ``"123n"``, a whole float64 without ``.0``."""
    if isinstance(value, values.Int64):
        return f"{int(value)}n"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _as_js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_js(v) for v in value]
    if isinstance(value, bytes):
        return {}
    return value
