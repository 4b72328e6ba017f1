"""The one error of a model service call.

Every failure is a ``ModelError``; its ``kind`` says what went wrong and what a caller may do:

    kind            when                                                       status
    "network"       the service could not be reached                           None
    "timeout"       no answer within the client's timeout                      None
    "auth"          the key was refused (HTTP 401 or 403, or the service's     the HTTP status
                    own way of saying so)
    "rate_limit"    HTTP 429: try again later                                  429
    "server"        HTTP 5xx                                                   the HTTP status
    "request"       any other HTTP 4xx; the service's reason is quoted          the HTTP status
    "bad_response"  an answer that is not JSON, or without what was asked for  the HTTP status
                                                                               or None

The message says where the service is (host and port) and never contains the API key.
"""

from __future__ import annotations

__all__ = ["ModelError"]


class ModelError(Exception):
    """A model service could not be asked, or its answer could not be read.

    ``kind`` is one of "network", "timeout", "auth", "rate_limit", "server", "request" or
    "bad_response"; ``status`` the HTTP status if there was one. The message never contains the
    API key.
    """

    def __init__(self, message: str, *, kind: str = "error", status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, kind={self.kind!r}, status={self.status!r})"
