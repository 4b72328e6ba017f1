"""SQLite specifics beyond the conformance suite: databases from before the commit log."""

from __future__ import annotations

import sqlite3

import pytest

from livebase.persistence import Commit, CommitLogPruned, SqlitePersistence

# the layout livebase wrote before the commit log existed
OLD_LAYOUT = """
CREATE TABLE documents (
    tbl INTEGER NOT NULL, key BLOB NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE indexes (
    idx INTEGER NOT NULL, key BLOB NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (idx, key)) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('ts', '42');
INSERT INTO documents VALUES (10001, X'61', '{"a": 1}');
"""


def test_a_database_from_before_the_commit_log_starts_its_log_at_its_latest_commit(tmp_path):
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_LAYOUT)
    conn.close()
    persistence = SqlitePersistence(path)
    try:
        snap = persistence.snapshot()
        assert (snap.ts, snap.get(10001, b"a")) == (42, '{"a": 1}')
        snap.close()
        with pytest.raises(CommitLogPruned) as pruned:
            persistence.commits_after(0, 10)  # what happened before ts 42 was never logged
        assert pruned.value.floor == 42
        assert persistence.commits_after(42, 10) == []
        persistence.commit(Commit(43, write_set={1: [b"a"]}))
        assert [c.ts for c in persistence.commits_after(42, 10)] == [43]
    finally:
        persistence.close()
    again = SqlitePersistence(path)  # opening again changes nothing
    try:
        snap = again.snapshot()
        assert snap.ts == 43
        snap.close()
    finally:
        again.close()


def test_the_log_is_pruned_in_steps_within_the_commit(tmp_path):
    persistence = SqlitePersistence(tmp_path / "db.sqlite3", log_retention=40)
    try:
        for ts in range(1, 101):
            persistence.commit(Commit(ts))
        kept = persistence._writer.execute("SELECT count(*) FROM commit_log").fetchone()[0]
        assert 40 <= kept <= 40 + 40 // 20
    finally:
        persistence.close()
