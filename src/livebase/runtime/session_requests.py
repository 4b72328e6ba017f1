"""``_session_requests``: which client requests already ran, for exactly-once mutations.

A client resends its unacknowledged mutations after a reconnect; a record written in the
mutation's own transaction tells a resend from a new request (Convex does the same).
"""

from __future__ import annotations

from typing import Any

from livebase.engine.database import Database
from livebase.engine.transaction import Transaction

TABLE = "_session_requests"
INDEX = "by_session_request"


def ensure_table(db: Database) -> None:
    """Create the system table and its index if missing."""
    db.ensure_system_table(TABLE, {INDEX: ("sessionId", "requestId")})


def find(txn: Transaction, request: tuple[str, int]) -> dict[str, Any] | None:
    """The record of an earlier run of this (session, request id), or None."""
    return txn.first_by_index(TABLE, INDEX, request[0], request[1])


def record(txn: Transaction, request: tuple[str, int], value: Any) -> None:
    """Note that this request ran, with its result, in the running transaction."""
    txn.insert(TABLE, {"sessionId": request[0], "requestId": request[1], "value": value})
