"""The bank database: the Berka tables plus generated transactions, in SQLite or on a server."""

from bankchat.bankdb.build import DEFAULT_SEED, build_sqlite
from bankchat.bankdb.load import data_url, default_sqlite_path, ensure_sqlite, load_database

__all__ = [
    "DEFAULT_SEED",
    "build_sqlite",
    "data_url",
    "default_sqlite_path",
    "ensure_sqlite",
    "load_database",
]
