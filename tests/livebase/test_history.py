"""Reads as of an earlier commit (engine/history.py): what ``/api/query_at_ts`` answers."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase import Runtime, load_app
from livebase.engine.history import History, HistoryUnavailable
from livebase.testing import AppTester

APP = load_app(Path(__file__).resolve().parents[1] / "apps" / "model")

# --- the history on its own ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_first_commit_after_a_timestamp_gives_a_documents_version_at_it() -> None:
    history = History(10)
    history.record(11, [(1, b"a", None)])  # created
    history.record(12, [(1, b"a", {"v": 1}), (1, b"b", {"v": "b"})])
    history.record(13, [(1, b"a", {"v": 2})])
    assert history.versions_at(10, 13) == {(1, b"a"): None, (1, b"b"): {"v": "b"}}
    assert history.versions_at(11, 13) == {(1, b"a"): {"v": 1}, (1, b"b"): {"v": "b"}}
    assert history.versions_at(12, 12) == {}
    assert history.versions_at(11, 12) == {(1, b"a"): {"v": 1}, (1, b"b"): {"v": "b"}}


def test_the_history_does_not_answer_beyond_what_it_saw() -> None:
    history = History(10)
    history.record(11, [])
    assert history.versions_at(9, 11) is None  # before it started
    assert history.versions_at(10, 12) is None  # a commit it has not seen


def test_a_commit_whose_versions_are_unknown_starts_the_history_again() -> None:
    history = History(10)
    history.record(11, [(1, b"a", None)])
    history.record(12, None)  # another process's commit
    history.record(13, [(1, b"a", {"v": 1})])
    assert history.versions_at(11, 13) is None
    assert history.versions_at(12, 13) == {(1, b"a"): {"v": 1}}
    history.restart(20)
    assert history.versions_at(13, 20) is None
    assert history.versions_at(20, 20) == {}


def test_versions_older_than_the_retention_are_let_go() -> None:
    clock = Clock()
    history = History(0, retention=30.0, clock=clock)
    history.record(1, [(1, b"a", None)])
    clock.now = 20.0
    history.record(2, [(1, b"a", {"v": 1})])
    clock.now = 31.0
    history.record(3, [(1, b"a", {"v": 2})])  # the commit at 1 is now 31 s old
    assert history.versions_at(0, 3) is None
    assert history.versions_at(1, 3) == {(1, b"a"): {"v": 1}}


def test_at_most_max_versions_are_kept() -> None:
    history = History(0, max_versions=3)
    for ts in range(1, 6):
        history.record(ts, [(1, bytes([ts]), None)])
    assert history.versions_at(1, 5) is None
    assert history.versions_at(2, 5) == {(1, b"\x03"): None, (1, b"\x04"): None, (1, b"\x05"): None}


# --- reads through the runtime: every earlier result comes back ----------------------------

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("notes:listAll", {}),
    ("notes:byAuthor", {"author": "alice"}),
    ("notes:scoreRange", {"order": "asc"}),
    ("notes:scoreTake", {"order": "desc", "n": 2}),
    ("notes:scoreRange", {"order": "asc", "author": "bob", "lo": 0.0}),
]

OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("insert"),
            st.sampled_from(["alice", "bob"]),
            st.none() | st.integers(-2, 3).map(float),
        ),
        st.tuples(
            st.just("patch"),
            st.integers(0, 20),
            st.none() | st.sampled_from(["alice", "bob"]),
            st.none() | st.integers(-2, 3).map(float),
        ),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("two"), st.sampled_from(["alice", "bob"]), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=12,
)


def _apply(t: AppTester, op: tuple[Any, ...], ids: list[str]) -> None:
    kind = op[0]
    if kind == "insert":
        fields = {"author": op[1], "body": "b"} | ({} if op[2] is None else {"score": op[2]})
        ids.append(t.mutation("notes:insert", fields)["_id"])
    elif kind == "two":  # a commit of several writes: an insert and a delete
        ids.append(t.mutation("notes:insert", {"author": op[1], "body": "two"})["_id"])
        live = [i for i in ids if t.query("notes:get", {"id": i}) is not None]
        t.mutation("notes:delete", {"id": live[op[2] % len(live)]})
    elif ids:
        live = [i for i in ids if t.query("notes:get", {"id": i}) is not None]
        if not live:
            return
        target = live[op[1] % len(live)]
        if kind == "delete":
            t.mutation("notes:delete", {"id": target})
        else:
            fields: dict[str, Any] = {"id": target}
            if op[2] is not None:
                fields["author"] = op[2]
            if op[3] is not None:
                fields["score"] = op[3]
            t.mutation("notes:patch", fields)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_a_query_as_of_an_earlier_commit_returns_what_it_returned_then(ops) -> None:
    with tempfile.TemporaryDirectory() as data, AppTester(APP, Path(data)) as t:
        runtime = t.runtime
        ids: list[str] = []
        seen: list[tuple[int, list[Any]]] = []
        for op in ops:
            _apply(t, op, ids)
            results = [runtime.run_query(path, args) for path, args in QUERIES]
            seen.append((runtime.db.latest_ts, [r.value for r in results]))
        for ts, then in seen:
            again = [runtime.run_query_at(path, args, ts).value for path, args in QUERIES]
            assert again == then, f"as of {ts}"


def test_a_read_as_of_an_earlier_commit_reads_nothing_newer(tmp_path) -> None:
    with AppTester(APP, tmp_path) as t:
        first = t.mutation("notes:insert", {"author": "alice", "body": "a", "score": 1.0})
        ts = t.runtime.db.latest_ts
        t.mutation("notes:patch", {"id": first["_id"], "score": 5.0})
        t.mutation("notes:insert", {"author": "alice", "body": "new", "score": 2.0})
        at = t.runtime.run_query_at("notes:byAuthor", {"author": "alice"}, ts)
        assert [(n["body"], n["score"]) for n in at.value] == [("a", 1.0)]
        assert at.ts == ts
        assert t.runtime.run_query_at("notes:get", {"id": first["_id"]}, ts).value == first


def test_another_process_commit_ends_what_this_process_can_read_before_it(tmp_path) -> None:
    with AppTester(APP, tmp_path) as t:
        t.mutation("notes:insert", {"author": "alice", "body": "a"})
        ts = t.runtime.db.latest_ts
        other = Runtime(APP, tmp_path)  # another process over the same deployment
        try:
            other.run_mutation("notes:insert", {"author": "bob", "body": "b"})
        finally:
            other.close()
        with pytest.raises(HistoryUnavailable):
            t.runtime.run_query_at("notes:listAll", {}, ts)
        after = t.runtime.db.latest_ts
        t.mutation("notes:insert", {"author": "carol", "body": "c"})
        at = t.runtime.run_query_at("notes:listAll", {}, after)
        assert sorted(n["author"] for n in at.value) == ["alice", "bob"]
