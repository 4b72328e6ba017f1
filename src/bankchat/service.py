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
from bankchat.sql.guard import GuardError, Policy, SqlGuard

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

    @property
    def status(self) -> str:
        if self.denied:
            return "denied"
        if self.not_understood:
            return "not_understood"
        return "error" if self.error else "success"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status
        return out


def chart_for(columns: list[str], rows: list[list[Any]]) -> dict[str, Any] | None:
    """A declarative chart spec when the result is a grouping or a time series."""
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
    return {"type": "line" if time_like else "bar", "x": x, "y": y, "title": f"{y} by {x}"}


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
        result = self.run_sql(sql, policy, question=question)
        result.engine = translation.engine
        result.explanation = translation.explanation
        return result

    def _refusal(self, sql: str, policy: Policy) -> str | None:
        try:
            self.guard.check(sql, policy)
        except GuardError as exc:
            return exc.reason
        return None

    # --- SQL -----------------------------------------------------------------------------
    def run_sql(self, sql: str, policy: Policy, question: str | None = None) -> AskResult:
        """Guard and run SQL for a caller with ``policy``."""
        try:
            guarded = self.guard.check(sql, policy)
        except GuardError as exc:
            return AskResult(question, sql, error=exc.reason, denied=True)
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
        return AskResult(
            question,
            sql,
            columns=list(outcome.columns),
            rows=outcome.rows,
            row_count=len(outcome.rows),
            truncated=outcome.truncated,
            tables=list(guarded.tables),
            execution_ms=round(outcome.elapsed_ms, 2),
            chart=chart_for(list(outcome.columns), outcome.rows),
        )


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
