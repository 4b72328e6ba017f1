"""A local stand-in for an OpenAI-compatible chat-completions API, for the modelclient tests:
real HTTP on a free 127.0.0.1 port, no network, no model.

``run_standin()`` serves ``POST /v1/chat/completions`` under uvicorn in a thread and yields a
``ChatStandIn`` whose ``url`` is the API root (``http://127.0.0.1:PORT/v1``). A wrong or missing
``Authorization: Bearer <key>`` is answered 401, with the wrong key echoed whole in the reason
(the real service echoes part of it). Otherwise it answers by its ``mode``:

- "echo": the text "echo: " and the last message's content;
- "refusal": no text, a refusal;
- "empty": an empty text and no refusal; "shapeless": JSON without choices;
- "garbled": HTTP 200 with a body that is not JSON;
- "slow": the echo, after the client's timeout;
- "forbidden" (403), "rate_limited" (429), "failing" (500): that HTTP error;
- "bad_request": HTTP 400 whose reason quotes the key it was sent, at its end or (with
  "long_bad_request") across the 200th character;
- "key_not_valid": HTTP 400 saying the key is not valid, the way Gemini does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.standin import KEY, ModelStandIn, chat_completion, serve

__all__ = ["KEY", "ChatStandIn", "run_standin"]

ERRORS = {
    "forbidden": (403, "You are not allowed to sample from this model"),
    "rate_limited": (429, "Rate limit reached for requests"),
    "failing": (500, "The server had an error while processing your request"),
    "key_not_valid": (400, "API key not valid. Please pass a valid API key."),
}


@dataclass
class ChatStandIn(ModelStandIn):
    mode: str = "echo"

    def clear(self) -> None:
        self.requests.clear()
        self.mode = "echo"

    async def completions(self, request: Request) -> Response:
        recorded = await self.record(request, "openai")
        given = recorded.headers.get("authorization", "").removeprefix("Bearer ")
        if given != self.key:
            message = f"Incorrect API key provided: {given}."
            return JSONResponse({"error": {"message": message}}, status_code=401)
        return await self._answer(recorded.body or {})

    async def _answer(self, body: dict[str, Any]) -> Response:
        if self.mode in ERRORS:
            status, message = ERRORS[self.mode]
            return JSONResponse({"error": {"message": message}}, status_code=status)
        if self.mode in ("bad_request", "long_bad_request"):
            message = f"The model `{body.get('model')}` does not exist for key {self.key}."
            if self.mode == "long_bad_request":
                message = "x" * 190 + f" {self.key}"
            return JSONResponse({"error": {"message": message}}, status_code=400)
        if self.mode == "garbled":
            return PlainTextResponse("<html>upstream hiccup</html>")
        if self.mode == "shapeless":
            return JSONResponse({"unexpected": True})
        if self.mode in ("refusal", "empty"):
            refusal = "I can't help with that." if self.mode == "refusal" else None
            message = {"role": "assistant", "content": None if refusal else "", "refusal": refusal}
            return JSONResponse({"choices": [{"index": 0, "message": message}]})
        if self.mode == "slow":
            await self.stall()
        last = body["messages"][-1]["content"]
        return chat_completion(body.get("model"), f"echo: {last}")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])


@contextmanager
def run_standin(key: str = KEY, slow_seconds: float = 2.0) -> Iterator[ChatStandIn]:
    """Serve a ``ChatStandIn`` on a free loopback port for the duration of the block."""
    with serve(ChatStandIn(key=key, slow_seconds=slow_seconds), root="/v1") as standin:
        yield standin
