"""The persistence interface, for implementations.

Defined by the engine, which consumes it (``livebase.engine.store``), and re-exported here
beside the implementations.
"""

from livebase.engine.store import (
    COMMIT_LOG_RETENTION,
    Commit,
    CommitLogPruned,
    LoggedCommit,
    Persistence,
    Snapshot,
    StaleCommitError,
    decode_write_set,
    encode_write_set,
)

__all__ = [
    "COMMIT_LOG_RETENTION",
    "Commit",
    "CommitLogPruned",
    "LoggedCommit",
    "Persistence",
    "Snapshot",
    "StaleCommitError",
    "decode_write_set",
    "encode_write_set",
]
