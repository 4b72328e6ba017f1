"""The question-to-rows pipeline: engine, guard, read-only run, chart spec.

Every SQL, whether an engine wrote it, a person typed or edited it, or a favorite saved it,
goes through the same guard with the caller's policy before it reaches the bank database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlglot

from bankchat.nl.engine import EngineContext, engine_from_env
from bankchat.nl.llm import LlmError
from bankchat.nl.offline import NotUnderstood
from bankchat.nl.semantic import SemanticLayer, load_layer
from bankchat.sql.executor import BankDatabase, BankQueryError
from bankchat.sql.explain import Explainer, load_display
from bankchat.sql.guard import GuardedSql, GuardError, Policy, SqlGuard

CACHED_ROWS = 50  # rows kept with the assistant's message
MAX_ROWS = 1000


@dataclass
class AskResult:
    """What a question (or a SQL) produced; the shape ``chat:ask`` and the CLI return."""

    question: str | None
    sql: str | None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    row_count: int = 0
    truncated: bool = False
    engine: str | None = None
    explanation: str | None = None
    error: str | None = None
    denied: bool = False
    not_understood: bool = False
    tables: list[str] = field(default_factory=list)
    execution_ms: float | None = None
    chart: dict[str, Any] | None = None
    # the bank's words for the answer: a title, kind and unit per column, what the SQL
    # computes phrase by phrase, and what a reader should know before trusting the rows
    column_info: list[dict[str, Any]] = field(default_factory=list)
    interpretation: list[dict[str, str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    # two plausible readings that give different answers: {"label", "sql"} each, for the
    # asker to choose from instead of an answer picked for them
    choices: list[dict[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.denied:
            return "denied"
        if self.not_understood:
            return "not_understood"
        if self.choices:
            return "ambiguous"
        return "error" if self.error else "success"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status
        return out


def chart_for(
    columns: list[str], rows: list[list[Any]], info: list[dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """A declarative chart spec when the result is a grouping or a time series (titled with
    the columns' labels when ``info`` gives them)."""
    if len(columns) < 2 or len(rows) < 2 or len(rows) > 200:
        return None
    x, y = columns[0], columns[-1]
    if not all(isinstance(r[-1], int | float) and not isinstance(r[-1], bool) for r in rows):
        return None
    if any(isinstance(r[0], int | float) for r in rows) and x.endswith("_id"):
        return None
    label = str(rows[0][0])
    time_like = x in ("year", "month", "date", "day") or (
        label[:2] in ("19", "20") and len(label) in (4, 7, 10)
    )
    x_label = info[0]["label"] if info else x
    y_label = info[-1]["label"] if info else y
    return {
        "type": "line" if time_like else "bar",
        "x": x,
        "y": y,
        "title": f"{y_label} by {x_label[:1].lower() + x_label[1:]}",
        "xLabel": x_label,
        "yLabel": y_label,
    }


def _add_convention(result: AskResult, text: str) -> None:
    """One more convention line in an answer's interpretation, where the explainer puts the
    conventions it is given: before the role's scope and the row cap."""
    lines = result.interpretation
    at = next((i for i, line in enumerate(lines) if line["part"] in ("scope", "cap")), len(lines))
    lines.insert(at, {"part": "convention", "text": text})


class BankChat:
    """The pipeline over one bank database."""

    def __init__(
        self, data_url: str, engine: Any = None, layer: SemanticLayer | None = None
    ) -> None:
        self.db = BankDatabase(data_url)
        self.layer = layer or load_layer()
        # why: the guard lets one row more through than is shown, so a cut result says so
        self.guard = SqlGuard(self.db.tables(), self.db.dialect, row_limit=MAX_ROWS + 1)
        self.engine = engine or engine_from_env()
        self.schema_text = self.layer.describe()
        self.explainer = Explainer(
            load_display(self.layer.value_meanings).with_districts(self._district_names())
        )

    def _district_names(self) -> dict[str, str]:
        """District number -> name, for showing district columns by name (empty if the bank
        database cannot be read)."""
        try:
            rows = self.db.run("SELECT district_id, A2 FROM district", max_rows=500).rows
        except BankQueryError:
            return {}
        return {str(number): str(name) for number, name in rows}

    # --- questions ---------------------------------------------------------------------
    def ask(
        self,
        question: str,
        policy: Policy,
        examples: list[tuple[str, str]] | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> AskResult:
        """Answer a plain-language question for a caller with ``policy``."""
        context = EngineContext(
            schema_text=self.schema_text,
            dialect=self.db.dialect,
            examples=examples or [],
            check=lambda sql: self._refusal(sql, policy),
            history=history or [],
            hidden_columns=policy.denied_columns,
        )
        try:
            translation = self.engine.translate(question, context)
        except NotUnderstood as exc:
            return AskResult(
                question,
                None,
                error=exc.reason,
                not_understood=True,
                engine=getattr(self.engine, "name", None),
            )
        except LlmError as exc:
            return AskResult(
                question,
                None,
                error=f"The language model is unavailable: {exc}",
                engine=getattr(self.engine, "name", None),
            )
        sql = translation.sql
        if translation.engine == "offline" and self.db.dialect != "sqlite":
            sql = sqlglot.transpile(sql, read="sqlite", write=self.db.dialect)[0]
        notes = list(getattr(translation, "notes", []))
        readings = list(getattr(translation, "alternatives", []))
        if readings and translation.engine == "offline" and self.db.dialect != "sqlite":
            readings = [
                (label, sqlglot.transpile(alt, read="sqlite", write=self.db.dialect)[0])
                for label, alt in readings
            ]
        result = self.run_sql(sql, policy, question=question, notes=notes)
        if len(readings) > 1:
            # why: the first reading is the SQL just run; only the others run again, to compare
            others = [self.run_sql(alt, policy, question=question) for _, alt in readings[1:]]
            if all(t.status == "success" for t in [result, *others]):
                labels = " or ".join(label for label, _ in readings)
                if any(t.rows != result.rows for t in others):
                    return AskResult(
                        question,
                        None,
                        error=f"Did you mean {labels}? The answers differ.",
                        engine=translation.engine,
                        choices=[{"label": label, "sql": alt} for label, alt in readings],
                    )
                _add_convention(result, f"the same answer whether {labels} is meant")
        result.engine = translation.engine
        # why: the engine's own wording speaks its vocabulary; the summary of the checked SQL
        # speaks the bank's, and a fallback's note (which engine answered, why) is kept
        note = translation.explanation.partition(" (answered by the ")
        summary = result.explanation or translation.explanation
        result.explanation = summary + (f" (answered by the {note[2]}" if note[1] else "")
        words = getattr(translation, "words", [])
        filler = getattr(translation, "filler", [])
        if words:
            read = "; ".join(f"'{text}' as {meaning}" for text, meaning in words)
            result.interpretation.insert(0, {"part": "words", "text": read})
        if filler:
            result.interpretation.insert(
                1 if words else 0,
                {"part": "filler", "text": ", ".join(f"'{w}'" for w in filler)},
            )
        return result

    def _refusal(self, sql: str, policy: Policy) -> str | None:
        try:
            self.guard.check(sql, policy)
        except GuardError as exc:
            return exc.reason
        return None

    # --- SQL -----------------------------------------------------------------------------
    def run_sql(
        self,
        sql: str,
        policy: Policy,
        question: str | None = None,
        notes: list[str] | None = None,
    ) -> AskResult:
        """Guard and run SQL for a caller with ``policy``."""
        try:
            guarded = self.guard.check(sql, policy)
        except GuardError as exc:
            return AskResult(question, sql, error=self._refusal_text(exc, policy), denied=True)
        scopes = [
            f"limited to {policy.row_labels.get(t) or f'the rows of {t} your role may read'}"
            for t in guarded.restricted
        ]
        try:
            interpretation = self.explainer.interpret(
                guarded.qualified, row_limit=guarded.row_limit - 1, scopes=scopes, notes=notes
            )
        except Exception:
            interpretation = [{"part": "query", "text": "(this SQL could not be explained)"}]
        started = time.perf_counter()
        try:
            outcome = self.db.run(guarded.sql, max_rows=guarded.row_limit - 1)
        except BankQueryError as exc:
            return AskResult(
                question,
                sql,
                error=exc.message,
                tables=list(guarded.tables),
                execution_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        columns = list(outcome.columns)
        try:
            info = [c.to_dict() for c in self.explainer.columns(guarded.qualified, columns)]
        except Exception:
            info = [{"name": c, "label": c, "kind": "text"} for c in columns]
        result = AskResult(
            question,
            sql,
            columns=columns,
            rows=outcome.rows,
            row_count=len(outcome.rows),
            truncated=outcome.truncated,
            tables=list(guarded.tables),
            execution_ms=round(outcome.elapsed_ms, 2),
            chart=chart_for(columns, outcome.rows, info),
            column_info=info,
            interpretation=interpretation,
        )
        result.flags = self._flags(result, guarded, policy, scopes)
        result.explanation = self.explainer.summary(interpretation)
        return result

    def _refusal_text(self, exc: GuardError, policy: Policy) -> str:
        """A role refusal that says what is not allowed, in the bank's words, and why."""
        if exc.code == "column_denied" and exc.subject:
            label = self.explainer.display.column(exc.subject)[0].lower()
            table = self.explainer.display.singular(exc.subject.split(".")[0])
            return (
                f"Not allowed: your role ({policy.name}) may not read the {table}'s {label} "
                f"({exc.subject}). Ask without it, or ask an administrator for access."
            )
        if exc.code == "table_denied" and exc.subject:
            return (
                f"Not allowed: your role ({policy.name}) may not read "
                f"{self.explainer.display.plural(exc.subject)} (the table {exc.subject}). "
                "Ask an administrator for access."
            )
        return exc.reason

    def _flags(
        self, result: AskResult, guarded: GuardedSql, policy: Policy, scopes: list[str]
    ) -> list[str]:
        """What a reader should know before trusting the rows."""
        flags = []
        if not result.rows:
            flags.append("No rows match: the answer is empty, not zero.")
        if result.truncated:
            flags.append(f"Only the first {len(result.rows):,} rows are shown; there are more.")
        for i, info in enumerate(result.column_info):
            if result.rows and all(row[i] is None for row in result.rows):
                flags.append(f"'{info['label']}' is empty (no value) in every row.")
        tie = self._tie_at_cutoff(result, guarded, policy)
        if tie:
            flags.append(tie)
        for scope in scopes:
            flags.append(
                f"Your role sees only part of the data: {scope.removeprefix('limited to ')}."
            )
        return flags

    def _tie_at_cutoff(self, result: AskResult, guarded: GuardedSql, policy: Policy) -> str | None:
        """When a top-k list cut between rows with the same sort value, say so."""
        tree = guarded.qualified
        if not isinstance(tree, sqlglot.exp.Select) or not result.rows:
            return None
        limit = tree.args.get("limit")
        order = tree.args.get("order")
        value = getattr(limit, "expression", None) if limit is not None else None
        if order is None or not isinstance(value, sqlglot.exp.Literal) or not value.is_int:
            return None
        n = int(value.name)
        if n != len(result.rows) or n >= guarded.row_limit - 1:
            return None
        key = order.expressions[0].this
        names = [e.alias_or_name for e in tree.expressions]
        position = next(
            (
                i
                for i, e in enumerate(tree.expressions)
                if e.alias_or_name == key.alias_or_name
                or (e.this if isinstance(e, sqlglot.exp.Alias) else e) == key
            ),
            None,
        )
        if position is None:
            return None
        wider = tree.copy().limit(n + 1, copy=False)
        try:
            again = self.guard.check(wider.sql(dialect=self.db.dialect), policy)
            rows = self.db.run(again.sql, max_rows=n + 1).rows
        except (GuardError, BankQueryError):
            return None
        if len(rows) > n and rows[n][position] == rows[n - 1][position]:
            label = result.column_info[position]["label"] if result.column_info else names[position]
            return (
                f"Tie at the cut-off: the next row has the same {label} as row {n} "
                f"({rows[n][position]}), so the top {n} is one choice among equals."
            )
        return None


_shared: BankChat | None = None
_lock = threading.Lock()


def shared() -> BankChat:
    """The process's pipeline over the configured bank database (built on first use)."""
    global _shared
    with _lock:
        if _shared is None:
            from bankchat.bankdb.load import data_url

            _shared = BankChat(data_url())
        return _shared
