"""The chat-completions call of OpenAI's API, as OpenAI and the servers that copy it speak it.

One request, ``POST {base_url}/chat/completions`` with the key in ``Authorization: Bearer``;
one answer, the first choice's message: its text, or the model's refusal to answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from modelclient._errors import ModelError
from modelclient._http import post_json, service_at

__all__ = ["ChatClient", "ChatReply"]


@dataclass(frozen=True)
class ChatReply:
    """The first choice of a chat completion: ``text``, or else the model's ``refusal``.

    Exactly one of the two is non-empty.
    """

    text: str
    refusal: str = ""


class ChatClient:
    """An OpenAI-compatible chat-completions API (OpenAI, or a local server that speaks it).

    ``base_url`` is the API root including its version, e.g. ``https://api.openai.com/v1``;
    ``api_key`` may be None for a local server that needs none. ``timeout`` (seconds) is that of
    the HTTP client ``complete`` opens when it is not given one. Neither ``repr`` nor any error
    shows the key.
    """

    def __init__(
        self, base_url: str, api_key: str | None, model: str, *, timeout: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.model = model
        self.timeout = timeout

    def __repr__(self) -> str:  # why: never the key
        return f"ChatClient(base_url={self.base_url!r}, model={self.model!r})"

    @property
    def endpoint(self) -> str:
        """The URL requests go to: ``{base_url}/chat/completions``."""
        return f"{self.base_url}/chat/completions"

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        temperature: float = 0,
        client: httpx.Client | None = None,
    ) -> ChatReply:
        """The model's reply to ``messages`` (``{"role": ..., "content": ...}``, oldest first).

        ``client`` lets several calls share one connection and its timeout; without it, one is
        opened for this call. Raises ``ModelError``: an answer with neither text nor a refusal
        in ``choices[0].message`` is a "bad_response".
        """
        body = {
            "model": self.model,
            "messages": [dict(message) for message in messages],
            "temperature": temperature,
        }
        if client is None:
            with httpx.Client(timeout=self.timeout) as own:
                data = self._post(own, body)
        else:
            data = self._post(client, body)
        return self._reply(data)

    def _post(self, client: httpx.Client, body: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return post_json(client, self.endpoint, body, headers=headers, secret=self._api_key)

    def _reply(self, data: Any) -> ChatReply:
        try:
            message = data["choices"][0]["message"]
            text, refusal = message.get("content"), message.get("refusal")
        except (KeyError, IndexError, TypeError, AttributeError):
            text = refusal = None
        if isinstance(text, str) and text.strip():
            return ChatReply(text)
        if isinstance(refusal, str) and refusal.strip():
            return ChatReply("", refusal.strip())
        raise ModelError(
            f"the language model service at {service_at(self.base_url)} sent an answer without "
            "choices[0].message.content",
            kind="bad_response",
        )
