"""System functions: what the dashboard and the CLI call, at ``_system/...`` paths.

Every deployment serves them beside its app's functions, for admins only (an admin key, as
``livebase run --url``, ``livebase env``, ``livebase logs`` and the dashboard send it; from
outside they look like functions that do not exist). They are ordinary queries, mutations and
actions, so the dashboard is a plain ``convex/react`` client: its tables, documents, scheduled
jobs, files and environment variables are live queries.

    _system/env:list | set | remove           environment variables (runtime/environment.py)
    _system/tables:list | page                 tables, counts, indexes; documents a page at a time
    _system/tables:insert | replace | delete   edits, checked against the schema
    _system/functions:list                     the app's functions with their validators
    _system/scheduled:list | cancel, _system/scheduled:crons
    _system/files:list | delete
    _system/logs:tail                          the execution log (runtime/executions.py)
    _system/health:get                         connections, live queries, commits per minute
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from livebase.engine import progress
from livebase.engine.errors import ValidationError
from livebase.engine.transaction import Transaction
from livebase.engine.validators import v
from livebase.engine.values import Int64
from livebase.runtime import environment
from livebase.runtime.functions import (
    FunctionDefinition,
    internal_action,
    internal_mutation,
    internal_query,
)
from livebase.services import crons, scheduler, storage

if TYPE_CHECKING:
    from livebase.services.runtime import Runtime

PREFIX = "_system/"
COUNT_LIMIT = 100_000  # a table's count stops here (the dashboard shows "100,000+")
LOG_WAIT_S = 20.0  # how long _system/logs:tail waits for a new run


def _txn(ctx: Any) -> Transaction:
    # why: system functions read and write system tables, which ctx.db refuses to apps
    return ctx.db._txn


def _table_names(txn: Transaction) -> list[str]:
    return sorted(txn.db.catalog.tables)


def _count(txn: Transaction, name: str) -> int:
    table = txn.table(name)
    rows = txn.scan(table, table.indexes["by_id"], b"", None)
    count = 0
    try:
        for _ in rows:
            count += 1
            if count >= COUNT_LIMIT:
                break
    finally:
        rows.close()
    return count


def _user_table(table: str) -> None:
    if table.startswith("_"):
        raise ValidationError(
            f"{table!r} is a system table: livebase writes it (cancel a job, delete a file)"
        )


FILTER_OPS = ("eq", "neq", "lt", "lte", "gt", "gte")


def _filtered(query: Any, filters: list[dict[str, Any]]) -> Any:
    for item in filters:
        op = item.get("op", "eq")
        if op not in FILTER_OPS:
            raise ValidationError(f"Unknown filter operator {op!r}: one of {', '.join(FILTER_OPS)}")
        field_name, value = item["field"], item.get("value")
        query = query.filter(
            lambda q, op=op, field_name=field_name, value=value: getattr(q, op)(
                q.field(field_name), value
            )
        )
    return query


class Health:
    """What ``_system/health:get`` reports: commits in the last minute (counted from the
    commit feed) and what the server adds (connections, live queries)."""

    def __init__(self, runtime: Runtime) -> None:
        self.started = time.time()
        self._commits: deque[float] = deque(maxlen=100_000)
        self.server_stats: Callable[[], dict[str, Any]] = dict
        runtime.db.add_commit_listener(lambda ts, writes: self._commits.append(time.monotonic()))

    def report(self, runtime: Runtime) -> dict[str, Any]:
        now = time.monotonic()
        recent = [t for t in list(self._commits) if now - t <= 60]
        return {
            "uptimeSeconds": round(time.time() - self.started, 1),
            "commitsLastMinute": len(recent),
            "latestTimestamp": Int64(runtime.db.latest_ts),
            "functionRuns": runtime.executions.last_seq,
            "work": [task.to_json() for task in progress.running()],
            **self.server_stats(),
        }


def system_functions(runtime: Runtime) -> dict[str, FunctionDefinition]:
    """The ``_system/...`` functions of a runtime, by path."""
    health = Health(runtime)
    runtime.health = health
    found: dict[str, FunctionDefinition] = {}

    def register(path: str, fn: FunctionDefinition) -> None:
        fn.path = PREFIX + path
        found[fn.path] = fn

    # --- environment variables ---------------------------------------------------------
    @internal_query(args={}, returns=v.array(v.object({"name": v.string(), "value": v.string()})))
    async def env_list(ctx: Any) -> list[dict[str, str]]:
        names = environment.read_all(_txn(ctx))
        return [{"name": name, "value": value} for name, value in sorted(names.items())]

    @internal_mutation(args={"name": v.string(), "value": v.string()}, returns=v.boolean())
    async def env_set(ctx: Any, name: str, value: str) -> bool:
        return environment.write(_txn(ctx), name, value)

    @internal_mutation(args={"name": v.string()}, returns=v.boolean())
    async def env_remove(ctx: Any, name: str) -> bool:
        return environment.write(_txn(ctx), name, None)

    register("env:list", env_list)
    register("env:set", env_set)
    register("env:remove", env_remove)

    # --- data --------------------------------------------------------------------------
    @internal_query(args={})
    async def tables_list(ctx: Any) -> list[dict[str, Any]]:
        txn = _txn(ctx)
        schema = runtime.app.schema
        out = []
        for name in _table_names(txn):
            info = txn.table(name)
            definition = schema.tables.get(name) if schema is not None else None
            out.append(
                {
                    "name": name,
                    "system": name.startswith("_"),
                    "count": _count(txn, name),
                    "countCapped": COUNT_LIMIT,
                    "indexes": [
                        {"name": index.name, "fields": list(index.fields)}
                        for index in info.indexes.values()
                        if index.name not in ("by_id", "by_creation_time")
                    ],
                    "document": (
                        definition.document.to_json()
                        if definition is not None and definition.document is not None
                        else None
                    ),
                }
            )
        return out

    @internal_query(
        args={
            "table": v.string(),
            "paginationOpts": v.pagination_opts(),
            "order": v.optional(v.union(v.literal("asc"), v.literal("desc"))),
            "index": v.optional(v.string()),
            "indexValues": v.optional(v.array(v.any())),
            "filters": v.optional(
                v.array(v.object({"field": v.string(), "op": v.string(), "value": v.any()}))
            ),
        }
    )
    async def tables_page(
        ctx: Any,
        table: str,
        paginationOpts: dict[str, Any],
        order: str = "desc",
        index: str | None = None,
        indexValues: list[Any] | None = None,
        filters: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        query = ctx.db.system.query(table) if table.startswith("_") else ctx.db.query(table)
        if index:
            info = _txn(ctx).table(table)
            if index not in info.indexes:
                raise ValidationError(f"Table {table!r} has no index {index!r}")
            fields = list(info.indexes[index].fields)
            given = list(indexValues or [])[: len(fields)]

            def bounds(q: Any) -> Any:
                for name, value in zip(fields, given, strict=False):
                    q = q.eq(name, value)
                return q

            query = query.with_index(index, bounds)
        query = _filtered(query.order(order), filters or [])
        return await query.paginate(paginationOpts)

    @internal_mutation(args={"table": v.string(), "document": v.any()}, returns=v.string())
    async def tables_insert(ctx: Any, table: str, document: Any) -> str:
        return await ctx.db.insert(table, document)

    @internal_mutation(
        args={"table": v.string(), "id": v.string(), "document": v.any()}, returns=v.null()
    )
    async def tables_replace(ctx: Any, table: str, id: str, document: Any) -> None:
        _user_table(table)
        if isinstance(document, dict):
            document = {k: val for k, val in document.items() if k not in ("_id", "_creationTime")}
        await ctx.db.replace(table, id, document)

    @internal_mutation(args={"table": v.string(), "ids": v.array(v.string())}, returns=v.number())
    async def tables_delete(ctx: Any, table: str, ids: list[str]) -> int:
        _user_table(table)
        for doc_id in ids:
            await ctx.db.delete(table, doc_id)
        return len(ids)

    register("tables:list", tables_list)
    register("tables:page", tables_page)
    register("tables:insert", tables_insert)
    register("tables:replace", tables_replace)
    register("tables:delete", tables_delete)

    # --- functions ---------------------------------------------------------------------
    @internal_query(args={})
    async def functions_list(ctx: Any) -> list[dict[str, Any]]:
        return [
            {
                "path": path,
                "kind": fn.kind,
                "visibility": fn.visibility,
                "args": fn.args.to_json() if fn.args is not None else None,
                "returns": fn.returns.to_json() if fn.returns is not None else None,
            }
            for path, fn in sorted(runtime.app.functions.items())
            if fn.path in ("", path)
        ]

    register("functions:list", functions_list)

    # --- scheduled functions and crons -------------------------------------------------
    @internal_query(
        args={
            "paginationOpts": v.pagination_opts(),
            "state": v.optional(v.string()),
        }
    )
    async def scheduled_list(
        ctx: Any,
        paginationOpts: dict[str, Any],
        state: str | None = None,
    ) -> dict[str, Any]:
        query = ctx.db.system.query(scheduler.TABLE)
        if state:
            query = query.with_index("by_state_time", lambda q: q.eq("state.kind", state))
        return await query.order("desc").paginate(paginationOpts)

    @internal_mutation(args={"id": v.string()}, returns=v.null())
    async def scheduled_cancel(ctx: Any, id: str) -> None:
        await ctx.scheduler.cancel(id)

    @internal_query(args={})
    async def scheduled_crons(ctx: Any) -> list[dict[str, Any]]:
        jobs = runtime.app.crons.jobs if runtime.app.crons is not None else {}
        txn = _txn(ctx)
        kept = crons.TABLE in txn.db.catalog.tables  # made when the cron runner first starts
        out = []
        for name, job in sorted(jobs.items()):
            state = (txn.first_by_index(crons.TABLE, "by_name", name) if kept else None) or {}
            target = job.function
            out.append(
                {
                    "name": name,
                    "function": target if isinstance(target, str) else getattr(target, "path", ""),
                    "schedule": job.describe(),
                    "nextRun": state.get("nextRun"),
                    "lastRun": state.get("lastRun"),
                }
            )
        return out

    register("scheduled:list", scheduled_list)
    register("scheduled:cancel", scheduled_cancel)
    register("scheduled:crons", scheduled_crons)

    # --- files -------------------------------------------------------------------------
    @internal_query(args={"paginationOpts": v.pagination_opts()})
    async def files_list(
        ctx: Any,
        paginationOpts: dict[str, Any],
    ) -> dict[str, Any]:
        page = await ctx.db.system.query(storage.TABLE).order("desc").paginate(paginationOpts)
        page["page"] = [{**doc, "url": runtime.storage.url_for(doc["_id"])} for doc in page["page"]]
        return page

    @internal_mutation(args={"storageId": v.string()}, returns=v.null())
    async def files_delete(ctx: Any, storageId: str) -> None:
        await ctx.storage.delete(storageId)

    register("files:list", files_list)
    register("files:delete", files_delete)

    # --- logs and health ---------------------------------------------------------------
    @internal_action(
        args={
            "after": v.optional(v.number()),
            "wait": v.optional(v.boolean()),
            "limit": v.optional(v.number()),
        }
    )
    async def logs_tail(
        ctx: Any, after: float | None = None, wait: bool = False, limit: float = 500
    ) -> dict[str, Any]:
        start = runtime.executions.last_seq - int(limit) if after is None else int(after)
        runs = await asyncio.to_thread(
            runtime.executions.after,
            max(start, 0),
            LOG_WAIT_S if wait else 0.0,
            int(limit),
        )
        # why: the tail's own runs would fill the log it reads
        shown = [run.to_json() for run in runs if not run.path.startswith(PREFIX)]
        cursor = runs[-1].seq if runs else max(start, 0)
        return {"entries": shown, "cursor": cursor}

    @internal_action(args={})
    async def health_get(ctx: Any) -> dict[str, Any]:
        return health.report(runtime)

    register("logs:tail", logs_tail)
    register("health:get", health_get)
    return found
