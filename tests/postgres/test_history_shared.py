"""Reads as of an earlier commit (``/api/query_at_ts``) when several processes share one
deployment: a process can undo its own commits (also grouped ones over PostgreSQL); another
process's commit ends how far back it reads."""

from __future__ import annotations

import threading

import pytest

from livebase import Runtime
from livebase.engine.history import HistoryUnavailable
from tests.conftest import APPS


def authors(rt: Runtime, ts: int) -> list[str]:
    return sorted(n["author"] for n in rt.run_query_at("notes:list_all", {}, ts).value)


def test_a_process_reads_as_of_each_of_its_commits_grouped_or_not(deployment):
    url, data = deployment
    rt = Runtime(APPS / "notes", data, db=url, shared=True)
    try:
        rt.run_mutation("notes:add_note", {"author": "a0", "body": "x"})
        start = rt.db.latest_ts
        threads = [
            threading.Thread(
                target=rt.run_mutation, args=("notes:add_note", {"author": f"t{i}", "body": "x"})
            )
            for i in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert authors(rt, start) == ["a0"]
        latest = rt.db.latest_ts
        rt.run_mutation("notes:add_note", {"author": "z", "body": "x"})
        assert authors(rt, latest) == ["a0"] + [f"t{i}" for i in range(6)]
    finally:
        rt.close()


def test_another_process_commit_bounds_how_far_back_a_process_reads(deployment):
    url, data = deployment
    a = Runtime(APPS / "notes", data, db=url, shared=True)
    b = Runtime(APPS / "notes", data, db=url, shared=True)
    try:
        a.run_mutation("notes:add_note", {"author": "a", "body": "x"})
        before = a.db.latest_ts
        b.run_mutation("notes:add_note", {"author": "b", "body": "x"})
        a.db.catch_up()
        with_b = a.db.latest_ts  # b's commit, as a learned of it
        a.run_mutation("notes:add_note", {"author": "c", "body": "x"})
        with pytest.raises(HistoryUnavailable):
            a.run_query_at("notes:list_all", {}, before)
        a.run_mutation("notes:add_note", {"author": "d", "body": "x"})
        assert authors(a, with_b) == ["a", "b"]
    finally:
        a.close()
        b.close()
