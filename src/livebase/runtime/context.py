"""What functions get as ``ctx``: ``ctx.db``, ``ctx.auth`` and, in actions, ``ctx.run_*``.

The Python spelling of Convex's context API. Every method is ``async`` as in Convex, although
queries and mutations never really wait: their database calls complete at once. Each call that
enters the engine (database reads and writes, storage, the scheduler) is an ``engine()`` call:
a function over its time limit stops there, and is never interrupted inside (execution.py).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import Any

from livebase.engine import values
from livebase.engine.errors import AuthFailed, InvalidIdError, ReadOnlyError, ValidationError
from livebase.engine.filters import compile_filter, matches
from livebase.engine.ids import decode_id
from livebase.engine.query import QueryBuilder
from livebase.engine.transaction import Transaction
from livebase.runtime.environment import Environment
from livebase.runtime.execution import engine

Identity = dict[str, Any]


def make_identity(claims: dict[str, Any] | None) -> Identity | None:
    """A user identity from token claims: ``tokenIdentifier`` is ``issuer|subject``."""
    if claims is None:
        return None
    if not isinstance(claims, dict):
        raise ValidationError("An identity is a dict of claims")
    identity = dict(claims)
    subject = identity.get("subject", identity.get("sub"))
    issuer = identity.get("issuer", identity.get("iss", "livebase"))
    if not isinstance(subject, str) or not subject:
        raise ValidationError("An identity needs a 'subject' (the user's stable id)")
    identity.pop("sub", None)
    identity.pop("iss", None)
    identity["subject"] = subject
    identity["issuer"] = issuer
    identity.setdefault("tokenIdentifier", f"{issuer}|{subject}")
    return identity


class Auth:
    """``ctx.auth``: the caller's identity."""

    def __init__(self, identity: Identity | None, error: str | None = None) -> None:
        self._identity = identity
        self._error = error  # why the caller's credentials were refused (HTTP actions)
        self.read = False  # whether the function looked: if not, its result is the same for all

    async def get_user_identity(self) -> Identity | None:
        """The caller's identity (a dict of claims with ``tokenIdentifier``), or None; in an
        HTTP action whose Authorization header was refused, AuthFailed saying why (as
        Convex's ``getUserIdentity`` throws there)."""
        self.read = True
        if self._error is not None:
            raise AuthFailed(self._error)
        return None if self._identity is None else dict(self._identity)


class LimitedQuery(QueryBuilder):
    """``ctx.db.query(...)``: a QueryBuilder whose reads are engine calls."""

    async def collect(self) -> list[dict[str, Any]]:
        with engine():
            return await super().collect()

    async def take(self, n: int) -> list[dict[str, Any]]:
        with engine():
            return await super().take(n)

    async def paginate(self, opts: dict[str, Any]) -> dict[str, Any]:
        with engine():
            return await super().paginate(opts)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return _EngineRows(super().__aiter__())


class _EngineRows:
    """``async for doc in ctx.db.query(...)``: each step is an engine call; the loop body is the
    function's own code."""

    def __init__(self, rows: AsyncIterator[dict[str, Any]]) -> None:
        self._rows = rows

    def __aiter__(self) -> _EngineRows:
        return self

    async def __anext__(self) -> dict[str, Any]:
        with engine():
            return await self._rows.__anext__()


class _EngineCalls:
    """A service object (``ctx.storage``, ``ctx.scheduler``) whose async methods are engine
    calls."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            with engine():
                return await attr(*args, **kwargs)

        return call


def _engine_calls(target: Any) -> Any:
    return None if target is None else _EngineCalls(target)


View = Callable[[dict[str, Any]], dict[str, Any]]


def _system_views(storage: Any) -> Mapping[str, View]:
    """How functions see the documents of the system tables ``storage`` shapes (``_storage``:
    Convex's fields, the sha256 in base64): its ``system_views``."""
    return getattr(storage, "system_views", None) or {}


class _ViewQuery(LimitedQuery):
    """A query over a system table whose documents functions see through ``view``; its
    filters test what they see."""

    def __init__(self, txn: Transaction, table: Any, view: View) -> None:
        super().__init__(txn, table)
        self._view = view
        self._view_filters: list[Any] = []

    def filter(self, predicate: Callable[[Any], Any]) -> QueryBuilder:
        self._view_filters.append(compile_filter(predicate))
        return self

    def _scan(
        self, lo: bytes | None, hi: bytes | None, wanted: int | None = None, sized: bool = False
    ) -> Generator[tuple[bytes, dict[str, Any], bool, int], None, None]:
        for key, doc, _, _ in super()._scan(lo, hi, wanted):
            shown = self._view(doc)
            size = values.encoded_size(shown) if sized else 0  # why: the size of what is seen
            yield key, shown, all(matches(f, shown) for f in self._view_filters), size


# Convex's words for reading a table through the wrong reader, by whether it was ctx.db.system
_WRONG_READER = {
    True: "User tables cannot be accessed with db.system.",
    False: "System tables can only be accessed with db.system.",
}


class DatabaseReader:
    """``ctx.db`` in queries: reads only; ``ctx.db.system`` reads system tables only."""

    def __init__(
        self, txn: Transaction, system: bool = False, views: Mapping[str, View] | None = None
    ) -> None:
        self._txn = txn
        self._system = system
        self._views = views or {}  # how ctx.db.system shows some system tables' documents

    def _split(self, a: Any, b: Any) -> tuple[str | None, Any]:
        # why: Convex moved from db.get(id) to db.get(table, id); both spellings are accepted.
        return (None, a) if b is None else (a, b)

    async def get(self, table_or_id: Any, doc_id: Any = None) -> dict[str, Any] | None:
        """The document with this ID (``get(id)`` or ``get(table, id)``), or None."""
        table, value = self._split(table_or_id, doc_id)
        with engine():
            if table is None:
                info = self._txn.db.catalog.table_by_number(decode_id(value))
                if info is not None and info.name.startswith("_") != self._system:
                    raise InvalidIdError(_WRONG_READER[self._system])
                if info is None and self._system:
                    raise InvalidIdError(f"{value!r} is not an ID of a system table")
                table = info.name if info is not None else None
            elif table.startswith("_") != self._system:
                raise InvalidIdError(_WRONG_READER[self._system])
            doc = self._txn.get(value, table)
            view = self._views.get(table) if self._system and table is not None else None
            return doc if view is None or doc is None else view(doc)

    def query(self, table: str) -> QueryBuilder:
        """A query over a table: chain with_index / order / filter, then collect / take..."""
        info = self._txn.table(table)
        if info.name.startswith("_") != self._system:
            raise InvalidIdError(
                "System tables can only be accessed from db.system.query()."
                if not self._system
                else "User tables can only be accessed from db.query()."
            )
        view = self._views.get(info.name) if self._system else None
        return LimitedQuery(self._txn, info) if view is None else _ViewQuery(self._txn, info, view)

    def normalize_id(self, table: str, doc_id: Any) -> str | None:
        """``doc_id`` if it is a valid ID of ``table``, else None."""
        info = self._txn.table(table)
        try:
            return doc_id if decode_id(doc_id) == info.number else None
        except InvalidIdError:
            return None

    @property
    def system(self) -> DatabaseReader:
        """Read access to system tables (``_storage``, ``_scheduled_functions``)."""
        return DatabaseReader(self._txn, system=True, views=self._views)

    def _refuse(self, what: str) -> ReadOnlyError:
        if self._system:  # why: as on Convex, db.system has no writers, in mutations too
            return ReadOnlyError(f"ctx.db.system has no {what}(): system tables are read-only")
        return ReadOnlyError(f"ctx.db.{what} is not allowed in a query; use a mutation")

    async def insert(self, table: str, value: Any) -> str:
        raise self._refuse("insert")

    async def patch(self, *args: Any) -> None:
        raise self._refuse("patch")

    async def replace(self, *args: Any) -> None:
        raise self._refuse("replace")

    async def delete(self, *args: Any) -> None:
        raise self._refuse("delete")


class DatabaseWriter(DatabaseReader):
    """``ctx.db`` in mutations: reads and writes, committed together."""

    async def insert(self, table: str, value: Any) -> str:
        """Insert a document; returns its ID."""
        if isinstance(table, str) and table.startswith("_"):
            raise InvalidIdError("System tables (prefixed with `_`) are read-only.")  # Convex's
        with engine():
            return self._txn.insert(table, value)

    def _args(self, args: tuple[Any, ...], what: str, n: int) -> tuple[str | None, Any, Any]:
        if len(args) == n:
            return (None, *args) if n == 2 else (None, args[0], None)
        if len(args) == n + 1:
            return (args[0], args[1], args[2]) if n == 2 else (args[0], args[1], None)
        raise TypeError(f"ctx.db.{what}() takes {'(id, value)' if n == 2 else '(id)'}")

    async def patch(self, *args: Any) -> None:
        """``patch(id, fields)`` or ``patch(table, id, fields)``: shallow merge."""
        table, doc_id, fields = self._args(args, "patch", 2)
        with engine():
            self._txn.patch(doc_id, fields, table)

    async def replace(self, *args: Any) -> None:
        """``replace(id, value)`` or ``replace(table, id, value)``."""
        table, doc_id, value = self._args(args, "replace", 2)
        with engine():
            self._txn.replace(doc_id, value, table)

    async def delete(self, *args: Any) -> None:
        """``delete(id)`` or ``delete(table, id)``."""
        table, doc_id, _ = self._args(args, "delete", 1)
        with engine():
            self._txn.delete(doc_id, table)


class QueryCtx:
    """``ctx`` of a query: ``db`` (read only), ``auth``, ``storage`` (URLs and metadata),
    ``env`` (the deployment's environment variables: ``await ctx.env.get("NAME")``)."""

    def __init__(
        self,
        txn: Transaction,
        identity: Identity | None,
        storage: Any = None,
        env: Environment | None = None,
    ) -> None:
        self.db: DatabaseReader = DatabaseReader(txn, views=_system_views(storage))
        self.auth = Auth(identity)
        self.storage = _engine_calls(storage)
        self.env = env
        self._txn = txn
        self._nested: NestedRunner | None = None  # set by the runtime: runs nested calls
        self._depth = 0  # how many nested calls this one is inside

    async def run_query(self, function: Any, args: dict[str, Any] | None = None) -> Any:
        """Run another query (a path like ``"messages:list"``, internal ones too) in this
        transaction, as Convex's ``ctx.runQuery``: the same snapshot, the same caller."""
        if self._nested is None:
            raise RuntimeError("ctx.run_query is not available here")
        return await self._nested(self, function, args, "query")


class MutationCtx(QueryCtx):
    """``ctx`` of a mutation: adds writes, upload URLs and ``scheduler``."""

    def __init__(
        self,
        txn: Transaction,
        identity: Identity | None,
        storage: Any = None,
        scheduler: Any = None,
        env: Environment | None = None,
    ) -> None:
        super().__init__(txn, identity, storage, env)
        self.db = DatabaseWriter(txn, views=_system_views(storage))
        self.scheduler = _engine_calls(scheduler)

    async def run_mutation(self, function: Any, args: dict[str, Any] | None = None) -> Any:
        """Run another mutation in this transaction, as Convex's ``ctx.runMutation``: its
        writes commit with this mutation's; if it raises, its writes are undone (and this
        mutation may catch the error and go on)."""
        if self._nested is None:
            raise RuntimeError("ctx.run_mutation is not available here")
        return await self._nested(self, function, args, "mutation")


Runner = Callable[[Any, dict[str, Any] | None], Awaitable[Any]]
# (the calling ctx, the function, its arguments, "query" or "mutation")
NestedRunner = Callable[[Any, Any, dict[str, Any] | None, str], Awaitable[Any]]


class ClientInfo:
    """Where a call came from, as the server saw the connection: the peer's IP address and
    the ``User-Agent`` header it sent (None for calls not from a client: scheduled, CLI).

    Taken from the socket and the request headers by the server, never from arguments; behind
    a reverse proxy the address is the proxy's.
    """

    __slots__ = ("ip", "user_agent")

    def __init__(self, ip: str | None = None, user_agent: str | None = None) -> None:
        self.ip = ip
        self.user_agent = user_agent[:512] if user_agent else None

    def __repr__(self) -> str:
        return f"ClientInfo(ip={self.ip!r}, user_agent={self.user_agent!r})"


class ActionCtx:
    """``ctx`` of an action: no database of its own; it calls queries and mutations, and reads
    environment variables (``await ctx.env.get("NAME")``).

    ``ctx.client`` is the calling connection's ``ClientInfo`` (empty for scheduled runs)."""

    def __init__(
        self,
        identity: Identity | None,
        run_query: Runner,
        run_mutation: Runner,
        run_action: Runner,
        storage: Any = None,
        scheduler: Any = None,
        client: ClientInfo | None = None,
        vector_search: Callable[[str, str, Any], Awaitable[list[dict[str, Any]]]] | None = None,
        env: Environment | None = None,
        auth_error: str | None = None,
    ) -> None:
        self.auth = Auth(identity, auth_error)
        self.env = env
        self.storage = storage
        self.scheduler = scheduler
        self.client = client or ClientInfo()
        self._run_query = run_query
        self._run_mutation = run_mutation
        self._run_action = run_action
        self._vector_search = vector_search

    async def vector_search(self, table: str, index: str, request: Any) -> list[dict[str, Any]]:
        """The documents nearest a vector, by a vector index: ``request`` is ``{"vector":
        [...], "limit": 1-256 (10), "filter": lambda q: q.eq(field, value) or q.or_(...)}``;
        returns ``[{"_id", "_score"}]`` best first (cosine similarity), exact and up to date,
        as Convex's ``ctx.vectorSearch``."""
        if self._vector_search is None:
            raise RuntimeError("vector search is not available here")
        return await self._vector_search(table, index, request)

    async def run_query(self, function: Any, args: dict[str, Any] | None = None) -> Any:
        """Run a query (a path like ``"messages:list"`` or the function itself)."""
        return await self._run_query(function, args)

    async def run_mutation(self, function: Any, args: dict[str, Any] | None = None) -> Any:
        """Run a mutation in its own transaction."""
        return await self._run_mutation(function, args)

    async def run_action(self, function: Any, args: dict[str, Any] | None = None) -> Any:
        """Run another action."""
        return await self._run_action(function, args)
