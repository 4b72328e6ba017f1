"""One JSON POST to a model service, every failure mapped to a ``ModelError``.

The caller puts the key in a request header, never in the URL, so httpx's request logs do not
show it. No message quotes it either: a refused key's answer is never quoted (OpenAI's 401 echoes
part of the key back), and the reason quoted from any other refused request has the key scrubbed
out before it is cut to length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from modelclient._errors import ModelError

__all__ = ["post_json", "service_at"]

MAX_DETAIL_CHARS = 200  # of the service's reason for refusing a request, quoted in the message


def service_at(url: str) -> str:
    """The ``host:port`` (or ``host``) of ``url``, as messages name the service."""
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def post_json(
    client: httpx.Client,
    url: str,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    secret: str | None = None,
    key_refused: Callable[[httpx.Response], bool] | None = None,
) -> Any:
    """POST ``body`` as JSON to ``url`` with ``client`` and return the decoded answer.

    ``headers`` carry the key; ``secret`` is that key, scrubbed from any text of the service's
    that a message quotes. ``key_refused`` tells whether an HTTP 400 answer means the key was
    refused, for services that say so with 400 rather than 401 or 403. Raises ``ModelError``
    (see its kinds); a timeout's message gives the client's read timeout.
    """
    where = service_at(url)
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.TimeoutException:
        raise ModelError(
            f"the language model at {where} did not answer {_within(client)}", kind="timeout"
        ) from None
    except httpx.HTTPError as exc:
        raise ModelError(
            f"could not reach the language model at {where} ({type(exc).__name__})",
            kind="network",
        ) from None
    if response.status_code >= 400:
        raise _refusal(response, where, secret, key_refused)
    try:
        return response.json()
    except ValueError:
        raise ModelError(
            f"the language model service at {where} sent an answer that is not JSON",
            kind="bad_response",
            status=response.status_code,
        ) from None


def _within(client: httpx.Client) -> str:
    seconds = client.timeout.read
    return f"within {seconds:g} s" if seconds is not None else "in time"


def _refusal(
    response: httpx.Response,
    where: str,
    secret: str | None,
    key_refused: Callable[[httpx.Response], bool] | None,
) -> ModelError:
    """The ``ModelError`` for an HTTP error ``response``."""
    status = response.status_code
    service = f"the language model service at {where}"
    refused_with_400 = status == 400 and key_refused is not None and key_refused(response)
    if status in (401, 403) or refused_with_400:
        return ModelError(
            f"{service} refused the API key (HTTP {status})", kind="auth", status=status
        )
    if status == 429:
        return ModelError(
            f"{service} is rate limiting requests (HTTP 429); try again later",
            kind="rate_limit",
            status=status,
        )
    if status >= 500:
        return ModelError(f"{service} failed (HTTP {status})", kind="server", status=status)
    detail = _detail(response, secret)
    return ModelError(
        f"{service} rejected the request (HTTP {status})" + (f": {detail}" if detail else ""),
        kind="request",
        status=status,
    )


def _detail(response: httpx.Response, secret: str | None) -> str:
    """The service's reason (``error.message``), key scrubbed, on one line, cut to length."""
    try:
        data = response.json()
        message = data["error"]["message"] if isinstance(data.get("error"), dict) else ""
    except (ValueError, KeyError, TypeError, AttributeError):
        message = ""
    text = str(message)
    if secret:
        # why: before cutting to length, so that no prefix of the key survives the cut
        text = text.replace(secret, "***")
    return " ".join(text.split())[:MAX_DETAIL_CHARS]
