"""The scan statements both SQL persistences run over the same layout (``documents``,
``indexes``), in the parameter style each driver takes (``?`` for sqlite3, ``%s`` for
psycopg)."""

from __future__ import annotations

from typing import Any

ScanKey = tuple[bool, bool, bool]  # (by ID, bounded above, reverse)


def _scan_sql(mark: str, by_id: bool, bounded: bool, reverse: bool) -> str:
    if by_id:
        text = f"SELECT key, value FROM documents WHERE tbl = {mark} AND key >= {mark}"
        text += f" AND key < {mark}" if bounded else ""
        return text + (" ORDER BY key DESC" if reverse else " ORDER BY key") + f" LIMIT {mark}"
    text = (
        "SELECT i.key, d.value FROM indexes i"
        f" JOIN documents d ON d.tbl = {mark} AND d.key = i.doc"
        f" WHERE i.idx = {mark} AND i.key >= {mark}"
    )
    text += f" AND i.key < {mark}" if bounded else ""
    return text + (" ORDER BY i.key DESC" if reverse else " ORDER BY i.key") + f" LIMIT {mark}"


def scan_statements(mark: str) -> dict[ScanKey, str]:
    """Every scan statement, by (by ID, bounded above, reverse)."""
    return {
        (by_id, bounded, reverse): _scan_sql(mark, by_id, bounded, reverse)
        for by_id in (True, False)
        for bounded in (True, False)
        for reverse in (True, False)
    }


def scan_query(
    table: int, index: int | None, start: bytes, end: bytes | None, reverse: bool, limit: int
) -> tuple[ScanKey, list[Any]]:
    """Which statement a ``Snapshot.scan`` runs, and its parameters."""
    params: list[Any] = [table] if index is None else [table, index]
    params.append(start)
    if end is not None:
        params.append(end)
    params.append(limit)
    return (index is None, end is not None, reverse), params
