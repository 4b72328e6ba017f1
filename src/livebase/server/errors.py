"""How function errors reach clients: a message, ConvexError data, never a traceback."""

from __future__ import annotations

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

    def data_json(self) -> str | None:
        from livebase.server.protocol import dumps

        return dumps(values.to_convex_json(self.data)) if self.has_data else None


def client_error(exc: BaseException, path: str, runtime: Any = None) -> ClientError:
    """The client's view of an exception raised by a function at ``path``.

    A plain exception (a bug) reaches the client as ``[Request ID: ...] Server Error`` only,
    as from a Convex production deployment; from a ``runtime`` in dev mode (``livebase dev``) it
    also carries ``Uncaught Type: message`` and the
    lines of the app's code it passed through, as from a Convex dev deployment."""
    if isinstance(exc, ConvexError):
        try:
            data = values.normalize(exc.data)
        except LivebaseError:
            try:
                data = str(exc.data)
            except RecursionError:  # why: repr recurses per level; data can nest thousands
                data = "ConvexError data nested too deeply to send"
        return ClientError(f"Uncaught {exc.message}", data, True)
    if isinstance(exc, LivebaseError):
        return ClientError(exc.message)
    request_id = secrets.token_hex(8)
    # why: the detail may hold secrets or internals; the client gets an id to quote.
    log.error("[Request ID: %s] %s failed", request_id, path, exc_info=exc)
    message = f"[Request ID: {request_id}] Server Error"
    if runtime is not None and runtime.dev:
        message += "\n" + _uncaught(exc, runtime.app_folder())
    return ClientError(message)


def _uncaught(exc: BaseException, folder: Path) -> str:
    """``Uncaught Type: message`` and, innermost last, the app's frames it passed through."""
    frames = [
        f"    at {frame.name} ({Path(frame.filename).name}:{frame.lineno})"
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(folder)
    ]
    return "\n".join([f"Uncaught {type(exc).__name__}: {exc}", *reversed(frames)]) + "\n"
