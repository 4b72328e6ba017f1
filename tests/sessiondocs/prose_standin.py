"""A local stand-in for an OpenAI-compatible chat-completions API, for the prose tests: real
HTTP on a free 127.0.0.1 port, no network, no model.

``run_standin()`` serves ``POST /v1/chat/completions`` under uvicorn in a thread and yields a
``ProseStandIn`` whose ``url`` is the API root (``http://127.0.0.1:PORT/v1``). The key must be in
``Authorization: Bearer <key>``. It records every request and answers by its ``mode``:

- "rewrite": each step of the guide in the user message, title kept, description prefixed
  with "In this step: " (a JSON list, as the prompt asks);
- "fenced" and "object": the same inside a ```json fence, or as ``{"steps": [...]}``;
- "fewer", "renumbered", "too_long", "not_json": a wrong answer of that kind;
- "error500", "garbled" (HTTP 200, a body that is not JSON), "shapeless" (JSON without
  choices), "slow" (no answer before the client's timeout).
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
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.bankchat.llm_standin import KEY, Recorded

__all__ = ["KEY", "ProseStandIn", "run_standin"]


def rewritten(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stand-in's rewrite: titles kept, descriptions prefixed."""
    return [
        {
            "number": s["number"],
            "title": s["title"],
            "description": f"In this step: {s['description']}",
        }
        for s in steps
    ]


def _content(mode: str, steps: list[dict[str, Any]]) -> str:
    """The model's answer text for ``mode``."""
    answer = rewritten(steps)
    if mode == "fenced":
        return "```json\n" + json.dumps(answer) + "\n```"
    if mode == "object":
        return json.dumps({"steps": answer})
    if mode == "fewer":
        return json.dumps(answer[:-1])
    if mode == "renumbered":
        return json.dumps([{**item, "number": item["number"] + 10} for item in answer])
    if mode == "too_long":
        return json.dumps([{**item, "title": "Click " * 100} for item in answer])
    if mode == "not_json":
        return "Sure! Here are the rewritten steps: first, open the settings."
    return json.dumps(answer)


@dataclass
class ProseStandIn:
    key: str = KEY
    mode: str = "rewrite"
    slow_seconds: float = 2.0
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    _stopping: bool = False

    def clear(self) -> None:
        self.requests.clear()
        self.mode = "rewrite"

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    async def completions(self, request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(
            Recorded(
                api="openai",
                path=request.url.path,
                url=str(request.url),
                query=dict(request.query_params),
                headers={k.lower(): v for k, v in request.headers.items()},
                text=raw,
                body=body,
            )
        )
        given = request.headers.get("authorization", "")
        if given != f"Bearer {self.key}":
            # the real service echoes (part of) the wrong key: so do we, whole
            message = f"Incorrect API key provided: {given.removeprefix('Bearer ')}."
            return JSONResponse({"error": {"message": message}}, status_code=401)
        return await self._answer(body or {})

    async def _answer(self, body: dict[str, Any]) -> Response:
        if self.mode == "error500":
            return JSONResponse({"error": {"message": "The server had an error"}}, 500)
        if self.mode == "garbled":
            return PlainTextResponse("<html>upstream hiccup</html>")
        if self.mode == "shapeless":
            return JSONResponse({"unexpected": True})
        if self.mode == "slow":
            deadline = time.monotonic() + self.slow_seconds
            while time.monotonic() < deadline and not self._stopping:
                await asyncio.sleep(0.02)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        content = _content(self.mode, json.loads(user)["steps"])
        return JSONResponse(
            {
                "id": "chatcmpl-standin",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])


@contextmanager
def run_standin(key: str = KEY, slow_seconds: float = 2.0) -> Iterator[ProseStandIn]:
    """Serve a ``ProseStandIn`` on a free loopback port for the duration of the block."""
    standin = ProseStandIn(key=key, slow_seconds=slow_seconds)
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
            raise RuntimeError("the prose stand-in did not start")
        standin.url = f"http://127.0.0.1:{port}/v1"
        yield standin
    finally:
        standin._stopping = True
        server.should_exit = True
        thread.join(10)
        sock.close()
