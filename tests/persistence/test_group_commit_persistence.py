"""Commit groups (``begin_group`` / ``end_group`` / ``abort_group``), for every implementation."""

from __future__ import annotations

import pytest

from livebase.persistence import Commit, Persistence, StaleCommitError
from tests.persistence.test_conformance import T1, doc, get, latest_ts, scan


def one(ts: int, key: bytes) -> Commit:
    return Commit(ts, documents=[(T1, key, doc(key.decode()))], write_set={1: [key]})


def test_staged_commits_are_invisible_until_the_group_ends(persistence: Persistence):
    persistence.commit(one(1, b"a"))
    persistence.begin_group()
    persistence.commit(one(2, b"b"))
    persistence.commit(one(3, b"c"))
    assert [k for k, _ in scan(persistence, T1, None)] == [b"a"]
    assert latest_ts(persistence) == 1
    assert [c.ts for c in persistence.commits_after(0, 10)] == [1]
    persistence.end_group()
    assert [k for k, _ in scan(persistence, T1, None)] == [b"a", b"b", b"c"]
    assert latest_ts(persistence) == 3
    assert [c.ts for c in persistence.commits_after(0, 10)] == [1, 2, 3]


def test_a_member_that_fails_rolls_back_alone(persistence: Persistence):
    persistence.begin_group()
    persistence.commit(one(1, b"a"))
    with pytest.raises(TypeError):
        persistence.commit(Commit(2, documents=[(T1, b"x", doc("x"))], meta={"bad": object()}))
    persistence.commit(one(2, b"b"))
    persistence.end_group()
    assert [k for k, _ in scan(persistence, T1, None)] == [b"a", b"b"]
    assert [c.ts for c in persistence.commits_after(0, 10)] == [1, 2]


def test_an_aborted_group_leaves_no_trace_and_its_timestamps_can_be_used_again(
    persistence: Persistence,
):
    persistence.commit(one(1, b"a"))
    persistence.begin_group()
    persistence.commit(one(2, b"b"))
    persistence.abort_group()
    assert [k for k, _ in scan(persistence, T1, None)] == [b"a"]
    assert latest_ts(persistence) == 1
    persistence.commit(one(2, b"c"))  # outside a group again
    assert get(persistence, T1, b"c") == doc("c")
    assert get(persistence, T1, b"b") is None


def test_timestamps_must_rise_within_a_group(persistence: Persistence):
    persistence.begin_group()
    persistence.commit(one(5, b"a"))
    with pytest.raises(StaleCommitError):
        persistence.commit(one(5, b"b"))
    persistence.end_group()
    assert [c.ts for c in persistence.commits_after(0, 10)] == [5]
