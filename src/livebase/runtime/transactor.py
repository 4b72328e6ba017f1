"""What services may use of a runtime: transactions, function lookup and calls.

Services (storage, the scheduler, crons, auth) are written against this protocol, never against
a Runtime, so that they see only the operations they need.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from livebase.engine.database import Database
from livebase.engine.transaction import Transaction
from livebase.runtime.app import App
from livebase.runtime.core import JobGuard, MutationResult
from livebase.runtime.deployment import Deployment
from livebase.runtime.functions import FunctionDefinition

T = TypeVar("T")


class Transactor(Protocol):
    """The runtime as the services see it."""

    db: Database
    app: App
    origin: str
    data_dir: Path
    deployment: Deployment  # the deployment's secrets
    peers: bool  # other server processes serve the same deployment
    scheduler_wakeup: Callable[[], None]

    def transact(self, work: Callable[[Transaction], T], readonly: bool = False) -> tuple[T, int]:
        """Run ``work`` in a serializable transaction (re-run on conflict); its result and the
        commit timestamp."""
        ...

    async def in_writer(self, call: Callable[[], T]) -> T:
        """``call()`` on the writer thread, awaited from the event loop."""
        ...

    async def transact_async(
        self, work: Callable[[Transaction], T], readonly: bool = False
    ) -> tuple[T, int]:
        """``transact`` on a worker thread, awaited from the event loop."""
        ...

    def function(
        self, path: Any, kind: str | None = None, internal_ok: bool = False
    ) -> FunctionDefinition:
        """The function at a path, checked for kind and visibility."""
        ...

    def call_in_transaction(
        self, txn: Transaction, function: Any, args: dict[str, Any] | None
    ) -> Any:
        """Run a mutation's handler inside a transaction the caller commits."""
        ...

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
        """Run a mutation on the writer thread."""
        ...

    async def run_action(
        self,
        path: Any,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
    ) -> Any:
        """Run an action."""
        ...
