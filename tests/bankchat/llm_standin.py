"""A local stand-in for the OpenAI and Gemini HTTP APIs, for tests: no network, no real model.

``run_standin()`` starts a Starlette app under uvicorn in a thread on a free 127.0.0.1 port and
yields a ``StandIn`` with its ``url``. It serves

- ``POST /v1/chat/completions`` (OpenAI): the key must be in ``Authorization: Bearer <key>``;
- ``POST /v1beta/models/{model}:generateContent`` (Gemini): the key in the ``x-goog-api-key``
  header or the ``key`` query parameter, as the real service accepts both;

records every request (``StandIn.requests``) and answers from ``RULES`` by the words of the
question, read from between the ``<question>`` tags of the first user turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.standin import KEY, ModelStandIn, chat_completion, serve

FEMALE_SQL = "SELECT COUNT(*) AS female_clients FROM client WHERE gender = 'F'"
BROKEN_SQL = "SELECT COUNT(*) FROM client WHERE sex = 'F'"
FIXED_SQL = "SELECT COUNT(*) FROM client WHERE gender = 'F'"
HOPELESS_SQL = "SELECT COUNT(*) FROM loan WHERE colour = 'red'"
LOANS_SQL = "SELECT COUNT(*) FROM loan WHERE status = 'D'"
REFUSAL_TEXT = "The database refused this SQL"


# An answer is a text for the model to say, or (status, JSON body) for an HTTP error, or one of
# the special strings "slow" (sleep past the client's timeout), "garbled" (a body that is not
# JSON) and "shapeless" (JSON without the expected fields).
Answer = str | tuple[int, dict[str, Any]]


def answer_for(question: str, request_text: str) -> Answer:
    """The stand-in's rules, by the words of the question (first match wins)."""
    q = question.lower()
    if "ratelimit" in q:
        return 429, {"error": {"message": "Rate limit reached for requests", "code": 429}}
    if "explode" in q:
        return 500, {"error": {"message": "The server had an error", "code": 500}}
    if "slow" in q:
        return "slow"
    if "garbled" in q:
        return "garbled"
    if "shapeless" in q:
        return "shapeless"
    if "weather" in q:
        return "NOT_UNDERSTOOD: not about the bank data"
    if "drop" in q:
        return "```sql\nDROP TABLE loan\n```"
    if "broken" in q:
        if REFUSAL_TEXT in request_text:
            return f"```sql\n{FIXED_SQL};\n```\nCounts the female clients."
        return f"```sql\n{BROKEN_SQL}\n```\nCounts the female clients."
    if "hopeless" in q:
        return f"```sql\n{HOPELESS_SQL}\n```"
    if "bare" in q:
        return f"Here is the query:\n{LOANS_SQL};\nIt counts running loans in debt."
    if "chatter" in q:
        return "I am not sure what you would like to know."
    if "female" in q:
        return f"```sql\n{FEMALE_SQL}\n```\nCounts the clients whose gender is 'F'."
    return "NOT_UNDERSTOOD: the stand-in has no rule for this question"


_QUESTION = re.compile(r"<question>\s*(.*?)\s*</question>", re.DOTALL)


def _question_of(first_user_text: str) -> str:
    found = _QUESTION.search(first_user_text)
    return found.group(1) if found else first_user_text


@dataclass
class StandIn(ModelStandIn):
    slow_everything: bool = False  # answer every question as if it said "slow"

    def clear(self) -> None:
        self.requests.clear()
        self.slow_everything = False

    # --- the two APIs ----------------------------------------------------------------------
    async def openai(self, request: Request) -> Response:
        recorded = await self.record(request, "openai")
        if recorded.headers.get("authorization") != f"Bearer {self.key}":
            given = recorded.headers.get("authorization", "").removeprefix("Bearer ")
            return JSONResponse(  # the real service echoes part of the key: so do we, whole
                {
                    "error": {
                        "message": f"Incorrect API key provided: {given}.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
                status_code=401,
            )
        body = recorded.body or {}
        first = next(
            (m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"),
            "",
        )
        answer = await self._answer(_question_of(first), recorded.text)
        if isinstance(answer, Response):
            return answer
        return chat_completion(body.get("model"), answer)

    async def gemini(self, request: Request) -> Response:
        recorded = await self.record(request, "gemini")
        given = recorded.headers.get("x-goog-api-key") or recorded.query.get("key")
        if not given:
            return JSONResponse(
                {
                    "error": {
                        "code": 403,
                        "message": "Method doesn't allow unregistered callers.",
                        "status": "PERMISSION_DENIED",
                    }
                },
                status_code=403,
            )
        if given != self.key:
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "status": "INVALID_ARGUMENT",
                        "details": [{"reason": "API_KEY_INVALID", "metadata": {"key": given}}],
                    }
                },
                status_code=400,
            )
        body = recorded.body or {}
        first = ""
        for content in body.get("contents", []):
            if content.get("role", "user") == "user":
                first = "".join(p.get("text", "") for p in content.get("parts", []))
                break
        answer = await self._answer(_question_of(first), recorded.text)
        if isinstance(answer, Response):
            return answer
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": answer}]},
                        "finishReason": "STOP",
                    }
                ],
                "modelVersion": request.path_params["model"],
            }
        )

    async def _answer(self, question: str, request_text: str) -> str | Response:
        answer = "slow" if self.slow_everything else answer_for(question, request_text)
        if isinstance(answer, tuple):
            return JSONResponse(answer[1], status_code=answer[0])
        if answer == "slow":
            await self.stall()
            return "```sql\nSELECT 1\n```"
        if answer == "garbled":
            return PlainTextResponse("<html>upstream hiccup</html>", status_code=200)
        if answer == "shapeless":
            return JSONResponse({"unexpected": True})
        return answer

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.openai, methods=["POST"]),
                Route("/v1beta/models/{model}:generateContent", self.gemini, methods=["POST"]),
            ]
        )


@contextmanager
def run_standin(key: str = KEY, slow_seconds: float = 2.0) -> Iterator[StandIn]:
    """Serve a ``StandIn`` on a free loopback port for the duration of the block."""
    with serve(StandIn(key=key, slow_seconds=slow_seconds)) as standin:
        yield standin
