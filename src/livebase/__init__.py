"""livebase: the reactive backend for Python.

Declare tables with a schema, write queries, mutations and actions in Python, and run them
against an embedded SQLite store with Convex's semantics::

    from livebase import define_schema, define_table, mutation, query, v
"""

from livebase import clock as _clock
from livebase.app import App, load_app
from livebase.context import ActionCtx, MutationCtx, QueryCtx
from livebase.crons import cron_jobs
from livebase.errors import (
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
    UnknownTableError,
    ValidationError,
)
from livebase.functions import (
    access_rules,
    action,
    internal_action,
    internal_mutation,
    internal_query,
    mutation,
    query,
)
from livebase.http_router import HttpRouter, http_action
from livebase.keys import undefined
from livebase.runtime import Runtime
from livebase.schema import define_schema, define_table
from livebase.validators import v
from livebase.values import Int64

__version__ = "0.1.0"

_clock.install()

__all__ = [
    "ActionCtx",
    "App",
    "AuthFailed",
    "ConvexError",
    "FunctionNotFoundError",
    "HttpRouter",
    "IndexRangeError",
    "Int64",
    "InvalidIdError",
    "LimitError",
    "LivebaseError",
    "MutationCtx",
    "OccConflictError",
    "QueryCtx",
    "ReadOnlyError",
    "Runtime",
    "SchemaError",
    "UnknownTableError",
    "ValidationError",
    "__version__",
    "access_rules",
    "action",
    "cron_jobs",
    "define_schema",
    "define_table",
    "http_action",
    "internal_action",
    "internal_mutation",
    "internal_query",
    "load_app",
    "mutation",
    "query",
    "undefined",
    "v",
]
