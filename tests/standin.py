"""What the local stand-ins for model HTTP APIs share: no network, no real model.

A stand-in is a ``ModelStandIn`` whose ``app()`` answers like the real service; ``serve()`` runs
that app under uvicorn in a thread on a free 127.0.0.1 port for the duration of a block. Every
request is kept as a ``Recorded`` in ``requests``. tests/bankchat/llm_standin.py stands in for
OpenAI and Gemini, tests/sessiondocs/prose_standin.py for the OpenAI chat API the prose engine
calls, tests/modelclient/chat_standin.py for the same API as the shared client sees it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

KEY = "sk-standin-0123456789abcdef"


@dataclass
class Recorded:
    """One request the stand-in received."""

    api: str  # "openai" or "gemini"
    path: str
    url: str
    query: dict[str, str]
    headers: dict[str, str]
    text: str  # the raw body
    body: Any  # the body as JSON, or None when it was not JSON


@dataclass
class ModelStandIn:
    """The state every stand-in has; subclasses add the routes (``app``) and their rules."""

    key: str = KEY
    slow_seconds: float = 2.0
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    _stopping: bool = False

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def app(self) -> Starlette:
        raise NotImplementedError

    async def record(self, request: Request, api: str) -> Recorded:
        """Keep the request (headers lower-cased, the body as text and as JSON if it is)."""
        raw = (await request.body()).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        recorded = Recorded(
            api=api,
            path=request.url.path,
            url=str(request.url),
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            text=raw,
            body=body,
        )
        self.requests.append(recorded)
        return recorded

    async def stall(self) -> None:
        """Wait ``slow_seconds`` (past the client's timeout), or until the stand-in stops."""
        deadline = time.monotonic() + self.slow_seconds
        while time.monotonic() < deadline and not self._stopping:
            await asyncio.sleep(0.02)


def chat_completion(model: str | None, content: str) -> JSONResponse:
    """An OpenAI chat completion whose one choice says ``content``."""
    return JSONResponse(
        {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    )


S = TypeVar("S", bound=ModelStandIn)


@contextmanager
def serve(standin: S, root: str = "") -> Iterator[S]:
    """Serve ``standin`` on a free loopback port for the duration of the block, with
    ``standin.url`` set to ``http://127.0.0.1:PORT`` followed by ``root``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        standin.app(),
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            raise RuntimeError(f"{type(standin).__name__} did not start")
        standin.url = f"http://127.0.0.1:{port}{root}"
        yield standin
    finally:
        # why: a "slow" answer still waiting would hold the graceful shutdown for its seconds
        standin._stopping = True
        server.should_exit = True
        thread.join(10)
        sock.close()
