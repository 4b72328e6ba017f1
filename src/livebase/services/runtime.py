"""The runtime with its services installed: what ``livebase.Runtime`` is."""

from __future__ import annotations

from typing import Any

from livebase.engine.transaction import Transaction
from livebase.runtime.core import BaseRuntime
from livebase.services import scheduler
from livebase.services.storage import ActionStorage, StorageReader, StorageService, StorageWriter


class Runtime(BaseRuntime):
    """An app bound to its database, with file storage and the scheduler.

    ``Runtime(app, data_dir)`` opens (or creates) the deployment's SQLite database in
    ``data_dir``; see BaseRuntime for the options.
    """

    storage: StorageService

    def _install_services(self, max_upload: int) -> None:
        self.db.ensure_system_table(scheduler.TABLE, scheduler.INDEXES)
        self.storage = StorageService(self, self.deployment, max_upload)

    def _query_services(self, txn: Transaction) -> Any:
        return StorageReader(self.storage, txn)

    def _mutation_services(self, txn: Transaction) -> tuple[Any, Any]:
        return StorageWriter(self.storage, txn), scheduler.Scheduler(self, txn)

    def _action_services(self) -> tuple[Any, Any]:
        return ActionStorage(self.storage), scheduler.Scheduler(self, None)
