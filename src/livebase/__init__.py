"""livebase: the reactive backend for Python.

Declare tables with a schema, write queries, mutations and actions in Python, and run them
against an embedded SQLite store with Convex's semantics::

    from livebase import define_schema, define_table, mutation, query, v
"""

import typing as _typing
from importlib import metadata as _metadata

from livebase.engine.errors import (
    AuthFailed,
    ConvexError,
    FunctionNotFoundError,
    IndexRangeError,
    InvalidIdError,
    LimitError,
    LivebaseError,
    OccConflictError,
    ReadOnlyError,
    SchemaError,
    TimeLimitError,
    UnknownTableError,
    ValidationError,
)
from livebase.engine.keys import undefined
from livebase.engine.schema import define_schema, define_table
from livebase.engine.search import highlight
from livebase.engine.validators import v
from livebase.engine.values import Int64
from livebase.runtime import clock as _clock
from livebase.runtime.app import App, load_app
from livebase.runtime.context import ActionCtx, MutationCtx, QueryCtx
from livebase.runtime.crons import cron_jobs
from livebase.runtime.functions import (
    access_rules,
    action,
    internal_action,
    internal_mutation,
    internal_query,
    mutation,
    query,
)
from livebase.runtime.handles import create_function_handle
from livebase.runtime.http_router import HttpRouter, http_action
from livebase.services.auth import (
    CustomJwtProvider,
    Invitations,
    OidcProvider,
    PasswordProvider,
    checked_email,
    signup_hook_args,
    token_digest,
)
from livebase.services.runtime import Runtime

__version__ = _metadata.version("livebase")

if _typing.TYPE_CHECKING:
    from livebase.cli import create_admin_command
    from livebase.cli import main as cli_main

_clock.install()


def __getattr__(name: str) -> object:
    # why: the command line pulls in the server (Starlette, uvicorn); app modules that only
    # declare functions should not pay for that on import.
    if name in ("cli_main", "create_admin_command"):
        from livebase import cli

        return cli.main if name == "cli_main" else cli.create_admin_command
    raise AttributeError(f"module 'livebase' has no attribute {name!r}")


__all__ = [
    "ActionCtx",
    "App",
    "AuthFailed",
    "ConvexError",
    "CustomJwtProvider",
    "FunctionNotFoundError",
    "HttpRouter",
    "IndexRangeError",
    "Int64",
    "InvalidIdError",
    "Invitations",
    "LimitError",
    "LivebaseError",
    "MutationCtx",
    "OccConflictError",
    "OidcProvider",
    "PasswordProvider",
    "QueryCtx",
    "ReadOnlyError",
    "Runtime",
    "SchemaError",
    "TimeLimitError",
    "UnknownTableError",
    "ValidationError",
    "__version__",
    "access_rules",
    "action",
    "checked_email",
    "cli_main",
    "create_admin_command",
    "create_function_handle",
    "cron_jobs",
    "define_schema",
    "define_table",
    "highlight",
    "http_action",
    "internal_action",
    "internal_mutation",
    "internal_query",
    "load_app",
    "mutation",
    "query",
    "signup_hook_args",
    "token_digest",
    "undefined",
    "v",
]
