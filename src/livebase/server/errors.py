"""How function errors reach clients: a message, ConvexError data, never a traceback."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
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


def client_error(exc: BaseException, path: str) -> ClientError:
    """The client's view of an exception raised by a function at ``path``."""
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
    return ClientError(f"[Request ID: {request_id}] Server Error")
