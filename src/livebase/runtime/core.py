"""The runtime: runs an app's functions against a database.

Queries run at one snapshot and return their read set; mutations are serializable, atomic and
re-run on conflict; actions are plain coroutines that call queries and mutations. Queries and
mutations see a frozen clock and seeded randomness, and may not wait on real I/O.

Every run is held to its kind's time limit (``Limits``, execution.py). From an event loop,
``run_query_async`` and ``run_mutation_async`` run them on worker threads (a few readers, one
writer, or several over PostgreSQL), so the loop never waits on a function; actions run on the
loop and call them so.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

from livebase.engine import values
from livebase.engine.database import Database
from livebase.engine.errors import (
    FunctionNotFoundError,
    LimitError,
    LivebaseError,
    OccConflictError,
    TimeLimitError,
    ValidationError,
)
from livebase.engine.readset import ReadSet
from livebase.engine.store import Persistence
from livebase.engine.transaction import SnapshotMoved, Transaction
from livebase.persistence import open_persistence
from livebase.persistence.sqlite import SqlitePersistence
from livebase.runtime import clock, environment, execution, handles, logs, session_requests
from livebase.runtime.app import App, canonical_path, load_app, not_found
from livebase.runtime.context import (
    ActionCtx,
    ClientInfo,
    Identity,
    MutationCtx,
    QueryCtx,
    make_identity,
)
from livebase.runtime.deployment import Deployment
from livebase.runtime.environment import Environment
from livebase.runtime.execution import Limits, Workers
from livebase.runtime.executions import ExecutionLog
from livebase.runtime.functions import FunctionDefinition
from livebase.runtime.offload import SLICE, QueryProcess, Unavailable

DEFAULT_MAX_UPLOAD = 100 * 1024 * 1024

log = logging.getLogger("livebase.runtime")

T = TypeVar("T")
R = TypeVar("R", bound="BaseRuntime")
Ran = TypeVar("Ran", "QueryResult", "MutationResult")
OPTIMISTIC_ATTEMPTS = 4
# threads running mutations when storage is on another machine (PostgreSQL)
REMOTE_WRITERS = 8
DATABASE_FILE = "db.sqlite3"
SYSTEM_PREFIX = "_system/"
FOLLOW_POLL = 0.5  # seconds between looks at the commit log when no notification comes
READERS = 4  # threads running queries; one more runs mutations (the engine commits one at a time)


@dataclass
class QueryResult:
    """A query's value, the snapshot it read at and what it read."""

    value: Any
    ts: int
    read_set: ReadSet
    journal: str | None = None
    reads_auth: bool = True
    log_lines: list[str] = field(default_factory=list)


@dataclass
class MutationResult:
    """A mutation's value and its commit timestamp."""

    value: Any
    ts: int
    attempts: int
    log_lines: list[str] = field(default_factory=list)


MAX_NESTED_CALLS = 64  # ctx.run_query / ctx.run_mutation inside each other


def run_to_completion(result: Any, path: str) -> Any:
    """Finish a query/mutation handler's coroutine without an event loop.

    Their database calls never suspend, so a coroutine that does suspend is waiting on real
    I/O, which a deterministic function may not do.
    """
    if not inspect.iscoroutine(result):
        return result
    coro: Coroutine[Any, Any, Any] = result
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    except RuntimeError as exc:
        # why: outside an event loop, asyncio primitives fail before they can suspend.
        if "no running event loop" not in str(exc):
            raise
        raise _io_error(path) from None
    coro.close()
    raise _io_error(path)


def _io_error(path: str) -> LivebaseError:
    return LivebaseError(
        f"{path}: queries and mutations cannot wait on I/O (asyncio.sleep, network calls); "
        "do that in an action"
    )


class JobGuard(Protocol):
    """A scheduled job a mutation runs for: checked and marked done in its transaction."""

    def pending(self, txn: Transaction) -> bool:
        """Whether the job is still to run (not canceled, not already done)."""
        ...

    def finish(self, txn: Transaction) -> None:
        """Mark the job done, in the mutation's own transaction."""
        ...


class BaseRuntime:
    """An app bound to its database: runs its functions.

    The services (file storage, the scheduler) reach functions' contexts through the
    ``_*_services`` hooks, which ``livebase.services.runtime.Runtime`` fills in; here there are
    none.
    """

    def __init__(
        self,
        app: str | Path | ModuleType | App,
        data_dir: str | Path = ".livebase",
        *,
        synchronous: str = "NORMAL",
        persistence: Persistence | None = None,
        db: str | None = None,
        storage: str | None = None,
        shared: bool = False,
        peers: bool = False,
        origin: str = "http://127.0.0.1:3210",
        site_origin: str | None = None,
        max_upload: int = DEFAULT_MAX_UPLOAD,
        query_timeout: float = 1.0,
        mutation_timeout: float = 1.0,
        action_timeout: float = 600.0,
        query_process: bool = False,
    ) -> None:
        """``db``: a database URL (``postgresql://...``, ``sqlite:///path``) instead of the
        SQLite file in ``data_dir``; a PostgreSQL deployment may be served by many processes
        at once, each following the others' commits.
        ``shared``: other processes on this machine write to the same SQLite file
        (``livebase serve --workers N``); PostgreSQL always allows it.
        ``peers``: other server processes serve the same deployment (``--workers``); always
        so on PostgreSQL.
        ``storage``: where file bytes go (see livebase.services.blobs); by default the data
        directory, or the database for a PostgreSQL deployment.
        ``query_timeout``, ``mutation_timeout``, ``action_timeout``: the time limits of this
        deployment's functions in seconds (Convex's by default); over its limit a function
        fails with TimeLimitError, and a mutation commits nothing.
        ``query_process``: a query that runs long moves to a process of its own, so that it
        cannot slow down anyone else's (runtime/offload.py); only for an app given by its
        directory or module name, over storage other processes may share (``shared`` SQLite,
        PostgreSQL)."""
        clock.install()
        self.limits = Limits(query_timeout, mutation_timeout, action_timeout)
        self.app = load_app(app)
        self.readers = Workers("livebase-reader", READERS)
        self.executions = ExecutionLog()  # every run, for `livebase logs` and the dashboard
        # the dashboard's and the CLI's functions (livebase.services.system), admins only
        self.system_functions: dict[str, FunctionDefinition] = {}
        self.health: Any = None
        # livebase dev: a bug's message and the app's lines it passed reach the client, as
        # from a Convex dev deployment (serve sends "Server Error" only, as production does)
        self.dev = False
        self.origin = origin.rstrip("/")  # where clients reach this deployment (absolute URLs)
        # where its HTTP actions answer: their own port, or /http on the main one
        self.site_origin = (site_origin or f"{self.origin}/http").rstrip("/")
        self.scheduler_wakeup: Callable[[], None] = lambda: None  # set by a running worker
        given_persistence = persistence is not None
        if persistence is None and db is not None:
            persistence = open_persistence(db, synchronous, shared=shared)
        if persistence is None:
            directory = Path(data_dir)
            directory.mkdir(parents=True, exist_ok=True)
            persistence = SqlitePersistence(directory / DATABASE_FILE, synchronous, shared=shared)
        self.data_dir = Path(data_dir)
        self.storage_url = storage
        # why: a commit to storage on this machine takes microseconds, so one thread runs
        # every mutation; over the network it waits for round trips, and mutations on several
        # threads share them (SharedCommitter's group commit)
        writers = 1 if persistence.on_this_machine else REMOTE_WRITERS
        self.writer = Workers("livebase-writer", writers)
        self._following = threading.Event()
        self.peers = peers or not persistence.on_this_machine
        try:
            self.db = Database(persistence, self.app.schema)
            session_requests.ensure_table(self.db)
            self.db.ensure_system_table(environment.TABLE, environment.INDEXES)
            self.deployment = Deployment(self.data_dir, self.db)
            self._install_services(max_upload)
        except BaseException:
            persistence.close()
            raise
        self.offload: QueryProcess | None = None
        offloadable = isinstance(app, (str, Path)) and persistence.multi_writer
        if query_process and offloadable and not given_persistence and query_timeout > SLICE:
            self.offload = QueryProcess(
                type(self),
                dict(
                    app=app, data_dir=data_dir, db=db, storage=storage, shared=True,
                    peers=True, synchronous=synchronous, origin=origin,
                    site_origin=site_origin,
                    max_upload=max_upload, query_timeout=query_timeout,
                    mutation_timeout=mutation_timeout, action_timeout=action_timeout,
                ),
            )  # fmt: skip
        self._follower: threading.Thread | None = None
        if persistence.multi_writer:
            self._following.set()
            self._follower = threading.Thread(
                target=self._follow, name="livebase-follower", daemon=True
            )
            self._follower.start()

    def _follow(self) -> None:
        """Publish other processes' commits as they land (live queries, OCC, the catalog)."""
        persistence = self.db.persistence
        while self._following.is_set():
            try:
                persistence.wait_for_commits(FOLLOW_POLL)
                if self._following.is_set():
                    self.db.catch_up()
            except Exception:
                if not self._following.is_set():
                    return
                log.exception("following the commit log failed; retrying")
                time.sleep(FOLLOW_POLL)

    # --- services (see livebase.services.runtime) --------------------------------------
    def _install_services(self, max_upload: int) -> None:
        """Set up the services functions' contexts reach (none here)."""

    def _query_services(self, txn: Transaction) -> Any:
        """``ctx.storage`` of a query."""
        return None

    def _mutation_services(self, txn: Transaction) -> tuple[Any, Any]:
        """``ctx.storage`` and ``ctx.scheduler`` of a mutation."""
        return None, None

    def _action_services(self) -> tuple[Any, Any]:
        """``ctx.storage`` and ``ctx.scheduler`` of an action."""
        return None, None

    def app_folder(self) -> Path:
        """The folder the app's files live in."""
        return Path(next(iter(self.app.package.__path__))).resolve()

    # --- lookups -----------------------------------------------------------------------
    def function(
        self, path: Any, kind: str | None = None, internal_ok: bool = False
    ) -> FunctionDefinition:
        """The function at a path, checked for kind and visibility."""
        if isinstance(path, FunctionDefinition):
            fn = path
        elif isinstance(path, str) and path.startswith(SYSTEM_PREFIX):
            found = self.system_functions.get(canonical_path(path))
            if found is None or not internal_ok:
                raise not_found(path)
            fn = found
        elif handles.is_handle(path) and internal_ok:
            fn = self.app.resolve(handles.resolve(self, path))  # a function's own call
        else:
            fn = self.app.resolve(path)
        if fn.internal and not internal_ok:
            # why: named as asked, exactly as a missing function would be
            raise not_found(path if isinstance(path, str) else fn.path)
        if kind is not None and fn.kind != kind:
            raise FunctionNotFoundError(
                f"{fn.path or path} is a {fn.kind}, not a {kind}; call it with {fn.kind}()"
            )
        return fn

    def _args(self, fn: FunctionDefinition, args: Any) -> dict[str, Any]:
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ValidationError(
                f"Arguments of {fn.path} must be an object, got {values.type_name(args)}"
            )
        try:
            checked = fn.args.check(args) if fn.args is not None else args
            return values.normalize(checked, limit=values.MAX_VALUE_NESTING)
        except ValidationError as exc:
            raise ValidationError(f"ArgumentValidationError in {fn.path}: {exc.message}") from None

    def _returns(self, fn: FunctionDefinition, value: Any) -> Any:
        try:
            if fn.returns is not None:
                value = fn.returns.check(value)
            return values.normalize(value, limit=values.MAX_VALUE_NESTING)
        except ValidationError as exc:
            raise ValidationError(f"ReturnsValidationError in {fn.path}: {exc.message}") from None

    # --- queries and mutations ---------------------------------------------------------
    def run_query(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        journal: str | None = None,
    ) -> QueryResult:
        """Run a query at the latest snapshot.

        ``journal`` is the one a previous run of the same subscription returned: a paginated
        query keeps the page end it recorded there.
        """
        fn = self.function(path, "query", internal_ok)
        return self._logged(fn, partial(self._run_query, fn, args, identity, journal))

    def run_query_at(
        self,
        path: Any,
        args: dict[str, Any] | None,
        ts: int,
        *,
        identity: dict[str, Any] | None = None,
    ) -> QueryResult:
        """Run a public query as of commit ``ts``, earlier than the latest
        (``/api/query_at_ts``); HistoryUnavailable when this process can no longer read as
        of it (engine/history.py)."""
        fn = self.function(path, "query", False)

        def run() -> QueryResult:
            checked = self._args(fn, args)
            ident = make_identity(identity)
            limit = self.limits.query
            return self._query_once(fn, checked, ident, None, limit, optimistic=False, at=ts)

        return self._logged(fn, run)

    def _run_query(
        self,
        fn: FunctionDefinition,
        args: dict[str, Any] | None,
        identity: dict[str, Any] | None,
        journal: str | None,
    ) -> QueryResult:
        checked = self._args(fn, args)
        ident = make_identity(identity)
        offload = self.offload if execution.current() is None else None
        if offload is None:
            return self._query_here(fn, checked, ident, journal, self.limits.query)
        if fn.path not in offload.slow:
            busy = time.thread_time()
            try:
                return self._query_here(fn, checked, ident, journal, offload.slice)
            except TimeLimitError as exc:
                if exc.limit >= self.limits.query or execution.given_up():
                    raise
            # why: stopped at the end of its slice; only a run busy on the CPU slows others
            if time.thread_time() - busy < offload.slice / 2:
                return self._query_here(fn, checked, ident, journal, self.limits.query)
            offload.slow.add(fn.path)
            log.info("query %s runs long: its runs move to the query process", fn.path)
        try:
            return offload.run(fn.path, checked, identity, journal, self.limits.query)
        except Unavailable:
            return self._query_here(fn, checked, ident, journal, self.limits.query)

    def _query_here(
        self,
        fn: FunctionDefinition,
        checked: dict[str, Any],
        ident: Identity | None,
        journal: str | None,
        limit: float,
    ) -> QueryResult:
        try:
            return self._query_once(fn, checked, ident, journal, limit, optimistic=True)
        except SnapshotMoved:
            # why: a commit landed between its first read and its snapshot; run it again
            # with a snapshot from the start (queries have no effects to undo)
            return self._query_once(fn, checked, ident, journal, limit, optimistic=False)

    def _query_once(
        self,
        fn: FunctionDefinition,
        checked: dict[str, Any],
        ident: Identity | None,
        journal: str | None,
        limit: float,
        optimistic: bool,
        at: int | None = None,
    ) -> QueryResult:
        txn = self.db.begin(writable=False) if at is None else self.db.begin_at(at)
        txn.journal_in = journal
        txn.optimistic = optimistic
        ctx = QueryCtx(txn, ident, self._query_services(txn), self._environment(txn))
        ctx._nested = self._nested_call
        with execution.limited(fn.path, "query", limit) as run, logs.capture(fn.path) as lines:
            try:
                with (
                    clock.frozen(clock.real_time_ns(), txn.begin_ts),
                    run.handler(),
                    handles.within(self),
                ):
                    value = run_to_completion(fn.handler(ctx, **checked), fn.path)
                value = self._returns(fn, value)
            except BaseException as exc:
                if txn.moved:
                    raise SnapshotMoved from None
                logs.attach(exc, lines)
                raise
            finally:
                txn.close()
        if txn.moved:  # why: the function caught the error and went on
            raise SnapshotMoved
        return QueryResult(
            value, txn.begin_ts, txn.read_set, txn.journal_out, ctx.auth.read, lines.finish()
        )

    def run_mutation(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        request: tuple[str, int] | None = None,
        job: JobGuard | None = None,
    ) -> MutationResult:
        """Run a mutation: all its writes commit together, or none do.

        A run that loses an OCC race is re-run; after a few lost races it runs once while this
        process's other commits wait, and if that try loses too (mostly to another process's
        commit), while holding the deployment's lock, so a busy document cannot starve it. With
        ``request`` (a client session and its request id) the mutation runs at most once for
        that pair: the record is written in the mutation's own transaction, and a resent
        request gets the first run's result. With ``job`` (a scheduled function) the mutation
        runs only if the job is still pending, and marks it done in the same transaction.
        """
        fn = self.function(path, "mutation", internal_ok)
        return self._logged(fn, partial(self._run_mutation, fn, args, identity, request, job))

    def _logged(self, fn: FunctionDefinition, run: Callable[[], Ran]) -> Ran:
        """``run()`` a query or mutation, noting it in the execution log."""
        started = time.perf_counter()
        try:
            result = run()
        except BaseException as exc:
            self.executions.record(fn.path, fn.kind, started, exc, logs.lines_of(exc))
            raise
        self.executions.record(fn.path, fn.kind, started, None, result.log_lines)
        return result

    def _run_mutation(
        self,
        fn: FunctionDefinition,
        args: dict[str, Any] | None,
        identity: dict[str, Any] | None,
        request: tuple[str, int] | None,
        job: JobGuard | None,
    ) -> MutationResult:
        checked = self._args(fn, args)
        ident = make_identity(identity)
        # why: the limit spans every attempt, so that the caller waits at most about that long
        with execution.limited(fn.path, "mutation", self.limits.mutation) as run:
            optimistic = OPTIMISTIC_ATTEMPTS
            for attempt in range(1, optimistic + 1):
                try:
                    return self._mutate_once(fn, checked, ident, attempt, request, job)
                except OccConflictError:
                    log.debug("%s: OCC conflict on attempt %d", fn.path, attempt)
            # why: this process's other commits wait while it runs (until its deadline at
            # most: past it, it cannot commit), with no lock held while its code runs: stuck in
            # C code under a lock, it would hold up every commit of every process until that
            # code returned
            if time.monotonic() - run.started < run.limit / 2:
                with self.db.priority(run.deadline):
                    try:
                        return self._mutate_once(fn, checked, ident, optimistic + 1, request, job)
                    except OccConflictError:
                        log.debug("%s: OCC conflict on its priority attempt", fn.path)
                    # another process's commit won (or one queued before): hold the lock
                    with self.db.exclusive():
                        return self._mutate_once(fn, checked, ident, optimistic + 2, request, job)
            with self.db.exclusive():  # little time is left
                return self._mutate_once(fn, checked, ident, optimistic + 1, request, job)

    def _mutate_once(
        self,
        fn: FunctionDefinition,
        args: dict[str, Any],
        ident: Identity | None,
        attempt: int,
        request: tuple[str, int] | None,
        job: JobGuard | None = None,
    ) -> MutationResult:
        txn = self.db.begin(writable=True)
        try:
            if request is not None:
                prior = session_requests.find(txn, request)
                if prior is not None:
                    # why: the first run committed at or before this snapshot, which may be
                    # ahead of this process's feed when another process ran it
                    return MutationResult(
                        prior["value"], max(self.db.latest_ts, txn.begin_ts), attempt
                    )
            if job is not None and not job.pending(txn):
                return MutationResult(None, self.db.latest_ts, attempt)  # canceled or done
            with logs.capture(fn.path) as lines:
                try:
                    value = self._handle(txn, fn, args, ident)
                except BaseException as exc:
                    logs.attach(exc, lines)
                    raise
            if request is not None:
                session_requests.record(txn, request, value)
            if job is not None:
                job.finish(txn)
        finally:
            txn.close()
        run = execution.current()
        if run is not None:
            # why: waiting here, before committing(), a run stays one the watchdog can give up
            self.db.wait_for_priority(run.deadline)
        with run.committing() if run is not None else contextlib.nullcontext():
            ts = self.db.commit(txn)
        self._after_commit(txn)
        return MutationResult(value, ts, attempt, lines.finish())

    def _handle(
        self, txn: Transaction, fn: FunctionDefinition, args: dict[str, Any], ident: Identity | None
    ) -> Any:
        ctx = MutationCtx(txn, ident, *self._mutation_services(txn), self._environment(txn))
        ctx._nested = self._nested_call
        run = execution.current()
        handler = run.handler() if run is not None else contextlib.nullcontext()
        with clock.frozen(clock.real_time_ns(), txn.begin_ts), handler, handles.within(self):
            value = run_to_completion(fn.handler(ctx, **args), fn.path)
        return self._returns(fn, value)

    async def _nested_call(
        self, ctx: QueryCtx, function: Any, args: dict[str, Any] | None, kind: str
    ) -> Any:
        """Convex's ``runQuery`` / ``runMutation`` inside a query or mutation (``ctx``): the
        function called runs in the same transaction, for the same caller; a nested mutation
        that raises leaves none of its writes."""
        if ctx._depth >= MAX_NESTED_CALLS:
            raise LimitError(f"Too many nested function calls (limit {MAX_NESTED_CALLS})")
        txn = ctx._txn
        fn = self.function(function, kind, internal_ok=True)
        checked = self._args(fn, args)
        if kind == "query":
            child = QueryCtx(txn, None, self._query_services(txn), self._environment(txn))
        else:
            services = self._mutation_services(txn)
            child = MutationCtx(txn, None, *services, self._environment(txn))
        child.auth = ctx.auth  # why: the caller's result depends on the identity if it reads it
        child._nested, child._depth = self._nested_call, ctx._depth + 1
        mark = txn.savepoint() if kind == "mutation" else None
        try:
            value = fn.handler(child, **checked)
            if inspect.isawaitable(value):
                value = await value
            return self._returns(fn, value)
        except BaseException:
            if mark is not None:
                txn.rollback_to(mark)
            raise

    def call_in_transaction(
        self, txn: Transaction, function: Any, args: dict[str, Any] | None
    ) -> Any:
        """Run a mutation's handler inside a transaction someone else commits (crons)."""
        fn = self.function(function, "mutation", internal_ok=True)
        checked = self._args(fn, args)
        with execution.limited(fn.path, "mutation", self.limits.mutation):
            return self._handle(txn, fn, checked, None)

    async def run_query_async(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        journal: str | None = None,
    ) -> QueryResult:
        """``run_query`` on a reader thread: the awaiting event loop goes on meanwhile."""
        call = partial(
            self.run_query, path, args, identity=identity, internal_ok=internal_ok, journal=journal
        )
        try:
            return await self.readers.run(call)
        except TimeLimitError as exc:
            offload = self.offload
            if offload is None or exc.limit != offload.slice:
                raise
            # why: stuck in C code past its slice, its reader thread was given up; it runs
            # long, so it goes to the query process
            offload.slow.add(self.function(path, "query", internal_ok).path)
            return await self.readers.run(call)

    async def run_query_at_async(
        self, path: Any, args: dict[str, Any] | None, ts: int, *, identity: dict[str, Any] | None
    ) -> QueryResult:
        """``run_query_at`` on a reader thread."""
        return await self.readers.run(partial(self.run_query_at, path, args, ts, identity=identity))

    async def run_mutation_async(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        request: tuple[str, int] | None = None,
        job: JobGuard | None = None,
    ) -> MutationResult:
        """``run_mutation`` on a writer thread: over storage on this machine one mutation at a
        time, in arrival order; over PostgreSQL several at once (``REMOTE_WRITERS``), each
        still serializable (OCC), their commits grouped."""
        return await self.writer.run(
            partial(
                self.run_mutation,
                path,
                args,
                identity=identity,
                internal_ok=internal_ok,
                request=request,
                job=job,
            )
        )

    def _after_commit(self, txn: Transaction) -> None:
        for hook in txn.after_commit:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed")

    def adapt_switch_interval(self, normal: float, fast: float) -> None:
        """Let the interpreter's switch interval be ``normal``, and ``fast`` only while a
        function runs long (execution.py, ``adapt_switch_interval``)."""
        execution.adapt_switch_interval(normal, fast)

    def transact(self, work: Callable[[Transaction], T], readonly: bool = False) -> tuple[T, int]:
        """Run livebase's own code in a serializable transaction (re-run on conflict).

        Returns the work's result and the commit timestamp (the snapshot's, if it wrote
        nothing). The system's counterpart of a mutation: storage, scheduler and crons use it.
        """
        for attempt in range(OPTIMISTIC_ATTEMPTS + 1):
            lock = (
                self.db.exclusive() if attempt == OPTIMISTIC_ATTEMPTS else contextlib.nullcontext()
            )
            with lock:
                txn = self.db.begin(writable=not readonly)
                try:
                    result = work(txn)
                finally:
                    txn.close()
                try:
                    ts = self.db.commit(txn)
                except OccConflictError:
                    continue
            self._after_commit(txn)
            return result, ts
        raise OccConflictError("transaction kept conflicting")

    async def in_writer(self, call: Callable[[], T]) -> T:
        """``call()`` on a writer thread, queued with mutations, awaited from the loop."""
        return await self.writer.run(call)

    async def transact_async(
        self, work: Callable[[Transaction], T], readonly: bool = False
    ) -> tuple[T, int]:
        """``transact`` on a worker thread (the writer; a reader if ``readonly``), awaited from
        the event loop: the loop goes on meanwhile."""
        workers = self.readers if readonly else self.writer
        return await workers.run(partial(self.transact, work, readonly))

    # --- actions -----------------------------------------------------------------------
    async def run_action(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        client: ClientInfo | None = None,
    ) -> Any:
        """Run an action; it may await I/O and call queries, mutations and actions.
        ``client``: the calling connection, as ``ctx.client`` (actions it calls see it too)."""
        fn = self.function(path, "action", internal_ok)
        started = time.perf_counter()
        lines = logs.LogLines(fn.path)
        try:
            with logs.capture_into(lines), handles.within(self):
                checked = self._args(fn, args)
                ctx = self.action_ctx(identity, client)
                result = fn.handler(ctx, **checked)
                if inspect.isawaitable(result):
                    result = await execution.time_limited(
                        result, fn.path, "action", self.limits.action
                    )
                value = self._returns(fn, result)
        except BaseException as exc:
            self.executions.record(fn.path, "action", started, exc, lines.finish())
            logs.forward(lines.lines)  # why: the caller's capture (a client's request) gets them
            raise
        self.executions.record(fn.path, "action", started, None, lines.finish())
        logs.forward(lines.lines)
        return value

    def action_ctx(
        self,
        identity: dict[str, Any] | None,
        client: ClientInfo | None = None,
        auth_error: str | None = None,
    ) -> ActionCtx:
        """The ``ctx`` of an action (or HTTP action) running as ``identity``; with
        ``auth_error`` (an HTTP action whose Authorization header was refused) it runs with
        no identity, and ``ctx.auth.get_user_identity()`` raises that error."""

        async def run_query(target: Any, call_args: dict[str, Any] | None) -> Any:
            result = await self.run_query_async(
                target, call_args, identity=identity, internal_ok=True
            )
            logs.forward(result.log_lines)
            return result.value

        async def run_mutation(target: Any, call_args: dict[str, Any] | None) -> Any:
            result = await self.run_mutation_async(
                target, call_args, identity=identity, internal_ok=True
            )
            logs.forward(result.log_lines)
            return result.value

        async def run_action(target: Any, call_args: dict[str, Any] | None) -> Any:
            return await self.run_action(
                target, call_args, identity=identity, internal_ok=True, client=client
            )

        async def vector_search(table: str, index: str, request: Any) -> list[dict[str, Any]]:
            # why: loading an index and the matrix product take a while; off the loop
            return await asyncio.to_thread(self.db.vector_search, table, index, request)

        return ActionCtx(
            make_identity(identity),
            run_query,
            run_mutation,
            run_action,
            *self._action_services(),
            client=client,
            vector_search=vector_search,
            env=self._environment(None),
            auth_error=auth_error,
        )

    def _environment(self, txn: Transaction | None) -> Environment:
        """``ctx.env``: read in the function's transaction (so a live query re-runs when a
        variable it read changes), or, in actions, at the latest commit."""

        async def in_transaction(name: str) -> str | None:
            assert txn is not None
            with execution.engine():
                return environment.read(txn, name)

        async def latest(name: str) -> str | None:
            found, _ = await self.transact_async(
                partial(environment.read, name=name), readonly=True
            )
            return found

        built_in = {"CONVEX_CLOUD_URL": self.origin, "CONVEX_SITE_URL": self.site_origin}
        return Environment(in_transaction if txn is not None else latest, built_in)

    # --- any kind ----------------------------------------------------------------------
    def call(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
    ) -> Any:
        """Run a function of any kind from synchronous code and return its value."""
        fn = self.function(path, None, internal_ok)
        if fn.kind == "query":
            return self.run_query(fn, args, identity=identity, internal_ok=internal_ok).value
        if fn.kind == "mutation":
            return self.run_mutation(fn, args, identity=identity, internal_ok=internal_ok).value
        return asyncio.run(self.run_action(fn, args, identity=identity, internal_ok=internal_ok))

    def close(self) -> None:
        """Stop the worker threads and the query process, and close the database."""
        if self.offload is not None:
            self.offload.close()
        self._following.clear()
        self.readers.stop()
        self.writer.stop()
        if self._follower is not None:
            self._follower.join(FOLLOW_POLL * 4)
        self.db.close()

    def __enter__(self: R) -> R:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
