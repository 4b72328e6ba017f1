"""livebase's error taxonomy.

    LivebaseError                 every error livebase raises on purpose
    ├── ConvexError               raised by app code; its ``data`` reaches the client as is
    ├── ValidationError           a value, argument or document does not match its validator
    ├── SchemaError               a schema is malformed or does not fit the stored data
    ├── InvalidIdError            a string is not a document ID (of the expected table)
    ├── UnknownTableError         a table the schema does not declare
    ├── IndexRangeError           an index range that breaks Convex's rules
    ├── FunctionNotFoundError     no function at that path
    ├── ReadOnlyError             a write inside a query
    ├── OccConflictError          a mutation lost an optimistic-concurrency race (retried)
    ├── AuthFailed                a token that does not verify (never becomes an identity)
    ├── LimitError                a document or transaction over one of the limits
    └── TimeLimitError            a function ran longer than its kind's time limit

Each error carries a stable ``code`` so the server can put it on the wire without a traceback.
"""

from __future__ import annotations

import json
from typing import Any


class LivebaseError(Exception):
    """Base class of the errors livebase raises on purpose."""

    code = "LivebaseError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # why: subclasses take other arguments than their message (a query process sends
        # errors pickled); rebuild from the state, never through __init__
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[LivebaseError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConvexError(LivebaseError):
    """An error meant for the client: its ``data`` is sent to the caller unchanged.

    ``ConvexError("Not allowed")`` or ``ConvexError({"code": "forbidden", "table": "trans"})``.
    """

    code = "ConvexError"

    def __init__(self, data: Any, message: str | None = None) -> None:
        self.data = data
        if message is None:
            message = data if isinstance(data, str) else json.dumps(data, default=str)
        super().__init__(f"ConvexError: {message}")


class ValidationError(LivebaseError):
    """A value does not match its validator; the message names the path of the field."""

    code = "ValidationError"


class SchemaError(LivebaseError):
    """A schema is malformed or the stored data does not fit it."""

    code = "SchemaError"


class InvalidIdError(LivebaseError):
    """A string is not a valid document ID, or names another table."""

    code = "InvalidId"


class UnknownTableError(LivebaseError):
    """A table that the schema does not declare."""

    code = "UnknownTable"


class IndexRangeError(LivebaseError):
    """An index range expression that breaks the eq*-then-bounds rule, or an unknown index."""

    code = "IndexRangeError"


class FunctionNotFoundError(LivebaseError):
    """No public function at that path."""

    code = "FunctionNotFound"


class ReadOnlyError(LivebaseError):
    """A write attempted inside a query."""

    code = "ReadOnly"


class OccConflictError(LivebaseError):
    """A mutation read something that a concurrent commit changed; it is re-run."""

    code = "OptimisticConcurrencyControlFailure"


class AuthFailed(LivebaseError):
    """A token that is missing, malformed, expired, forged or for someone else."""

    code = "AuthError"


class LimitError(LivebaseError):
    """A document, value or transaction over one of the limits."""

    code = "LimitExceeded"


class TimeLimitError(LivebaseError):
    """A function ran longer than the time limit of its kind (a query, a mutation, an action).

    Convex's texts: an action's as its Node actions say it, naming the function; a query's or a
    mutation's as its V8 runtime says it. A mutation that ran over commits nothing.
    """

    code = "FunctionTimeout"

    def __init__(self, path: str, kind: str, limit: float) -> None:
        self.path = path
        self.kind = kind
        self.limit = limit
        if kind == "action":
            name = path.rpartition(":")[2] or path
            text = f"Action `{name}` execution timed out (maximum duration {_duration(limit)})"
        else:
            text = f"Function execution timed out (maximum duration: {_duration(limit)})"
        super().__init__(text)


def _duration(limit: float) -> str:
    """A duration as Convex prints one (Rust's ``Duration`` debug form): ``1s``, ``500ms``."""
    return f"{limit:g}s" if limit >= 1 else f"{limit * 1000:g}ms"
