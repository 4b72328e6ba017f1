"""The SQL guard: every SQL statement, from a model, a person or a saved favorite, passes here.

It parses (never keyword-matches) with sqlglot in the target database's dialect and refuses
anything but one read-only query; it resolves every table reference, through CTEs, subqueries
and aliases, and checks it and every column against the caller's role; it enforces the role's
row conditions by rewriting each reference to a restricted table into a filtered subquery; and
it caps the rows returned. The result is the SQL to run, in the same dialect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

DEFAULT_ROW_LIMIT = 1000
# Size bounds on what is analysed: sqlglot's parser recurses per nesting level and its scope
# analysis is quadratic in expression depth, so an oversized statement is refused up front
# (deterministically and fast) rather than crashing or tying the process up for minutes.
MAX_SQL_CHARS = 20_000
MAX_TREE_NODES = 5_000
MAX_TREE_DEPTH = 200

# Statements and clauses that write, change the schema, or reach outside the database.
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "TruncateTable",
        "Command",
        "Pragma",
        "Attach",
        "Detach",
        "Copy",
        "Into",
        "Transaction",
        "Commit",
        "Rollback",
        "Set",
        "Use",
        "Grant",
        "Revoke",
        "LoadData",
        "Analyze",
        "Kill",
        "Describe",
        "Show",
        "Cache",
        "Uncache",
        "Refresh",
        "Export",
        "Lock",
    )
    if hasattr(exp, name)
)
# Functions that sleep, read or write files, load code, or reveal the server.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        "sleep",
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        "benchmark",
        "load_file",
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "lo_import",
        "lo_export",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "dblink",
        "dblink_exec",
        "copy",
        "sys_exec",
        "sys_eval",
        "xp_cmdshell",
        "randomblob",
        "zeroblob",
        "sqlite_version",
        "version",
        "current_user",
        "user",
        "database",
        "pg_backend_pid",
        "get_lock",
        "release_lock",
        "master_pos_wait",
        "sqlite_compileoption_get",
        "sqlite_compileoption_used",
        "sqlite_source_id",
        "unlikely_sleep",
        "txid_current",
        "set_config",
        "current_setting",
        "inet_server_addr",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "lo_get",
        "query_to_xml",
        "database_to_xml",
        # PostgreSQL functions that run SQL given as a string, or read a whole table by name,
        # out of the guard's sight.
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "table_to_xml",
        "table_to_xmlschema",
        "table_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "schema_to_xml",
        "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema",
        "database_to_xmlschema",
        "database_to_xml_and_xmlschema",
        "ts_stat",
        "ts_rewrite",
        # PostgreSQL functions that write (sequences, large objects, files) or signal.
        "nextval",
        "setval",
        "lo_create",
        "lo_creat",
        "lo_unlink",
        "lo_put",
        "lo_from_bytea",
        "pg_file_write",
        "pg_notify",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_advisory_lock_shared",
        "pg_try_advisory_lock",
    }
)
SYSTEM_SCHEMAS = frozenset(
    {
        "information_schema",
        "pg_catalog",
        "mysql",
        "performance_schema",
        "sys",
        "sqlite_temp_master",
        "main",
        "temp",
    }
)
SYSTEM_TABLE_PREFIXES = ("sqlite_", "pg_")
# SQLite's table-valued PRAGMA functions (pragma_table_info(...), pragma_database_list).
SYSTEM_FUNCTION_PREFIXES = ("pragma_",)
# Dialects whose databases match column names (not table names or aliases) case-insensitively
# although sqlglot treats every identifier there as case-sensitive.
CASE_INSENSITIVE_COLUMNS = frozenset({"mysql"})


class GuardError(Exception):
    """A statement the guard refuses; ``reason`` says why in words a user can act on."""

    def __init__(self, reason: str, code: str = "refused", subject: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subject = subject  # the table or ``table.column`` refused, for a role refusal


@dataclass(frozen=True)
class Policy:
    """What a role may read: tables, columns, and row conditions per table.

    ``allowed_tables`` None means every table of the schema. ``row_filters`` maps a table to a
    SQL condition over that table's own columns (``district_id = 3``, or a subquery on
    another table), which every read of the table is rewritten to respect.
    """

    name: str = "default"
    allowed_tables: frozenset[str] | None = None
    denied_tables: frozenset[str] = frozenset()
    denied_columns: frozenset[tuple[str, str]] = frozenset()
    row_filters: Mapping[str, str] = field(default_factory=dict)
    # what each table's row condition means, in words ("accounts of your branch, Prague")
    row_labels: Mapping[str, str] = field(default_factory=dict)

    def may_read(self, table: str) -> bool:
        if table in self.denied_tables:
            return False
        return self.allowed_tables is None or table in self.allowed_tables


@dataclass(frozen=True)
class GuardedSql:
    """A statement the guard accepted: the SQL to run and what it reads."""

    sql: str
    tables: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    row_limit: int
    # the statement as written, every column tied to its table (for explaining it)
    qualified: exp.Expression | None = field(default=None, compare=False, repr=False)
    # the tables whose rows the role's row conditions restricted
    restricted: tuple[str, ...] = ()


class SqlGuard:
    """Checks and rewrites SQL for one database schema and dialect."""

    def __init__(
        self,
        schema: Mapping[str, Iterable[str]],
        dialect: str = "sqlite",
        row_limit: int = DEFAULT_ROW_LIMIT,
    ) -> None:
        self.dialect = dialect
        self.row_limit = row_limit
        self.columns = {t.lower(): [c.lower() for c in cols] for t, cols in schema.items()}
        mapping: dict[str, object] = {
            t: {c: "TEXT" for c in cols} for t, cols in self.columns.items()
        }
        # why: building sqlglot's schema object normalizes every name; once, not per check
        self._schema = MappingSchema(mapping, dialect=dialect)
        self._conditions: dict[str, exp.Expression] = {}

    # --- the checks, in order --------------------------------------------------------------
    def check(self, sql: str, policy: Policy, row_limit: int | None = None) -> GuardedSql:
        """The SQL to run for ``policy``, or GuardError saying why not."""
        try:
            return self._check(sql, policy, row_limit)
        except GuardError:
            raise
        except RecursionError:
            # why: a backstop; _parse already bounds nesting, but sqlglot recurses throughout.
            raise GuardError("The SQL is nested too deeply", "too_complex") from None
        except Exception as exc:
            # why: sqlglot's analysis can fail on odd SQL with an internal error (an assertion,
            # a KeyError); what cannot be checked is refused, never passed on or crashed on.
            raise GuardError(
                f"The SQL could not be checked ({type(exc).__name__}); rephrase it",
                "unsupported",
            ) from None

    def _check(self, sql: str, policy: Policy, row_limit: int | None) -> GuardedSql:
        policy = _lowercased(policy)
        tree = self._parse(sql)
        self._refuse_writes_and_side_effects(tree)
        # why: the checks read a fully qualified copy (stars expanded, every column tied to
        # its table); the SQL that runs keeps the user's own names and aliases.
        qualified = self._qualify(tree.copy())
        tables, columns = self._reads(qualified)
        for table in sorted(tables):
            if table not in self.columns:
                raise GuardError(f"Unknown table {table!r}", "unknown_table")
            if not policy.may_read(table):
                raise GuardError(
                    f"Your role ({policy.name}) may not read the table {table!r}",
                    "table_denied",
                    table,
                )
        for table, column in sorted(columns):
            if (table, column) in policy.denied_columns:
                raise GuardError(
                    f"Your role ({policy.name}) may not read the column {table}.{column}",
                    "column_denied",
                    f"{table}.{column}",
                )
        tree = self._apply_row_filters(tree, policy)
        limit = self.row_limit if row_limit is None else min(row_limit, self.row_limit)
        tree = self._cap_rows(tree, limit)
        # why: the tree was parsed for this check alone, so the generator may mutate it rather
        # than deep-copy it first (a copy is a sixth of a check's time)
        return GuardedSql(
            tree.sql(dialect=self.dialect, copy=False),
            tuple(sorted(tables)),
            tuple(sorted(columns)),
            limit,
            qualified,
            tuple(sorted(tables & {t.lower() for t in policy.row_filters})),
        )

    def _parse(self, sql: str) -> exp.Expression:
        if not isinstance(sql, str) or not sql.strip():
            raise GuardError("The SQL is empty", "empty")
        if len(sql) > MAX_SQL_CHARS:
            raise GuardError(
                f"The SQL is too long ({len(sql)} characters; at most {MAX_SQL_CHARS})",
                "too_complex",
            )
        try:
            statements = [s for s in sqlglot.parse(sql, read=self.dialect) if s is not None]
        except RecursionError:
            raise GuardError("The SQL is nested too deeply", "too_complex") from None
        except TokenError as exc:  # an unterminated string or quoted name
            raise GuardError(f"The SQL does not parse: {exc}", "parse_error") from None
        except ParseError as exc:
            first = exc.errors[0]["description"] if exc.errors else str(exc)
            raise GuardError(f"The SQL does not parse: {first}", "parse_error") from None
        if not statements:
            raise GuardError("The SQL holds no statement (only comments or semicolons)", "empty")
        if len(statements) != 1:
            raise GuardError(
                f"Exactly one statement is allowed (found {len(statements)})", "multiple_statements"
            )
        tree = statements[0]
        if not isinstance(tree, exp.Query):
            raise GuardError(
                f"Only queries (SELECT) are allowed, not {tree.key.upper()}", "not_a_query"
            )
        checked = cast(exp.Expression, tree)
        _refuse_oversized(checked)
        return checked

    def _refuse_writes_and_side_effects(self, tree: exp.Expression) -> None:
        for node in tree.walk():
            if isinstance(node, _FORBIDDEN_NODES):
                raise GuardError(
                    f"{node.key.upper()} is not allowed: queries only read", "write_refused"
                )
            if isinstance(node, exp.CTE) and node.alias_or_name.lower() in self.columns:
                # why: the row conditions name tables (``account_id IN (SELECT account_id
                # FROM account ...)``); a CTE of a table's name would stand in for the table
                # inside them, and inside every rewritten reference, and void the condition.
                raise GuardError(
                    f"A WITH query may not take a table's name ({node.alias_or_name!r})",
                    "cte_shadows_table",
                )
            if isinstance(node, exp.Select) and not node.expressions:
                # why: sqlglot accepts a bare SELECT and would hand back SQL no database runs
                raise GuardError("The SELECT names nothing to return", "parse_error")
            if isinstance(node, exp.Func):
                name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
                if name in FORBIDDEN_FUNCTIONS:
                    raise GuardError(f"The function {name}() is not allowed", "function_refused")
                if name.startswith(SYSTEM_FUNCTION_PREFIXES):
                    raise GuardError("System catalogs may not be read", "catalog_refused")
            if isinstance(node, exp.Table):
                self._refuse_catalog(node)

    def _refuse_catalog(self, table: exp.Table) -> None:
        name = table.name.lower()
        schema = (table.db or "").lower()
        catalog = (table.catalog or "").lower()
        if schema or catalog:
            if schema in SYSTEM_SCHEMAS or catalog in SYSTEM_SCHEMAS:
                raise GuardError("System catalogs may not be read", "catalog_refused")
            raise GuardError(
                f"Tables are named without a schema ({schema}.{name})", "schema_refused"
            )
        if (
            name.startswith(SYSTEM_TABLE_PREFIXES + SYSTEM_FUNCTION_PREFIXES)
            or name in SYSTEM_SCHEMAS
        ):
            raise GuardError("System catalogs may not be read", "catalog_refused")

    def _qualify(self, tree: exp.Expression) -> exp.Expression:
        if self.dialect in CASE_INSENSITIVE_COLUMNS:
            _fold_column_names(tree)
        try:
            return qualify(
                tree,
                schema=self._schema,
                dialect=self.dialect,
                expand_stars=True,
                validate_qualify_columns=True,
                quote_identifiers=False,
                identify=False,
            )
        except OptimizeError as exc:
            raise GuardError(
                f"The SQL refers to something that does not exist: {exc}", "unknown_column"
            ) from None

    def _reads(self, tree: exp.Expression) -> tuple[set[str], set[tuple[str, str]]]:
        """Every real table read, and every (table, column) referenced, through all scopes."""
        tables: set[str] = set()
        columns: set[tuple[str, str]] = set()

        def whole_row(source: exp.Table | Scope | None) -> None:
            # why: a whole-row reference (PostgreSQL ``SELECT c FROM client c``,
            # ``row_to_json(c)``, ``to_json(c.*)``) reads every column of the table.
            if isinstance(source, exp.Table):
                table = source.name.lower()
                columns.update((table, c) for c in self.columns.get(table, ()))

        for scope in traverse_scope(tree):
            for found in scope.sources.values():
                if isinstance(found, exp.Table):
                    tables.add(found.name.lower())
            for column in scope.columns:
                source_name = column.table
                source = _resolve_source(scope, source_name)
                if isinstance(source, exp.Table):
                    columns.add((source.name.lower(), column.name.lower()))
                elif source is None and source_name:
                    raise GuardError(f"Unknown table or alias {source_name!r}", "unknown_table")
            for table_column in scope.table_columns:
                whole_row(_resolve_source(scope, table_column.name))
            for node in scope.walk():
                if not isinstance(node, exp.Column):
                    continue
                if isinstance(node.this, exp.Star):
                    if not node.table:
                        for _, source in scope.selected_sources.values():
                            whole_row(source)
                    else:
                        whole_row(_resolve_source(scope, node.table))
                elif not node.table:
                    # why: a name left unqualified was taken for an output alias, but inside an
                    # expression (``SELECT gender AS birth_date ... ORDER BY birth_date || ''``)
                    # SQLite and PostgreSQL read the table's column of that name.
                    name = node.name.lower()
                    for _, source in scope.selected_sources.values():
                        if isinstance(source, exp.Table):
                            table = source.name.lower()
                            if name in self.columns.get(table, ()):
                                columns.add((table, name))
        return tables, columns

    def _condition(self, text: str) -> exp.Expression:
        """A row filter parsed once (policies repeat), handed out as a fresh copy."""
        cached = self._conditions.get(text)
        if cached is None:
            cached = cast(exp.Expression, sqlglot.parse_one(text, read=self.dialect))
            if len(self._conditions) < 1024:
                self._conditions[text] = cached
        return cached.copy()

    def _apply_row_filters(self, tree: exp.Expression, policy: Policy) -> exp.Expression:
        if not policy.row_filters:
            return tree
        filters = {t.lower(): cond for t, cond in policy.row_filters.items()}

        def restrict(node: exp.Expression) -> exp.Expression:
            if not isinstance(node, exp.Table) or node.name.lower() not in filters:
                return node
            if isinstance(node.parent, exp.Table | exp.Column):
                return node
            name = node.name.lower()
            condition = self._condition(filters[name])
            table = exp.Table(this=exp.to_identifier(name, quoted=True))
            inner = (
                exp.Select(expressions=[exp.Star()])
                .from_(table, copy=False)
                .where(condition, copy=False)
            )
            # why: the alias keeps the user's own spelling and quoting (and any column
            # aliases), so references to it resolve exactly as before, case-folding included.
            alias = node.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.this:
                alias = alias.copy()
            else:
                alias = exp.TableAlias(this=node.this.copy())
            subquery = exp.Subquery(this=inner, alias=alias)
            joins = node.args.get("joins")
            if joins:
                # why: in a parenthesized join, ``(account a JOIN loan l ON ...)``, the joins
                # hang on the first table; they move with it, and are restricted in turn.
                subquery.set("joins", [join.transform(restrict) for join in joins])
            return subquery

        # why: the tree was parsed for this check alone, so it is rewritten in place
        return tree.transform(restrict, copy=False)

    def _cap_rows(self, tree: exp.Expression, limit: int) -> exp.Expression:
        if isinstance(tree, exp.Select):
            current = tree.args.get("limit")
            # why: FETCH FIRST n ROWS keeps its count in ``count``, LIMIT in ``expression``
            count = current.args.get("count") if isinstance(current, exp.Fetch) else None
            value = _literal_int(count or (current.expression if current is not None else None))
            if value is None or value > limit:
                return tree.limit(limit, copy=False)
            return tree
        wrapped = exp.select("*").from_(
            exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("capped_result")))
        )
        return wrapped.limit(limit)


def _lowercased(policy: Policy) -> Policy:
    """The policy with its table and column names lower-cased, as the guard compares names
    (a role that denies ``district.A12`` must not be matched against ``a12`` and miss)."""
    allowed = policy.allowed_tables
    return replace(
        policy,
        allowed_tables=None if allowed is None else frozenset(t.lower() for t in allowed),
        denied_tables=frozenset(t.lower() for t in policy.denied_tables),
        denied_columns=frozenset((t.lower(), c.lower()) for t, c in policy.denied_columns),
    )


def _resolve_source(scope: Scope, name: str) -> exp.Table | Scope | None:
    """The source ``name`` refers to in ``scope``, or in an enclosing scope (a correlated
    reference such as ``EXISTS (SELECT 1 FROM loan l WHERE l.account_id = a.account_id)``)."""
    current: Scope | None = scope
    while current is not None:
        found = current.sources.get(name)
        if found is not None:
            return found
        current = current.parent
    return None


def _fold_column_names(tree: exp.Expression) -> None:
    """Lower-case every column name (and column alias) in ``tree``, in place, leaving table
    names, table aliases and column qualifiers as written (MySQL matches those exactly)."""
    for ident in tree.find_all(exp.Identifier):
        parent = ident.parent
        if isinstance(parent, exp.Table):
            continue
        if isinstance(parent, exp.TableAlias) and ident.arg_key == "this":
            continue
        if isinstance(parent, exp.Column) and ident.arg_key != "this":
            continue
        ident.set("this", ident.this.lower())


def _refuse_oversized(tree: exp.Expression) -> None:
    """GuardError if the tree has too many nodes or nests too deeply to analyse quickly."""
    stack: list[tuple[exp.Expression, int]] = [(tree, 0)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_TREE_NODES or depth > MAX_TREE_DEPTH:
            raise GuardError(
                "The SQL is too large or nested too deeply to check; simplify it",
                "too_complex",
            )
        stack.extend((child, depth + 1) for child in node.iter_expressions())


def _literal_int(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    return None


def scope_tables(scope: Scope) -> list[str]:
    """The real tables a scope reads directly (for diagnostics)."""
    return [s.name for s in scope.sources.values() if isinstance(s, exp.Table)]
