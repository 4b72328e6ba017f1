"""Persistence: where committed documents, index entries and the commit log live.

One small interface (``Persistence``, ``Snapshot``) so that storage engines can be swapped
without touching the engine; ``SqlitePersistence`` is the embedded default,
``MemoryPersistence`` keeps everything in memory for tests.
"""

from livebase.engine.store import (
    Commit,
    CommitLogPruned,
    LoggedCommit,
    Persistence,
    Snapshot,
    StaleCommitError,
)
from livebase.persistence.memory import MemoryPersistence
from livebase.persistence.sqlite import SqlitePersistence

__all__ = [
    "Commit",
    "CommitLogPruned",
    "LoggedCommit",
    "MemoryPersistence",
    "Persistence",
    "Snapshot",
    "SqlitePersistence",
    "StaleCommitError",
]
