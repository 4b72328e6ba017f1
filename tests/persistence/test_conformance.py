"""What every persistence does: each test runs against every implementation (conftest.py)."""

from __future__ import annotations

import threading

import pytest

from livebase.persistence import (
    Commit,
    CommitLogPruned,
    LoggedCommit,
    Persistence,
    StaleCommitError,
)
from tests.persistence.conftest import Store

T1, T2 = 10001, 10002  # table numbers
BY_X, BY_Y = 7, 8  # index ids


def doc(name: str) -> str:
    return f'{{"name": "{name}"}}'


def scan(p: Persistence, table: int, index: int | None, start=b"", end=None, reverse=False, n=100):
    snap = p.snapshot()
    try:
        return snap.scan(table, index, start, end, reverse, n)
    finally:
        snap.close()


def get(p: Persistence, table: int, key: bytes) -> str | None:
    snap = p.snapshot()
    try:
        return snap.get(table, key)
    finally:
        snap.close()


def latest_ts(p: Persistence) -> int:
    snap = p.snapshot()
    snap.close()
    return snap.ts


def three_documents(p: Persistence, ts: int = 1) -> None:
    p.commit(
        Commit(
            ts,
            documents=[(T1, b"b", doc("b")), (T1, b"a", doc("a")), (T1, b"c", doc("c"))],
            index_adds=[(BY_X, b"x3", b"a"), (BY_X, b"x1", b"b"), (BY_X, b"x2", b"c")],
        )
    )


# --- an empty store --------------------------------------------------------------------------


def test_a_new_store_is_empty_at_timestamp_zero(persistence):
    snap = persistence.snapshot()
    try:
        assert snap.ts == 0
        assert snap.get(T1, b"a") is None
        assert snap.scan(T1, None, b"", None, False, 10) == []
        assert snap.scan(T1, BY_X, b"", None, False, 10) == []
        assert snap.meta("catalog") is None
    finally:
        snap.close()
    assert persistence.commits_after(0, 10) == []


# --- documents and scans ---------------------------------------------------------------------


def test_committed_documents_are_read_by_id_and_scanned_in_key_order(persistence):
    three_documents(persistence)
    assert get(persistence, T1, b"a") == doc("a")
    assert get(persistence, T2, b"a") is None  # tables are separate
    assert scan(persistence, T1, None) == [(b"a", doc("a")), (b"b", doc("b")), (b"c", doc("c"))]


def test_an_index_scan_returns_documents_in_index_key_order(persistence):
    three_documents(persistence)
    assert scan(persistence, T1, BY_X) == [(b"x1", doc("b")), (b"x2", doc("c")), (b"x3", doc("a"))]


@pytest.mark.parametrize(
    ("start", "end", "reverse", "limit", "expected"),
    [
        (b"k1", b"k3", False, 10, [b"k1", b"k2"]),  # start included, end excluded
        (b"k1\x00", None, False, 10, [b"k2", b"k3"]),
        (b"", None, True, 10, [b"k3", b"k2", b"k1"]),
        (b"", b"k3", True, 1, [b"k2"]),  # a reverse scan starts at its end bound
        (b"k2", None, True, 10, [b"k3", b"k2"]),
        (b"", None, False, 2, [b"k1", b"k2"]),
        (b"", None, False, 0, []),
        (b"k4", None, False, 10, []),
        (b"k2", b"k2", False, 10, []),
    ],
)
@pytest.mark.parametrize("index", [BY_X, None], ids=["index", "by_id"])
def test_scans_honour_bounds_direction_and_limit(
    persistence, index, start, end, reverse, limit, expected
):
    keys = [b"k2", b"k3", b"k1"]
    persistence.commit(
        Commit(
            1,
            documents=[(T1, k, doc(k.decode())) for k in keys],
            index_adds=[(BY_X, k, k) for k in keys],
        )
    )
    rows = scan(persistence, T1, index, start, end, reverse, limit)
    assert rows == [(k, doc(k.decode())) for k in expected]


def test_an_index_entry_whose_document_is_missing_is_skipped(persistence):
    three_documents(persistence)
    persistence.commit(Commit(2, documents=[(T1, b"c", None)]))
    assert scan(persistence, T1, BY_X) == [(b"x1", doc("b")), (b"x3", doc("a"))]
    assert scan(persistence, T1, BY_X, n=2) == [(b"x1", doc("b")), (b"x3", doc("a"))]


def test_a_commit_replaces_deletes_and_moves_entries(persistence):
    three_documents(persistence)
    persistence.commit(
        Commit(
            2,
            documents=[(T1, b"a", doc("a2")), (T1, b"b", None)],
            index_removes=[(BY_X, b"x3"), (BY_X, b"x1"), (BY_X, b"absent")],
            index_adds=[(BY_X, b"x0", b"a"), (BY_X, b"x2", b"a")],  # x2 now names a
        )
    )
    assert scan(persistence, T1, None) == [(b"a", doc("a2")), (b"c", doc("c"))]
    assert scan(persistence, T1, BY_X) == [(b"x0", doc("a2")), (b"x2", doc("a2"))]


def test_binary_keys_sort_as_unsigned_bytes(persistence):
    keys = [b"", b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]
    persistence.commit(Commit(1, documents=[(T1, k, doc(k.hex())) for k in reversed(keys)]))
    assert [k for k, _ in scan(persistence, T1, None)] == keys
    assert [k for k, _ in scan(persistence, T1, None, b"\x00", b"\x80")] == keys[1:5]


def test_a_dropped_index_loses_its_entries_and_others_keep_theirs(persistence):
    three_documents(persistence)
    persistence.commit(Commit(2, index_adds=[(BY_Y, b"y", b"a")]))
    persistence.commit(
        Commit(3, dropped_indexes=[BY_X], index_adds=[(BY_X, b"new", b"b")])  # drops come first
    )
    assert scan(persistence, T1, BY_X) == [(b"new", doc("b"))]
    assert scan(persistence, T1, BY_Y) == [(b"y", doc("a"))]
    assert len(scan(persistence, T1, None)) == 3


# --- metadata --------------------------------------------------------------------------------


def test_metadata_round_trips_as_json_and_later_values_replace_earlier(persistence):
    catalog = {"tables": [{"name": "notes", "number": 10001}], "strict": True, "n": 1.5}
    persistence.commit(Commit(1, meta={"catalog": catalog, "schemaHash": "abc"}))
    persistence.commit(Commit(2, meta={"schemaHash": "def"}))
    snap = persistence.snapshot()
    try:
        assert snap.meta("catalog") == catalog
        assert snap.meta("schemaHash") == "def"
        assert snap.meta("missing") is None
    finally:
        snap.close()


# --- snapshots -------------------------------------------------------------------------------


def test_a_snapshot_keeps_seeing_its_version_after_later_commits(persistence):
    three_documents(persistence, ts=5)
    persistence.commit(Commit(6, meta={"v": 1}))
    before = persistence.snapshot()
    try:
        persistence.commit(
            Commit(
                9,
                documents=[(T1, b"a", None), (T1, b"d", doc("d"))],
                index_removes=[(BY_X, b"x3")],
                meta={"v": 2},
                dropped_indexes=[BY_Y],
            )
        )
        after = persistence.snapshot()
        try:
            assert (before.ts, after.ts) == (6, 9)
            assert before.get(T1, b"a") == doc("a") and after.get(T1, b"a") is None
            assert before.get(T1, b"d") is None and after.get(T1, b"d") == doc("d")
            assert len(before.scan(T1, BY_X, b"", None, False, 10)) == 3
            assert len(after.scan(T1, BY_X, b"", None, False, 10)) == 2
            assert (before.meta("v"), after.meta("v")) == (1, 2)
        finally:
            after.close()
    finally:
        before.close()


def test_a_closed_snapshot_cannot_be_used(persistence):
    snap = persistence.snapshot()
    snap.close()
    with pytest.raises(RuntimeError):
        snap.get(T1, b"a")
    snap.close()  # closing twice is harmless


def test_a_snapshot_never_sees_part_of_a_commit_made_by_another_thread(persistence):
    # every commit writes a document per table whose text names the commit's ts; a snapshot
    # must see exactly the documents of the commits up to its ts
    done = threading.Event()

    def writer() -> None:
        for ts in range(1, 201):
            text = doc(str(ts))
            persistence.commit(
                Commit(ts, documents=[(T1, b"k", text), (T2, b"k", text)], meta={"n": ts})
            )
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not done.is_set():
            snap = persistence.snapshot()
            try:
                expected = None if snap.ts == 0 else doc(str(snap.ts))
                assert snap.get(T1, b"k") == expected
                assert snap.get(T2, b"k") == expected
                assert snap.meta("n") == (snap.ts or None)
            finally:
                snap.close()
    finally:
        thread.join()


def test_read_latest_reads_one_document_and_the_latest_timestamp_together(persistence):
    assert persistence.read_latest(T1, b"a") == (0, None)
    three_documents(persistence, ts=5)
    persistence.commit(Commit(7, documents=[(T1, b"a", None)], index_removes=[(BY_X, b"x3")]))
    assert persistence.read_latest(T1, b"b") == (7, doc("b"))
    assert persistence.read_latest(T1, b"a") == (7, None)
    assert persistence.read_latest(T2, b"b") == (7, None)  # another table's key


def test_read_latest_never_sees_part_of_a_commit_made_by_another_thread(persistence):
    # every commit rewrites one document to name its own ts: the pair read together must agree
    done = threading.Event()

    def writer() -> None:
        for ts in range(1, 201):
            persistence.commit(Commit(ts, documents=[(T1, b"k", doc(str(ts)))]))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not done.is_set():
            ts, text = persistence.read_latest(T1, b"k")
            assert text == (None if ts == 0 else doc(str(ts)))
    finally:
        thread.join()
    # a read leaves no transaction open: the snapshot after it sees the last commit
    assert latest_ts(persistence) == 200 == persistence.read_latest(T1, b"k")[0]


# --- commits ---------------------------------------------------------------------------------


def test_a_commit_that_fails_leaves_no_trace(persistence):
    three_documents(persistence)
    with pytest.raises(TypeError):
        persistence.commit(
            Commit(2, documents=[(T1, b"a", None), (T1, b"z", doc("z"))], meta={"bad": object()})
        )
    assert [k for k, _ in scan(persistence, T1, None)] == [b"a", b"b", b"c"]
    assert latest_ts(persistence) == 1
    assert [c.ts for c in persistence.commits_after(0, 10)] == [1]
    persistence.commit(Commit(2, documents=[(T1, b"z", doc("z"))]))  # and it still works
    assert get(persistence, T1, b"z") == doc("z")


def test_a_commit_at_or_below_the_latest_timestamp_is_refused(persistence):
    three_documents(persistence, ts=5)
    for ts in (5, 4):
        with pytest.raises(StaleCommitError):
            persistence.commit(Commit(ts, documents=[(T1, b"z", doc("z"))]))
    assert get(persistence, T1, b"z") is None
    assert latest_ts(persistence) == 5


def test_a_closed_persistence_gives_no_snapshots(persistence):
    persistence.close()
    with pytest.raises(RuntimeError):
        persistence.snapshot()


# --- the commit log --------------------------------------------------------------------------


def test_commits_after_lists_each_commit_and_its_write_set_in_order(persistence):
    writes = [
        {1: [b"a"], 7: [b"x\x00old", b"x\x00new"]},
        {},  # a catalog change writes no keys
        {1: [b""], 8: [bytes(range(256))]},
    ]
    for ts, write_set in zip((3, 8, 20), writes, strict=True):
        persistence.commit(Commit(ts, write_set=write_set))
    assert persistence.commits_after(0, 10) == [
        LoggedCommit(3, writes[0]),
        LoggedCommit(8, writes[1]),
        LoggedCommit(20, writes[2]),
    ]
    assert [c.ts for c in persistence.commits_after(3, 10)] == [8, 20]
    assert [c.ts for c in persistence.commits_after(5, 1)] == [8]
    assert persistence.commits_after(20, 10) == []


def test_the_commit_log_keeps_only_its_retention_and_says_when_asked_for_more(store: Store):
    persistence = store.open(log_retention=5)
    for ts in range(1, 31):
        persistence.commit(Commit(ts, write_set={1: [bytes([ts])]}))
    kept = persistence.commits_after(30 - 5, 100)
    assert [c.ts for c in kept] == [26, 27, 28, 29, 30]
    assert kept[0].write_set == {1: [bytes([26])]}
    with pytest.raises(CommitLogPruned) as pruned:
        persistence.commits_after(0, 100)
    floor = pruned.value.floor
    assert floor < 26
    entries = persistence.commits_after(floor, 100)  # from the floor on, nothing is missing
    assert [c.ts for c in entries] == list(range(floor + 1, 31))


# --- storage shared between persistences (implementations that have it) ---------------------


def test_a_second_persistence_over_the_same_storage_sees_commits_and_the_log(
    shared_store: Store,
):
    store = shared_store
    first, second = store.open(), store.open()
    three_documents(first, ts=4)
    assert latest_ts(second) == 4
    assert get(second, T1, b"a") == doc("a")
    second.commit(Commit(9, documents=[(T1, b"d", doc("d"))], write_set={1: [b"d"]}))
    assert first.commits_after(4, 10) == [LoggedCommit(9, {1: [b"d"]})]
    assert get(first, T1, b"d") == doc("d")


def test_reopened_storage_keeps_documents_timestamp_and_log(shared_store: Store):
    store = shared_store
    first = store.open()
    three_documents(first, ts=4)
    first.commit(Commit(6, meta={"v": 1}, write_set={1: [b"a"]}))
    first.close()
    again = store.open()
    snap = again.snapshot()
    try:
        assert (snap.ts, snap.meta("v")) == (6, 1)
        assert len(snap.scan(T1, BY_X, b"", None, False, 10)) == 3
    finally:
        snap.close()
    assert [c.ts for c in again.commits_after(0, 10)] == [4, 6]
    with pytest.raises(StaleCommitError):
        again.commit(Commit(6))
