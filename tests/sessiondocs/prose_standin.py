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

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.standin import KEY, ModelStandIn, chat_completion, serve

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
class ProseStandIn(ModelStandIn):
    mode: str = "rewrite"

    def clear(self) -> None:
        self.requests.clear()
        self.mode = "rewrite"

    async def completions(self, request: Request) -> Response:
        recorded = await self.record(request, "openai")
        given = request.headers.get("authorization", "")
        if given != f"Bearer {self.key}":
            # the real service echoes (part of) the wrong key: so do we, whole
            message = f"Incorrect API key provided: {given.removeprefix('Bearer ')}."
            return JSONResponse({"error": {"message": message}}, status_code=401)
        return await self._answer(recorded.body or {})

    async def _answer(self, body: dict[str, Any]) -> Response:
        if self.mode == "error500":
            return JSONResponse({"error": {"message": "The server had an error"}}, 500)
        if self.mode == "garbled":
            return PlainTextResponse("<html>upstream hiccup</html>")
        if self.mode == "shapeless":
            return JSONResponse({"unexpected": True})
        if self.mode == "slow":
            await self.stall()
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        return chat_completion(body.get("model"), _content(self.mode, json.loads(user)["steps"]))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])


@contextmanager
def run_standin(key: str = KEY, slow_seconds: float = 2.0) -> Iterator[ProseStandIn]:
    """Serve a ``ProseStandIn`` on a free loopback port for the duration of the block."""
    with serve(ProseStandIn(key=key, slow_seconds=slow_seconds), root="/v1") as standin:
        yield standin
