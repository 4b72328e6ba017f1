"""The runtime with its services installed: what ``livebase.Runtime`` is."""

from __future__ import annotations

from typing import Any

from livebase.engine.transaction import Transaction
from livebase.runtime.core import BaseRuntime
from livebase.services import scheduler
from livebase.services.blobs import open_blob_store
from livebase.services.storage import ActionStorage, StorageReader, StorageService, StorageWriter
from livebase.services.system import system_functions


class Runtime(BaseRuntime):
    """An app bound to its database, with file storage and the scheduler.

    ``Runtime(app, data_dir)`` opens (or creates) the deployment's SQLite database in
    ``data_dir``; see BaseRuntime for the options. File bytes go to the blob store that
    ``storage=`` names (``livebase.services.blobs.open_blob_store``).
    """

    storage: StorageService

    def _install_services(self, max_upload: int) -> None:
        self.db.ensure_system_table(scheduler.TABLE, scheduler.INDEXES)
        blob_store = open_blob_store(self.storage_url, self)
        try:
            self.storage = StorageService(self, self.deployment, max_upload, blob_store)
        except BaseException:
            blob_store.close()
            raise
        self.system_functions = system_functions(self)

    def close(self) -> None:
        """Stop the worker threads, close the database and the blob store."""
        try:
            super().close()
        finally:
            self.storage.close()

    def _query_services(self, txn: Transaction) -> Any:
        return StorageReader(self.storage, txn)

    def _mutation_services(self, txn: Transaction) -> tuple[Any, Any]:
        return StorageWriter(self.storage, txn), scheduler.Scheduler(self, txn)

    def _action_services(self) -> tuple[Any, Any]:
        return ActionStorage(self.storage), scheduler.Scheduler(self, None)
