"""Environment variables: settings kept in the deployment, read by functions as ``ctx.env``.

    livebase env set OPENAI_KEY sk-...          (or the dashboard's Environment page)

    @action
    async def ask(ctx, question):
        key = await ctx.env.get("OPENAI_KEY")

They live in the ``_environment_variables`` system table, so a query or mutation that reads
one holds it in its read set: a live query re-runs when a variable it read is set, changed or
removed. Only admins (the CLI, the dashboard, an admin key) read or write them; a function
hands a value to a client only if its own code returns it. ``CONVEX_CLOUD_URL`` (where clients
reach the deployment) and ``CONVEX_SITE_URL`` (where its HTTP actions answer) are built in and
cannot be set. Limits are Convex's: names of 1-40 letters, digits and ``_`` starting with a
letter, values up to 8 KiB, 100 variables.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from livebase.engine.errors import ValidationError
from livebase.engine.transaction import Transaction

TABLE = "_environment_variables"
INDEXES = {"by_name": ("name",)}
MAX_VALUE_BYTES = 8 * 1024
MAX_VARIABLES = 100
BUILT_IN = ("CONVEX_CLOUD_URL", "CONVEX_SITE_URL")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


def check_name(name: object) -> str:
    """``name`` if it is a valid variable name, else a ValidationError saying why."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"Invalid environment variable name {name!r}: 1-40 letters, digits and '_', "
            "starting with a letter"
        )
    return name


def read(txn: Transaction, name: str) -> str | None:
    """A variable's value at the transaction's snapshot (recorded in its read set)."""
    found = txn.first_by_index(TABLE, "by_name", check_name(name))
    return None if found is None else str(found["value"])


def read_all(txn: Transaction) -> dict[str, str]:
    """Every variable the deployment stores, by name."""
    table = txn.table(TABLE)
    index = table.indexes["by_name"]
    rows = txn.scan(table, index, b"", None)
    try:
        return {doc["name"]: doc["value"] for _, doc in rows}
    finally:
        rows.close()


def write(txn: Transaction, name: str, value: str | None) -> bool:
    """Set (``value`` a string) or remove (None) a variable; whether anything changed."""
    check_name(name)
    if name in BUILT_IN:
        raise ValidationError(f"{name} is built in: it is where clients reach this deployment")
    found = txn.first_by_index(TABLE, "by_name", name)
    if value is None:
        if found is None:
            return False
        txn.delete(found["_id"], TABLE)
        return True
    if not isinstance(value, str):
        raise ValidationError(f"The value of {name} must be a string")
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise ValidationError(f"The value of {name} is over {MAX_VALUE_BYTES} bytes")
    if found is not None:
        if found["value"] == value:
            return False
        txn.patch(found["_id"], {"value": value}, TABLE)
        return True
    if len(read_all(txn)) >= MAX_VARIABLES:
        raise ValidationError(f"A deployment holds at most {MAX_VARIABLES} environment variables")
    txn.insert(TABLE, {"name": name, "value": value})
    return True


class Environment:
    """``ctx.env``: the deployment's environment variables."""

    def __init__(
        self, lookup: Callable[[str], Awaitable[str | None]], built_in: dict[str, str]
    ) -> None:
        self._lookup = lookup
        self._built_in = built_in

    async def get(self, name: str, default: Any = None) -> Any:
        """The variable's value, or ``default`` when it is not set."""
        if name in self._built_in:
            return self._built_in[name]
        value = await self._lookup(check_name(name))
        return default if value is None else value
