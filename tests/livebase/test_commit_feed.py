"""The commit feed: listeners get every commit in timestamp order, local or from another
process (caught up from the persistence's commit log)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from livebase import Runtime
from livebase.engine.catalog import id_key
from livebase.engine.commit_feed import CommitFeed
from livebase.engine.database import CATALOG_INDEX, Database
from livebase.engine.readset import ReadSet, WriteSet
from livebase.persistence import Commit, MemoryPersistence, SqlitePersistence
from tests.conftest import APPS

Seen = list[tuple[int, WriteSet]]


def recorder() -> tuple[Seen, Callable[[int, WriteSet], None]]:
    seen: Seen = []
    return seen, lambda ts, writes: seen.append((ts, writes))


def insert_note(runtime: Runtime, author: str = "ann", body: str = "hi") -> str:
    return runtime.run_mutation("notes:add_note", {"author": author, "body": body}).value


# --- local commits ---------------------------------------------------------------------------


def test_a_listener_gets_each_commit_with_the_keys_it_wrote(tmp_path):
    with Runtime(APPS / "notes", tmp_path, persistence=MemoryPersistence()) as runtime:
        seen, listener = recorder()
        runtime.db.add_commit_listener(listener)
        note = insert_note(runtime)
        runtime.run_mutation("notes:edit", {"id": note, "body": "edited"})
        notes = runtime.db.catalog.table("notes")
        assert [ts for ts, _ in seen] == sorted(ts for ts, _ in seen)
        assert seen[-1][0] == runtime.db.latest_ts
        for _, writes in seen:
            assert writes[notes.by_id.id] == [id_key(note)]
        runtime.db.remove_commit_listener(listener)
        insert_note(runtime)
        assert len(seen) == 2


def test_listeners_see_commits_of_many_threads_once_each_in_timestamp_order(tmp_path):
    with Runtime(APPS / "notes", tmp_path, persistence=MemoryPersistence()) as runtime:
        seen, listener = recorder()
        runtime.db.add_commit_listener(listener)
        results: list[int] = []

        def work() -> None:
            for _ in range(25):
                results.append(runtime.run_mutation("counters:increment", {"name": "n"}).ts)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [ts for ts, _ in seen] == sorted(results)
        assert runtime.run_query("counters:get", {"name": "n"}).value == 100


def test_a_commit_made_by_a_listener_is_delivered_after_the_one_it_heard(tmp_path):
    feed = CommitFeed(0)
    heard: list[tuple[str, int]] = []

    def first(ts: int, writes: WriteSet) -> None:
        heard.append(("first", ts))
        if ts == 1:  # a listener that commits: its commit must not overtake this one
            feed.publish(2, {})
            feed.deliver()

    feed.add_listener(first)
    feed.add_listener(lambda ts, writes: heard.append(("second", ts)))
    feed.publish(1, {})
    feed.deliver()
    assert heard == [("first", 1), ("second", 1), ("first", 2), ("second", 2)]


def test_publishing_a_commit_twice_or_out_of_order_keeps_the_first(tmp_path):
    feed = CommitFeed(5)
    seen, listener = recorder()
    feed.add_listener(listener)
    assert feed.publish(7, {1: [b"a"]})
    assert not feed.publish(7, {1: [b"a"]})
    assert not feed.publish(6, {1: [b"b"]})
    feed.deliver()
    assert seen == [(7, {1: [b"a"]})]
    assert [e.ts for e in feed.write_log.entries_after(0)] == [7]


def test_a_failing_listener_does_not_stop_the_others(tmp_path, caplog):
    feed = CommitFeed(0)
    seen, listener = recorder()

    def broken(ts: int, writes: WriteSet) -> None:
        raise RuntimeError("boom")

    feed.add_listener(broken)
    feed.add_listener(listener)
    feed.publish(1, {})
    feed.deliver()
    assert seen == [(1, {})]
    assert "commit listener failed" in caplog.text


# --- commits of another process ------------------------------------------------------------


def open_db(path: Path, **options: int) -> Database:
    from livebase.runtime.app import load_app

    return Database(SqlitePersistence(path, **options), load_app(APPS / "notes").schema)


def note_commit(db: Database, body: str) -> int:
    txn = db.begin(writable=True)
    txn.insert("notes", {"author": "ann", "body": body})
    txn.close()
    return db.commit(txn)


def test_the_feed_catches_up_on_commits_another_process_made(tmp_path):
    path = tmp_path / "db.sqlite3"
    here, there = open_db(path), open_db(path)
    try:
        seen_here, listener_here = recorder()
        seen_there, listener_there = recorder()
        here.add_commit_listener(listener_here)
        there.add_commit_listener(listener_there)
        ts = note_commit(there, "from there")
        assert seen_here == [] and here.latest_ts < ts
        assert here.catch_up() == 1
        assert seen_here == seen_there == [(ts, seen_there[0][1])]
        assert here.latest_ts == ts
        assert here.catch_up() == 0  # nothing new
        mine = note_commit(here, "from here")  # after the caught-up commit, in order
        assert mine > ts
        assert there.catch_up() == 1
        assert seen_there[-1][0] == mine and there.latest_ts == mine
    finally:
        here.close()
        there.close()


def test_a_transaction_conflicts_with_a_caught_up_commit_it_overlaps(tmp_path):
    path = tmp_path / "db.sqlite3"
    here, there = open_db(path), open_db(path)
    try:
        notes = here.catalog.table("notes")
        txn = here.begin(writable=True)
        list(txn.scan(notes, notes.by_id, b"", None))  # reads the whole table
        txn.insert("notes", {"author": "ann", "body": "mine"})
        txn.close()
        note_commit(there, "theirs")
        here.catch_up()
        assert here.write_log.conflicts(txn.read_set, txn.begin_ts)
        untouched = ReadSet()
        untouched.add(notes.indexes["by_author"].id, b"\xff", None)
        assert not here.write_log.conflicts(untouched, txn.begin_ts)
    finally:
        here.close()
        there.close()


def test_a_feed_further_behind_than_the_log_keeps_starts_again_at_its_floor(tmp_path):
    path = tmp_path / "db.sqlite3"
    here, there = open_db(path, log_retention=3), open_db(path, log_retention=3)
    try:
        before = here.latest_ts
        last = 0
        for i in range(10):
            last = note_commit(there, f"n{i}")
        seen, listener = recorder()
        here.add_commit_listener(listener)
        assert here.catch_up() >= 3
        assert here.latest_ts == last
        assert not here.write_log.covers(before)  # older snapshots can no longer be checked
        assert [ts for ts, _ in seen][-3:] == [e.ts for e in there.write_log.entries_after(0)][-3:]
    finally:
        here.close()
        there.close()


def test_a_catalog_change_reaches_the_feed_too(tmp_path):
    db = Database(MemoryPersistence())
    seen, listener = recorder()
    db.add_commit_listener(listener)
    db.ensure_system_table("_things", {"by_name": ("name",)})
    assert [ts for ts, _ in seen] == [db.latest_ts]
    # the write set names the catalog, so that other processes know to read it again
    assert db.persistence.commits_after(0, 10)[-1] == (db.latest_ts, {CATALOG_INDEX: [b"catalog"]})
    db.close()


def test_commit_carries_its_write_set_into_the_commit_log(tmp_path):
    db = Database(MemoryPersistence())
    txn = db.begin(writable=True)
    note = txn.insert("things", {"name": "a"})
    txn.close()
    built = txn.build_commit(123)
    assert isinstance(built, Commit)
    things = db.catalog.table("things")
    assert built.write_set[things.by_id.id] == [id_key(note)]
    ts = db.commit(txn)
    assert db.persistence.commits_after(ts - 1, 1)[0].write_set == built.write_set
    db.close()


def test_a_runtime_on_memory_persistence_writes_no_database_file(tmp_path):
    with Runtime(APPS / "notes", tmp_path, persistence=MemoryPersistence()) as runtime:
        note = insert_note(runtime, "bea")
        docs = runtime.run_query("notes:by_author", {"author": "bea"}).value
        assert [d["_id"] for d in docs] == [note]
    assert not list(tmp_path.glob("*.sqlite3*"))


def test_the_feed_lists_the_commits_between_two_timestamps_and_says_when_it_cannot():
    feed = CommitFeed(start_ts=10, retention=3)
    for ts in (11, 12, 13):
        feed.publish(ts, {1: [bytes([ts])]})
    between = feed.commits_between(10, 12)
    assert between is not None
    assert [entry.ts for entry in between] == [11, 12]
    assert feed.commits_between(12, 13) is not None
    assert [e.ts for e in feed.commits_between(12, 13) or []] == [13]
    read = ReadSet()
    read.add_point(1, bytes([12]))
    assert feed.conflicts(read, 11, 13)
    assert not feed.conflicts(read, 12, 13)
    for ts in (14, 15, 16, 17):  # more than the feed keeps: 10 falls out of it
        feed.publish(ts, {2: [b"x"]})
    assert feed.commits_between(10, 17) is None
    assert feed.conflicts(ReadSet(), 10, 17)  # nothing read at 10 can be checked any more
