"""The persistence interface.

Storage holds the current version of every document (``documents``: table number and ID key to
JSON text), the entries of every index but ``by_id`` (``indexes``: index id and key to the
document's ID key), and a few named metadata values (the latest commit timestamp and the
catalog). Snapshots are consistent read views; ``commit`` applies one transaction atomically.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

# A scan yields (index key, document JSON text) in key order.
Row = tuple[bytes, str]


@dataclass
class Commit:
    """Everything one transaction writes, applied atomically by ``Persistence.commit``."""

    ts: int
    # (table number, id key, JSON text or None to delete)
    documents: list[tuple[int, bytes, str | None]] = field(default_factory=list)
    # (index id, key) entries to remove, then (index id, key, id key) entries to add
    index_removes: list[tuple[int, bytes]] = field(default_factory=list)
    index_adds: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    # metadata values to set (JSON-serializable)
    meta: dict[str, Any] = field(default_factory=dict)
    # index ids whose entries are dropped whole (an index removed from the schema)
    dropped_indexes: list[int] = field(default_factory=list)


class Snapshot(ABC):
    """A consistent read view of storage as of commit timestamp ``ts``."""

    ts: int

    @abstractmethod
    def get(self, table: int, id_key: bytes) -> str | None:
        """The JSON text of one document, or None."""

    @abstractmethod
    def scan(
        self,
        table: int,
        index: int | None,
        start: bytes,
        end: bytes | None,
        reverse: bool,
        limit: int,
    ) -> list[Row]:
        """Up to ``limit`` rows with ``start <= key < end`` in key order (descending if
        ``reverse``). ``index=None`` scans the table's documents by ID key (``by_id``)."""

    @abstractmethod
    def meta(self, name: str) -> Any:
        """A metadata value as of this snapshot, or None."""

    @abstractmethod
    def close(self) -> None:
        """Release the view; it must not be used afterwards."""


class Persistence(ABC):
    """A storage engine: snapshots to read, commits to write."""

    @abstractmethod
    def snapshot(self) -> Snapshot:
        """A read view at the latest commit."""

    @abstractmethod
    def commit(self, commit: Commit) -> None:
        """Apply a commit atomically and durably (per the configured durability)."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection."""
