"""Persistence: where committed documents and index entries live.

One small interface (``Persistence``, ``Snapshot``) so that storage engines can be swapped
without touching the engine; ``SqlitePersistence`` is the embedded default.
"""

from livebase.persistence.base import Commit, Persistence, Snapshot
from livebase.persistence.sqlite import SqlitePersistence

__all__ = ["Commit", "Persistence", "Snapshot", "SqlitePersistence"]
