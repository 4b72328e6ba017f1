"""One HTTP client for the apps' language models: OpenAI-compatible chat completions.

``ChatClient.complete`` posts to ``{base_url}/chat/completions`` and returns a ``ChatReply`` (the
model's text, or its refusal). ``post_json`` is the HTTP step under it, for a service with an API
of its own (bankchat's Gemini engine). Every failure is a ``ModelError`` whose ``kind`` says what
went wrong and whose ``status`` is the HTTP status if any; the API key travels in a request
header only and is in no URL, log line, message or ``repr``.

The apps import this package; the livebase platform does not (an import-linter contract in
pyproject.toml), and it imports only httpx.
"""

from modelclient._chat import ChatClient, ChatReply
from modelclient._errors import ModelError
from modelclient._http import post_json, service_at

__all__ = ["ChatClient", "ChatReply", "ModelError", "post_json", "service_at"]
