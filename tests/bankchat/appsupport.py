"""A bankchat runtime with the demo users, and calls as one of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bankchat import demo, service
from bankchat.cli import APP
from livebase import Runtime

ADMIN, ANALYST, TELLER, AUDITOR = (
    "admin@bank.example",
    "analyst@bank.example",
    "teller@bank.example",
    "auditor@bank.example",
)


def bank_runtime(
    bank_sqlite: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> Iterator[Runtime]:
    """A bankchat deployment over the test bank database, with the demo users."""
    monkeypatch.setenv("BANKCHAT_DB_PATH", str(bank_sqlite))
    monkeypatch.delenv("BANKCHAT_DATA_URL", raising=False)
    monkeypatch.delenv("BANKCHAT_LLM", raising=False)
    monkeypatch.setattr(service, "_shared", None)
    runtime = Runtime(APP, data_dir)
    demo.seed(runtime)
    yield runtime
    runtime.close()


def as_user(runtime: Runtime, email: str) -> dict[str, Any]:
    return demo.identity_of(runtime, email)


def ask(runtime: Runtime, email: str, question: str, **extra: Any) -> dict[str, Any]:
    return asyncio.run(
        runtime.run_action(
            "chat:ask", {"question": question, **extra}, identity=as_user(runtime, email)
        )
    )


def q(runtime: Runtime, email: str, path: str, args: dict[str, Any] | None = None) -> Any:
    return runtime.run_query(path, args or {}, identity=as_user(runtime, email)).value


def m(runtime: Runtime, email: str, path: str, args: dict[str, Any] | None = None) -> Any:
    return runtime.run_mutation(path, args or {}, identity=as_user(runtime, email)).value
