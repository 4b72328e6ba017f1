"""What a checked SQL query computes, in the bank's words: column titles and the interpretation.

Everything here reads the SQL's syntax tree (qualified by the guard: every column tied to its
table, stars expanded), so it explains SQL from any source alike: the offline engine's, a
model's, or SQL a person typed or edited. Titles, units and the meanings of coded values come
from the display data (``bankchat/nl/display.json``), never from code.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

DISPLAY_DATA = Path(__file__).resolve().parents[1] / "nl" / "display.json"

_AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Count: "count",
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
}
_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "is",
    exp.NEQ: "is not",
    exp.GT: "over",
    exp.GTE: "at least",
    exp.LT: "under",
    exp.LTE: "at most",
}
_YEAR_FORMATS = {"%Y": "year", "%Y-%m": "month", "%m": "month of the year"}


@dataclass
class ColumnInfo:
    """One result column: its SQL name, the title shown, how to show its values."""

    name: str
    label: str
    kind: str = "text"  # id | text | code | date | money | number | percent | count
    unit: str | None = None
    source: str | None = None  # table.column it shows, when it shows one
    values: dict[str, str] = field(default_factory=dict)  # code -> meaning

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Display:
    """Titles, kinds and value meanings of the bank database (the display data)."""

    def __init__(self, data: dict[str, Any], value_meanings: dict[str, dict[str, str]]):
        self.currency: str = data.get("currency", "")
        self.tables: dict[str, tuple[str, str]] = {
            t.lower(): (names[0], names[1]) for t, names in data["tables"].items()
        }
        self.columns: dict[str, tuple[str, str]] = {
            k.lower(): (v[0], v[1]) for k, v in data["columns"].items()
        }
        self.aggregates: dict[str, str] = data["aggregates"]
        self.conventions: dict[str, str] = {k.lower(): v for k, v in data["conventions"].items()}
        self.values = {k.lower(): v for k, v in value_meanings.items()}
        # district number -> name, when the bank database has been read (``with_districts``)
        self.districts: dict[str, str] = {}

    def with_districts(self, names: dict[str, str]) -> Display:
        self.districts = dict(names)
        return self

    def column(self, qualified: str) -> tuple[str, str]:
        found = self.columns.get(qualified.lower())
        if found is not None:
            return found
        return qualified.split(".")[-1].replace("_", " ").capitalize(), "text"

    def plural(self, table: str) -> str:
        return self.tables.get(table.lower(), (table, table + "s"))[1]

    def singular(self, table: str) -> str:
        return self.tables.get(table.lower(), (table, table))[0]


def load_display(value_meanings: dict[str, dict[str, str]]) -> Display:
    return Display(json.loads(DISPLAY_DATA.read_text(encoding="utf-8")), value_meanings)


# --- tracing expressions to the columns they show ------------------------------------------


def _outer_select(tree: exp.Expression) -> exp.Select | None:
    node = tree
    while isinstance(node, exp.Subquery):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _source_column(column: exp.Column, scope: Scope | None) -> str | None:
    """``table.column`` a column reference reads, followed through subqueries and CTEs."""
    depth = 0
    while scope is not None and depth < 8:
        depth += 1
        source = scope.sources.get(column.table) if column.table else None
        if source is None and not column.table and len(scope.selected_sources) == 1:
            source = next(iter(scope.selected_sources.values()))[1]
        if isinstance(source, exp.Table):
            return f"{source.name.lower()}.{column.name.lower()}"
        if isinstance(source, Scope):
            inner = source.expression
            if not isinstance(inner, exp.Select):
                return None
            match = next((e for e in inner.expressions if e.alias_or_name == column.name), None)
            if match is None:
                return None
            target = match.this if isinstance(match, exp.Alias) else match
            if not isinstance(target, exp.Column):
                return None
            column, scope = target, source
            continue
        return None
    return None


def _main_table(select: exp.Select, scope: Scope | None) -> str | None:
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None or scope is None:
        return None
    this = from_.this
    if isinstance(this, exp.Table):
        return this.name.lower()
    inner = _derived(select)
    if inner is not None:  # "SELECT COUNT(*) FROM (SELECT DISTINCT loan.loan_id ...)": loans
        return _main_table(inner, build_scope(inner))
    return None


def _derived(select: exp.Select) -> exp.Select | None:
    """The select a query reads as its only source, when it reads one derived table and
    nothing else ("SELECT COUNT(*) FROM (SELECT DISTINCT ...) AS records")."""
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None or select.args.get("joins") or not isinstance(from_.this, exp.Subquery):
        return None
    inner = from_.this.this
    return inner if isinstance(inner, exp.Select) else None


class Explainer:
    """Titles and interpretation for SQL over one database."""

    def __init__(self, display: Display) -> None:
        self.display = display

    # --- result columns --------------------------------------------------------------------
    def columns(self, tree: exp.Expression | None, names: list[str]) -> list[ColumnInfo]:
        """A ``ColumnInfo`` per result column (``names``: what the database returned)."""
        select = _outer_select(tree) if tree is not None else None
        scope = build_scope(select) if select is not None else None
        out: list[ColumnInfo] = []
        projections = list(select.expressions) if select is not None else []
        for i, name in enumerate(names):
            node = projections[i] if i < len(projections) else None
            info = self._column(node, name, select, scope) if node is not None else None
            out.append(info or ColumnInfo(name, _humanize(name)))
        return out

    def _column(
        self, node: exp.Expression, name: str, select: exp.Select | None, scope: Scope | None
    ) -> ColumnInfo | None:
        body = node.this if isinstance(node, exp.Alias) else node
        body = _unwrap(body)
        figure = _FIGURES.get(node.alias_or_name.lower())
        if figure is not None:
            return self._info(name, *figure)
        rate = self._per_people(body, name, select, scope)
        if rate is not None:
            return rate
        if isinstance(body, exp.Subquery) and isinstance(body.this, exp.Select):
            # a value a query of its own finds ("(SELECT picked.A3 FROM (...) AS picked)")
            query = body.this
            if len(query.expressions) == 1:
                return self._column(query.expressions[0], name, query, build_scope(query))
        if isinstance(body, exp.Column):
            source = _source_column(body, scope)
            if source is None:
                return None
            label, kind = self._label(source, select)
            return self._info(name, label, kind, source)
        agg = _AGGREGATES.get(type(body))
        if agg is not None:
            inner = _unwrap(body.this) if body.this is not None else None
            if isinstance(inner, exp.Distinct):
                inner = _unwrap(inner.expressions[0]) if inner.expressions else None
            if agg == "count":
                table = None
                if isinstance(inner, exp.Column):
                    source = _source_column(inner, scope)
                    table = source.split(".")[0] if source else None
                    named = source.split(".")[1][:-3] if source and source.endswith("_id") else ""
                    if named in self.display.tables:
                        table = named
                    if source and not source.endswith("_id"):
                        label, _ = self.display.column(source)
                        return self._info(name, f"Number of {label.lower()} values", "count")
                if table is None and select is not None:
                    table = _main_table(select, scope)
                plural = self.display.plural(table) if table else "rows"
                return self._info(name, f"Number of {plural}", "count")
            if isinstance(inner, exp.Column):
                source = _source_column(inner, scope)
                if source is not None:
                    label, kind = self._label(source, select)
                    title = self.display.aggregates[agg].format(label=label.lower())
                    if agg in ("sum", "avg") and kind not in ("money", "percent"):
                        kind = "number"
                    return self._info(name, title, kind, None)
            return None
        if isinstance(body, exp.TimeToStr | exp.StrToTime):
            fmt = body.args.get("format")
            part = _YEAR_FORMATS.get(fmt.name if isinstance(fmt, exp.Literal) else "")
            inner = _unwrap(body.this)
            if part and isinstance(inner, exp.Column):
                source = _source_column(inner, scope)
                label = self.display.column(source)[0] if source else _humanize(name)
                return self._info(name, f"{label} ({part})", "text")
        return None

    def _per_people(
        self, body: Any, name: str, select: exp.Select | None, scope: Scope | None
    ) -> ColumnInfo | None:
        """``1000.0 * COUNT(*) / (inhabitants)`` reads as "Clients per 1,000 inhabitants":
        a figure times a round number, over a district's (or a region's) inhabitants."""
        if not isinstance(body, exp.Div) or "A4" not in body.expression.sql().upper():
            return None
        times = _unwrap(body.this)
        if not isinstance(times, exp.Mul) or not isinstance(times.this, exp.Literal):
            return None
        try:
            scale = int(float(times.this.name))
        except ValueError:
            return None
        figure = self._column(times.expression, name, select, scope)
        if figure is None:
            return None
        label = figure.label.removeprefix("Number of ")
        title = f"{label[:1].upper()}{label[1:]} per {scale:,} inhabitants"
        return self._info(name, title, "number")

    def _label(self, source: str, select: exp.Select | None) -> tuple[str, str]:
        """A column's title and kind; a balance read from each account's latest transaction
        is its current balance."""
        label, kind = self.display.column(source)
        current = _CURRENT.get(source)
        if current is not None and select is not None:
            table = source.split(".")[0]
            where = select.args.get("where")
            scope = build_scope(select)
            if where is not None and any(
                (self._latest_row(c, scope) or ("", ""))[0] == table for c in _conjuncts(where.this)
            ):
                return current, kind
        return label, kind

    def _latest_row(self, node: exp.Expression, scope: Scope | None) -> tuple[str, str] | None:
        """(table, grouping table) when ``node`` keeps only the latest row of a table per
        grouping record: ``trans.trans_id = (SELECT l.trans_id FROM trans AS l WHERE
        l.account_id = trans.account_id ORDER BY l.date DESC, ... LIMIT 1)``."""
        node = _unwrap(node)
        if not isinstance(node, exp.EQ):
            return None
        column, query = node.left, _unwrap(node.right)
        if isinstance(column, exp.Subquery):
            column, query = query, column
        if not (isinstance(column, exp.Column) and isinstance(query, exp.Subquery)):
            return None
        inner = query.this
        source = _source_column(column, scope)
        if not isinstance(inner, exp.Select) or source is None or _limit_of(inner) != 1:
            return None
        table = source.split(".")[0]
        inner_scope = build_scope(inner)
        order = inner.args.get("order")
        where = inner.args.get("where")
        if _tables_read(inner) != [table] or order is None or where is None:
            return None
        first = order.expressions[0]
        newest = _unwrap(first.this)
        if not (
            first.args.get("desc")
            and isinstance(newest, exp.Column)
            and self.display.column(_source_column(newest, inner_scope) or "")[1] == "date"
        ):
            return None
        for eq in _conjuncts(where.this):
            eq = _unwrap(eq)
            left, right = (eq.left, eq.right) if isinstance(eq, exp.EQ) else (None, None)
            if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                name = left.name.lower()
                if (
                    name == right.name.lower()
                    and left.table != right.table
                    and name.endswith("_id")
                ):
                    return table, name[:-3]
        return None

    def _info(self, name: str, label: str, kind: str, source: str | None = None) -> ColumnInfo:
        unit = self.display.currency if kind == "money" else None
        values = self.display.values.get(source or "", {}) if kind == "code" else {}
        if source is not None and source.endswith(".district_id") and self.display.districts:
            # a district number is shown by its name (the number stays in CSV's code column)
            kind, values = "code", self.display.districts
        return ColumnInfo(name, label, kind, unit, source, dict(values))

    # --- interpretation --------------------------------------------------------------------
    def interpret(
        self,
        tree: exp.Expression | None,
        *,
        row_limit: int | None = None,
        scopes: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> list[dict[str, str]]:
        """What the SQL computes, one ``{"part", "text"}`` line per clause or convention."""
        select = _outer_select(tree) if tree is not None else None
        lines: list[dict[str, str]] = []
        if select is None:
            if tree is not None:
                lines.append({"part": "query", "text": "A combined query (UNION or similar)"})
            return lines
        scope = build_scope(select)
        tables = _tables_read(select)
        if tables:
            names = [self.display.plural(t) for t in tables]
            lines.append({"part": "reads", "text": _join_words(names)})
        aggregates = []
        for node in select.expressions:
            body = _unwrap(node.this if isinstance(node, exp.Alias) else node)
            if type(body) in _AGGREGATES or node.alias_or_name.lower() in _COMPUTED:
                info = self._column(node, node.alias_or_name, select, scope)
                if info is not None:
                    aggregates.append(info.label)
        if aggregates:
            lines.append({"part": "computes", "text": "; ".join(aggregates)})
        conventions: list[str] = []
        # (a query over one derived table and no conditions of its own is filtered by that
        # table's: "SELECT COUNT(*), AVG(...) FROM (SELECT DISTINCT ... WHERE ...)")
        inner = _derived(select) if select.args.get("where") is None else None
        filtered = inner if inner is not None else select
        filtered_scope = build_scope(inner) if inner is not None else scope
        where = filtered.args.get("where")
        for join in filtered.args.get("joins") or []:
            on = join.args.get("on")
            if on is not None:
                conventions.extend(self._join_conventions(on, filtered_scope))
        if where is not None:
            for condition in _conjuncts(where.this):
                text, convention = self._condition(condition, filtered_scope, filtered)
                if convention:
                    conventions.append(convention)
                elif text:
                    lines.append({"part": "filter", "text": text})
            conventions.extend(self._join_conventions(where.this, filtered_scope))
        group = select.args.get("group")
        if group is not None:
            labels = [self._expr_label(e, scope, select) for e in group.expressions]
            lines.append({"part": "group", "text": "one row per " + _join_words(labels)})
            having = select.args.get("having")
            for condition in _conjuncts(having.this) if having is not None else []:
                lines.append({"part": "filter", "text": self._kept(condition, scope, select)})
        if select.args.get("distinct") is not None:
            lines.append({"part": "distinct", "text": "each distinct row once"})
        order = select.args.get("order")
        if order is not None:
            parts = []
            for ordered in order.expressions:
                label = self._expr_label(ordered.this, scope, select)
                node = _unwrap(ordered.this)
                info = self._column(node, node.sql(), select, scope)
                if info is not None and info.kind == "date":
                    direction = "latest" if ordered.args.get("desc") else "earliest"
                else:
                    direction = "highest" if ordered.args.get("desc") else "lowest"
                missing = ""
                if ordered.args.get("nulls_first") is False and not ordered.args.get("desc"):
                    missing = " (those without one last)"
                parts.append(f"{label}, {direction} first{missing}")
            lines.append({"part": "order", "text": "sorted by " + "; then ".join(parts)})
        limit = _limit_of(select)
        if limit is not None:
            lines.append(
                {
                    "part": "limit",
                    "text": f"only the first {limit:,}" if limit != 1 else "only the top one",
                }
            )
        for convention in dict.fromkeys(conventions):
            lines.append({"part": "convention", "text": convention})
        for note in notes or []:
            lines.append({"part": "convention", "text": note})
        for scope_text in scopes or []:
            lines.append({"part": "scope", "text": scope_text})
        no_table = select.args.get("from_") is None and select.args.get("from") is None
        one_row = (bool(aggregates) and group is None) or no_table
        if row_limit is not None and not one_row and (limit is None or limit > row_limit):
            lines.append({"part": "cap", "text": f"at most {row_limit:,} rows are shown"})
        return lines

    def summary(self, lines: list[dict[str, str]]) -> str | None:
        """One sentence of what the answer is, from the interpretation's lines."""
        by_part: dict[str, list[str]] = {}
        for line in lines:
            by_part.setdefault(line["part"], []).append(line["text"])
        for name in ("percentage", "difference"):
            formula = next(
                (c for c in by_part.get("convention", []) if c.startswith(f"{name} = ")), None
            )
            if formula is not None:
                return f"{name.capitalize()}: " + formula.removeprefix(f"{name} = ")
        head = "; ".join(by_part.get("computes", [])) or _capital(
            "; ".join(by_part.get("reads", []))
        )
        if not head:
            return None
        parts = [head]
        parts.extend(by_part.get("group", []))
        if by_part.get("filter"):
            parts.append("where " + "; ".join(f[:1].lower() + f[1:] for f in by_part["filter"]))
        parts.extend(o.split("; then")[0] for o in by_part.get("order", [])[:1])
        parts.extend(by_part.get("limit", []))
        return ", ".join(parts)

    def _join_conventions(self, condition: exp.Expression, scope: Scope | None) -> list[str]:
        out = []
        for eq in condition.find_all(exp.EQ):
            for side in (eq.left, eq.right):
                if isinstance(side, exp.Column):
                    source = _source_column(side, scope)
                    text = self.display.conventions.get(source or "")
                    if text and (
                        isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Column)
                    ):
                        out.append(text)
        return out

    def _kept(self, condition: exp.Expression, scope: Scope | None, select: exp.Select) -> str:
        """A HAVING conjunct in words ("only the groups whose number of loans is over 40")."""
        node: Any = _unwrap(condition)
        verb = _COMPARISONS.get(type(node))
        if verb is not None:
            label = self._expr_label(node.left, scope, select)
            verb = verb if verb.startswith("is") else f"is {verb}"
            return f"only the groups whose {label} {verb} {_unwrap(node.right).sql()}"
        return f"only the groups where {node.sql()}"

    def _condition(
        self, condition: exp.Expression, scope: Scope | None, select: exp.Select
    ) -> tuple[str, str | None]:
        """A WHERE conjunct in words, or the convention it stands for."""
        negated = False
        node = condition
        if isinstance(node, exp.Not):
            negated, node = True, node.this
        node = _unwrap(node)
        if isinstance(node, exp.Paren):
            node = node.this
        kind = type(node)
        latest = None if negated else self._latest_row(node, scope)
        if latest is not None:
            table, per = latest
            what = _capital(self.display.singular(table))
            return f"{what}: each {self.display.singular(per)}'s latest", None
        if kind in _COMPARISONS and isinstance(node, exp.Binary):
            left, right = node.left, node.right
            if isinstance(left, exp.Literal) and not isinstance(right, exp.Literal):
                left, right = right, left
            source, label, part = self._described(left, scope)
            if isinstance(right, exp.Literal) and source:
                key = f"{source}={right.name}".lower()
                if kind is exp.EQ and key in self.display.conventions and not negated:
                    return "", self.display.conventions[key]
            verb = _COMPARISONS[kind]
            if negated:
                verb = {"is": "is not", "is not": "is"}.get(verb, f"not {verb}")
            if part:
                label = f"{label} ({part})"
            return f"{label} {verb} {self._value(right, source, scope, select)}", None
        if isinstance(node, exp.Between):
            source, label, part = self._described(node.this, scope)
            low = self._value(node.args["low"], source, scope, select)
            high = self._value(node.args["high"], source, scope, select)
            if part:
                label = f"{label} ({part})"
            return f"{label} {'not ' if negated else ''}between {low} and {high}", None
        if isinstance(node, exp.In):
            source, label, _ = self._described(node.this, scope)
            query = node.args.get("query")
            if query is not None:
                inner = query.this if isinstance(query, exp.Subquery) else query
                where = inner.args.get("where") if isinstance(inner, exp.Select) else None
                if where is not None:
                    # "account.district_id IN (SELECT district_id FROM district WHERE
                    # A3 = 'Prague')" reads as "Branch district: region is 'Prague'"
                    read = [
                        self._condition(c, build_scope(inner), inner)
                        for c in _conjuncts(where.this)
                    ]
                    # (a convention inside, "owners only", is said with the conventions)
                    parts = [text for text, convention in read if text or not convention]
                    if parts and all(parts):
                        said = "; ".join(p[:1].lower() + p[1:] for p in parts)
                        return f"{label}{' not' if negated else ''}: {said}", None
                return f"{label} {'not ' if negated else ''}in a sub-query's results", None
            values = [self._value(v, source, scope, select) for v in node.expressions]
            return (
                f"{label} {'is not' if negated else 'is'} one of {_join_words(values, 'or')}",
                None,
            )
        if isinstance(node, exp.Like):
            _, label, _ = self._described(node.this, scope)
            return (
                f"{label} {'does not match' if negated else 'matches'} {node.expression.sql()}",
                None,
            )
        if isinstance(node, exp.Is):
            _, label, _ = self._described(node.this, scope)
            return f"{label} is {'known' if negated else 'missing'}", None
        if isinstance(node, exp.Exists):
            tables = _tables_read(node.this) if isinstance(node.this, exp.Select) else []
            what = _join_words([self.display.plural(t) for t in tables]) or "matching rows"
            return f"{'has no' if negated else 'has'} {what}", None
        if isinstance(node, exp.Or):
            parts = [self._condition(c, scope, select)[0] for c in _disjuncts(node)]
            return ("either " + _join_words(parts, "or")) if all(parts) else node.sql(), None
        return ("not " if negated else "") + node.sql(), None

    def _described(self, node: Any, scope: Scope | None) -> tuple[str | None, str, str]:
        """(source column, its title, the date part compared) of a compared expression."""
        node = _unwrap(node)
        part = ""
        if isinstance(node, exp.TimeToStr):
            fmt = node.args.get("format")
            part = _YEAR_FORMATS.get(fmt.name if isinstance(fmt, exp.Literal) else "", "")
            node = _unwrap(node.this)
        if isinstance(node, exp.Column):
            source = _source_column(node, scope)
            if source:
                return source, self.display.column(source)[0], part
        looked_up = self._looked_up(node, scope) or self._counted(node) or self._age(node, scope)
        if looked_up is not None:
            return None, looked_up, part
        return None, node.sql(), part

    def _age(self, node: Any, scope: Scope | None) -> str | None:
        """An age in full years computed from a birth date ("Age in full years when granted",
        "Age in full years on 1998-01-01")."""
        if not isinstance(node, exp.Sub):
            return None
        columns = [_source_column(c, scope) for c in node.find_all(exp.Column)]
        if "client.birth_date" not in columns or "'%m-%d'" not in node.sql():
            return None
        moments = {c for c in columns if c and c != "client.birth_date"}
        if len(moments) == 1:
            label = self.display.column(moments.pop())[0]
            return f"Age in full years when {label[:1].lower()}{label[1:]}".removesuffix(" on")
        dates = {
            lit.name
            for lit in node.find_all(exp.Literal)
            if re.fullmatch(r"\d{4}-\d\d-\d\d", lit.name)
        }
        if not moments and len(dates) == 1:
            return f"Age in full years on {dates.pop()}"
        return None

    def _counted(self, node: Any) -> str | None:
        """A count of each row's related records: ``(SELECT COUNT(*) FROM client WHERE
        client.district_id = district.district_id)`` reads as "Number of clients"."""
        inner = node.this if isinstance(node, exp.Subquery) else None
        if not isinstance(inner, exp.Select) or len(inner.expressions) != 1:
            return None
        count = _unwrap(inner.expressions[0].unalias())
        tables = _tables_read(inner)
        if not isinstance(count, exp.Count) or not tables or inner.args.get("where") is None:
            return None
        counted = count.this
        if isinstance(counted, exp.Distinct) and len(counted.expressions) == 1:
            column = _source_column(_unwrap(counted.expressions[0]), build_scope(inner))
            if column is not None:
                label = self.display.column(column)[0].lower()
                return f"Number of different {label}s of its {self.display.plural(tables[0])}"
            return None
        return f"Number of its {self.display.plural(tables[0])}"

    def _looked_up(self, node: Any, scope: Scope | None) -> str | None:
        """A value looked up by a key of the outer row: ``(SELECT home.A3 FROM district AS home
        WHERE home.district_id = client.district_id)`` reads as "Home district's region"."""
        inner = node.this if isinstance(node, exp.Subquery) else None
        where = inner.args.get("where") if isinstance(inner, exp.Select) else None
        if not isinstance(inner, exp.Select) or where is None or len(inner.expressions) != 1:
            return None
        key = _unwrap(where.this)
        wanted = _unwrap(inner.expressions[0].unalias())
        if not isinstance(key, exp.EQ) or not isinstance(wanted, exp.Column):
            return None
        inner_scope = build_scope(inner)
        looked = _source_column(wanted, inner_scope)
        sides = [_unwrap(key.left), _unwrap(key.right)]
        inner_names = {t.alias_or_name for t in inner.find_all(exp.Table)}
        outer = [c for c in sides if isinstance(c, exp.Column) and c.table not in inner_names]
        if looked is None or len(outer) != 1:
            return None
        by = _source_column(outer[0], scope)
        if by is None:
            return None
        return f"{self.display.column(by)[0]}'s {self.display.column(looked)[0].lower()}"

    def _picked(self, select: exp.Select) -> str | None:
        """ "the one with the highest loan amount" for a record a query of its own picks out:
        ``(SELECT picked.x FROM (SELECT ... ORDER BY amount DESC LIMIT 1) AS picked)``."""
        source = select.args.get("from_") or select.args.get("from")
        derived = source.this if source is not None else None
        inner = derived.this if isinstance(derived, exp.Subquery) else None
        order = inner.args.get("order") if isinstance(inner, exp.Select) else None
        if not isinstance(inner, exp.Select) or order is None or _limit_of(inner) != 1:
            return None
        first = order.expressions[0]
        node = _unwrap(first.this)
        info = self._column(node, node.sql(), inner, build_scope(inner))
        if info is None:
            return None
        if info.kind == "date":
            word = "latest" if first.args.get("desc") else "earliest"
        else:
            word = "highest" if first.args.get("desc") else "lowest"
        return f"the one with the {word} {info.label.lower()}"

    def _expr_label(self, node: exp.Expression, scope: Scope | None, select: exp.Select) -> str:
        node = _unwrap(node)
        if isinstance(node, exp.Column) and not node.table:
            for projection in select.expressions:
                if projection.alias_or_name == node.name:
                    info = self._column(projection, node.name, select, scope)
                    if info is not None:
                        return info.label.lower()
        info = self._column(node, node.sql(), select, scope)
        if info is not None:
            return info.label.lower()
        return node.sql()

    def _value(self, node: Any, source: str | None, scope: Scope | None, select: exp.Select) -> str:
        node = _unwrap(node)
        if isinstance(node, exp.Column) or self._looked_up(node, scope) is not None:
            # another column of the row ("Home district is not Branch district")
            compared, label, _ = self._described(node, scope)
            if compared is not None or not label.startswith("("):
                return label
        if isinstance(node, exp.Literal):
            label, kind = self.display.column(source) if source else ("", "text")
            if kind == "code":
                meaning = self.display.values.get(source or "", {}).get(node.name)
                if meaning:
                    return f'"{meaning}" ({node.name})'
            if not node.is_string and kind in ("money", "number", "count", "id"):
                try:
                    number = float(node.name)
                except ValueError:
                    return node.name
                shown = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
                return f"{shown} {self.display.currency}" if kind == "money" else shown
            return f"'{node.name}'" if node.is_string else node.name
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
            inner = node.this
            picked = self._picked(inner)
            if picked is not None:
                return picked
            if len(inner.expressions) == 1:
                body = _unwrap(inner.expressions[0].unalias())
                agg = _AGGREGATES.get(type(body))
                inner_scope = build_scope(inner)
                if agg in ("avg", "max", "min", "sum") and isinstance(
                    _unwrap(body.this), exp.Column
                ):
                    src = _source_column(_unwrap(body.this), inner_scope)
                    if (
                        src
                        and agg == "avg"
                        and any(t.alias_or_name == "latest" for t in inner.find_all(exp.Table))
                    ):
                        # (an average over each account's latest transaction)
                        return "the average of every account's current balance"
                    if src:
                        label = self.display.column(src)[0].lower()
                        word = {
                            "avg": "the average",
                            "max": "the highest",
                            "min": "the lowest",
                            "sum": "the total",
                        }[agg]
                        if agg == "avg" and label.startswith("average "):
                            word = "the overall average of the"  # (of an average itself)
                        return f"{word} {label}" + (
                            " (of the rows it selects)" if inner.args.get("where") else ""
                        )
            return "a computed value"
        moved = _moved_by_percent(node)
        if moved is not None:
            # "the average monthly payment plus 10%": ``(SELECT AVG(...)) * (100 + 10) / 100.0``
            base, word, percent = moved
            return f"{self._value(base, source, scope, select)} {word} {percent}%"
        if isinstance(node, exp.Add | exp.Sub) and isinstance(
            _unwrap(node.expression), exp.Literal
        ):
            word = "plus" if isinstance(node, exp.Add) else "minus"
            left = self._value(node.this, source, scope, select)
            return f"{left} {word} {self._value(node.expression, source, scope, select)}"
        return node.sql()


# --- helpers ---------------------------------------------------------------------------------

# columns read from a table's latest row per record, and what the bank calls them
_CURRENT = {"trans.balance": "Current balance"}


def _unwrap(node: Any) -> Any:
    while isinstance(
        node, exp.Cast | exp.Round | exp.Paren | exp.Abs | exp.TsOrDsToTimestamp | exp.TsOrDsToDate
    ):
        node = node.this
    return node


def _moved_by_percent(node: Any) -> tuple[Any, str, str] | None:
    """``x * (100 + 10) / 100.0`` -> (x, "plus", "10"); None for any other shape."""
    if not isinstance(node, exp.Div):
        return None
    divisor = _unwrap(node.expression)
    if isinstance(divisor, exp.Nullif):
        divisor = _unwrap(divisor.this)
    times = _unwrap(node.this)
    if not isinstance(divisor, exp.Literal) or not isinstance(times, exp.Mul):
        return None
    change = _unwrap(times.expression)
    if not isinstance(change, exp.Add | exp.Sub) or float(divisor.name) != 100:
        return None
    hundred, percent = _unwrap(change.this), _unwrap(change.expression)
    if not (isinstance(hundred, exp.Literal) and isinstance(percent, exp.Literal)):
        return None
    if float(hundred.name) != 100:
        return None
    return times.this, "plus" if isinstance(change, exp.Add) else "minus", percent.name


def _conjuncts(node: Any) -> list[exp.Expression]:
    node = node.this if isinstance(node, exp.Paren) and isinstance(node.this, exp.And) else node
    if isinstance(node, exp.And):
        return [*_conjuncts(node.left), *_conjuncts(node.right)]
    return [node]


def _disjuncts(node: Any) -> list[exp.Expression]:
    node = node.this if isinstance(node, exp.Paren) and isinstance(node.this, exp.Or) else node
    if isinstance(node, exp.Or):
        return [*_disjuncts(node.left), *_disjuncts(node.right)]
    return [node]


def _tables_read(select: exp.Select) -> list[str]:
    seen: dict[str, None] = {}
    for table in select.find_all(exp.Table):
        if isinstance(table.parent, exp.Column):
            continue
        seen[table.name.lower()] = None
    return list(seen)


def _limit_of(select: exp.Select) -> int | None:
    limit = select.args.get("limit")
    if limit is None:
        return None
    value = limit.expression
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.name)
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# figures named by their alias: title and kind
_FIGURES = {
    "percent": ("Percentage", "percent"),
    "percentage": ("Percentage", "percent"),
    "share": ("Percentage", "percent"),
    "pct": ("Percentage", "percent"),
    "difference": ("Difference", "number"),
    "percent_change": ("Change (%)", "percent"),
    "ratio": ("Ratio", "number"),
    "age": ("Age (years)", "number"),  # ages in full years, from birth dates
    "average_age": ("Average age (years)", "number"),
    "current_balance": ("Current balance", "money"),
    "duration_years": ("Duration (years)", "number"),  # a loan's months / 12
    "average_duration_years": ("Average duration (years)", "number"),
    "days": ("Days since the account was opened", "number"),
    "average_days": ("Average days since the account was opened", "number"),
}
# the ones the interpretation says are computed ("share" and "pct", a model's aliases, are
# titled but not said to be computed)
_COMPUTED = frozenset(_FIGURES) - {"share", "pct"}


def _humanize(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def _join_words(words: list[str], last: str = "and") -> str:
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]
