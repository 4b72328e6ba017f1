"""Persistence: where committed documents, index entries and the commit log live.

One small interface (``Persistence``, ``Snapshot``) so that storage engines can be swapped
without touching the engine; ``SqlitePersistence`` is the embedded default,
``MemoryPersistence`` keeps everything in memory for tests, and ``PostgresPersistence``
(``livebase.persistence.postgres``, with the ``postgres`` extra) serves many processes.
``open_persistence`` opens one from a database URL.
"""

from pathlib import Path

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


def open_persistence(url: str, synchronous: str = "NORMAL", *, shared: bool = False) -> Persistence:
    """The persistence a database URL names: ``postgresql://user@host:port/db[?schema=s]``
    (also ``postgres://``), or ``sqlite:///relative/path`` / ``sqlite:////absolute/path``
    (SQLAlchemy's spelling; ``shared``: other processes write to the same file). ValueError
    names what is wrong with any other."""
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from livebase.persistence.postgres import PostgresPersistence
        except ImportError as exc:
            raise ValueError(
                f"a PostgreSQL database needs psycopg 3 and psycopg-pool ({exc.name} is "
                "missing): pip install 'livebase[postgres]'"
            ) from None
        return PostgresPersistence(url)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        if not path.name:
            raise ValueError(f"database URL {url!r} names no file")
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqlitePersistence(path, synchronous, shared=shared)
    raise ValueError(
        f"database URL {url!r}: expected postgresql://user@host:port/db or sqlite:///path"
    )


__all__ = [
    "Commit",
    "CommitLogPruned",
    "LoggedCommit",
    "MemoryPersistence",
    "Persistence",
    "Snapshot",
    "SqlitePersistence",
    "StaleCommitError",
    "open_persistence",
]
