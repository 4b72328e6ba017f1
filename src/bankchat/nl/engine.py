"""The one interface every question-to-SQL engine shares, and the choice of engine.

An engine turns a plain-language question into one SQL query (a ``Translation``) or raises
``NotUnderstood`` saying why it cannot. It never runs the SQL: the caller passes the SQL through
the guard before anything touches the database, whatever the engine (field notes, "Running SQL
that a model wrote": the guard, not the prompt, is the boundary).

Engines:

- ``OfflineAdapter``: the deterministic offline engine; no model, no network.
- ``OpenAIChatEngine`` / ``GeminiEngine`` (``bankchat.nl.llm``): a language model over HTTP.
- ``FallbackEngine``: a model first, the offline engine when the model cannot be reached.

``engine_from_env`` picks one from the ``BANKCHAT_LLM*`` environment variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bankchat.nl.llm import GeminiEngine, LlmError, OpenAIChatEngine
from bankchat.nl.offline import NotUnderstood, OfflineEngine, Translation

__all__ = [
    "Engine",
    "EngineContext",
    "FallbackEngine",
    "OfflineAdapter",
    "engine_from_env",
]

DEFAULT_OPENAI_URL = "https://api.openai.com"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_GEMINI_URL = "https://generativelanguage.googleapis.com"
DEFAULT_GEMINI_MODEL = "gemini-1.5-flash"


@dataclass
class EngineContext:
    """What an engine may use besides the question.

    ``schema_text``: the database description for prompts (``SemanticLayer.describe()``).
    ``dialect``: the SQL dialect to write ("sqlite", "postgres", "mysql").
    ``examples``: similar saved favorites, question -> SQL.
    ``check``: returns an error message when the guard refuses the SQL or a dry run fails, else
    None. Model engines use it to ask for one repair and never return SQL that failed it.
    ``history``: earlier question -> SQL turns of this conversation, for follow-up questions.
    ``hidden_columns``: (table, column) pairs the asker's role may not read; columns an engine
    adds by default leave them out.

    Result rows never belong here: they are not sent to a model.
    """

    schema_text: str
    dialect: str = "sqlite"
    examples: list[tuple[str, str]] = field(default_factory=list)
    check: Callable[[str], str | None] | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    hidden_columns: frozenset[tuple[str, str]] = frozenset()


@runtime_checkable
class Engine(Protocol):
    """Turns a question into one SQL query; raises ``NotUnderstood`` when it cannot."""

    name: str

    def translate(self, question: str, context: EngineContext) -> Translation: ...


class OfflineAdapter:
    """The offline engine behind the shared interface (it needs nothing from the context)."""

    name = "offline"

    def __init__(self, engine: OfflineEngine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> OfflineEngine:
        if self._engine is None:  # loading the semantic layer waits until it is needed
            self._engine = OfflineEngine()
        return self._engine

    def translate(self, question: str, context: EngineContext) -> Translation:
        # why: an example whose question is this one (a correction an administrator made, or
        # a saved favorite) is the team's answer; the guard still checks it for this caller
        asked = _plain(question)
        for example_question, sql in context.examples:
            if _plain(example_question) == asked:
                return Translation(
                    sql,
                    "Answered with the team's saved answer to this question",
                    self.name,
                    notes=["answered with a team example (a saved or corrected answer)"],
                )
        translation = self.engine.translate(question, context.hidden_columns)
        translation.engine = self.name
        return translation


def _plain(question: str) -> str:
    """A question compared without case, punctuation or repeated spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", question.lower()).split())


class FallbackEngine:
    """Ask ``primary`` (a model); when it cannot be reached or fails, ask ``fallback``.

    Falls back on ``LlmError`` (network errors, timeouts, refused key, rate limits, server
    errors, unreadable answers). A ``NotUnderstood`` from the primary is its answer and is
    raised as is. ``Translation.engine`` names the engine that answered; when the fallback
    answered, its explanation says why, and ``last_error`` keeps the model's error.
    """

    def __init__(self, primary: Engine, fallback: Engine | None = None) -> None:
        self.primary = primary
        self.fallback: Engine = fallback if fallback is not None else OfflineAdapter()
        self.name = f"{primary.name}+{self.fallback.name}"
        self.last_error: LlmError | None = None

    def translate(self, question: str, context: EngineContext) -> Translation:
        try:
            translation = self.primary.translate(question, context)
        except LlmError as error:
            self.last_error = error
        else:
            self.last_error = None
            return translation
        note = f"the language model was unavailable ({self.last_error})"
        try:
            translation = self.fallback.translate(question, context)
        except NotUnderstood as not_understood:
            raise NotUnderstood(
                f"{not_understood.reason}; {note}", not_understood.unknown
            ) from not_understood
        translation.explanation = (
            f"{translation.explanation} (answered by the {self.fallback.name} engine: {note})"
        )
        return translation


def engine_from_env(env: Mapping[str, str] = os.environ) -> Engine:
    """The engine the environment asks for.

    ``BANKCHAT_LLM``: unset, empty or "offline" -> the offline engine (no key, no network);
    "openai" -> ``OpenAIChatEngine`` (any OpenAI-compatible chat-completions server);
    "gemini" -> ``GeminiEngine``; "auto" -> a model wrapped in ``FallbackEngine`` when
    ``BANKCHAT_LLM_KEY`` is set, else the offline engine. For "auto" the provider is
    ``BANKCHAT_LLM_PROVIDER`` ("openai" or "gemini") if set, else Gemini when the key or URL looks
    like Google's, else OpenAI.
    ``BANKCHAT_LLM_URL``, ``BANKCHAT_LLM_KEY``, ``BANKCHAT_LLM_MODEL``: base URL, API key, model.
    ``BANKCHAT_LLM_TIMEOUT``: seconds per request (default 30).
    """
    choice = (env.get("BANKCHAT_LLM") or "offline").strip().lower()
    key = env.get("BANKCHAT_LLM_KEY") or None
    if choice == "offline":
        return OfflineAdapter()
    if choice == "auto":
        if not key:
            return OfflineAdapter()
        provider = (env.get("BANKCHAT_LLM_PROVIDER") or "").strip().lower()
        if not provider:
            url = env.get("BANKCHAT_LLM_URL") or ""
            google = key.startswith("AIza") or "generativelanguage" in url
            provider = "gemini" if google else "openai"
        return FallbackEngine(_model_engine(provider, key, env), OfflineAdapter())
    if choice in ("openai", "gemini"):
        return _model_engine(choice, key, env)
    raise ValueError(f"BANKCHAT_LLM={choice!r} is not one of: offline, openai, gemini, auto")


def _model_engine(provider: str, key: str | None, env: Mapping[str, str]) -> Engine:
    timeout_text = env.get("BANKCHAT_LLM_TIMEOUT") or "30"
    try:
        timeout = float(timeout_text)
    except ValueError:
        raise ValueError(f"BANKCHAT_LLM_TIMEOUT={timeout_text!r} is not a number") from None
    url = env.get("BANKCHAT_LLM_URL") or None
    model = env.get("BANKCHAT_LLM_MODEL") or None
    if provider == "openai":
        # no key is allowed: local OpenAI-compatible servers (Ollama, vLLM) often need none
        return OpenAIChatEngine(
            base_url=url or DEFAULT_OPENAI_URL,
            api_key=key,
            model=model or DEFAULT_OPENAI_MODEL,
            timeout=timeout,
        )
    if provider == "gemini":
        if not key:
            raise ValueError("BANKCHAT_LLM=gemini needs an API key in BANKCHAT_LLM_KEY")
        return GeminiEngine(
            base_url=url or DEFAULT_GEMINI_URL,
            api_key=key,
            model=model or DEFAULT_GEMINI_MODEL,
            timeout=timeout,
        )
    raise ValueError(f"BANKCHAT_LLM_PROVIDER={provider!r} is not one of: openai, gemini")
