"""Group commit: mutations of one process that commit at the same time share one storage
transaction (``SharedCommitter``), and each still gets exactly its own result: its own
timestamp, its own OCC check, its own error."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase import Runtime
from livebase.engine.commit_feed import CommitFeed
from livebase.engine.committer import SharedCommitter
from livebase.engine.errors import OccConflictError
from livebase.engine.store import Commit, LoggedCommit, StaleCommitError
from livebase.persistence import MemoryPersistence, open_persistence
from tests import pgsupport
from tests.conftest import APPS
from tests.postgres.test_many_runtimes import open_runtimes, wait_until


class Groups:
    """Wraps a runtime's ``commit_serialized`` to record how many commits each storage
    transaction wrote; ``delay`` holds each one open a little, so that commits queue."""

    def __init__(self, rt: Runtime, delay: float = 0.0) -> None:
        self.sizes: list[int] = []
        persistence = rt.db.persistence
        inner = persistence.commit_serialized

        def commit_serialized(since: int, prepare: Callable[..., list[Commit]]) -> list[Commit]:
            def slow_prepare(entries: list[LoggedCommit], latest: int) -> list[Commit]:
                time.sleep(delay)
                return prepare(entries, latest)

            written = inner(since, slow_prepare)
            self.sizes.append(len(written))
            return written

        persistence.commit_serialized = commit_serialized  # type: ignore[method-assign]


def in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call on a thread of its own; their results (or exceptions), in order."""
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def queued(rt: Runtime, n: int) -> None:
    """Wait until ``n`` commits wait in the committer's queue."""
    wait_until(lambda: len(rt.db.committer._queue) >= n)  # type: ignore[attr-defined]


def test_concurrent_mutations_share_transactions_and_every_one_counts(deployment):
    url, data = deployment
    a, b = open_runtimes(url, data, 2)
    groups = Groups(a, delay=0.002)
    threads, each = 8, 20

    def bump() -> list[int]:
        return [a.run_mutation("counters:increment", {"name": "hits"}).ts for _ in range(each)]

    def add(i: int) -> Callable[[], list[int]]:
        return lambda: [
            a.run_mutation("notes:add_note", {"author": f"t{i}", "body": str(n)}).ts
            for n in range(each)
        ]

    try:
        results = in_threads([bump] * threads + [add(i) for i in range(threads)])
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        stamps = sorted(ts for r in results for ts in r)
        assert len(set(stamps)) == 2 * threads * each  # every commit its own timestamp
        assert max(groups.sizes) > 1  # commits did share transactions
        assert sum(groups.sizes) == 2 * threads * each
        # the other process (as a second server would) sees every commit, in order
        wait_until(lambda: b.db.latest_ts >= stamps[-1])
        assert b.run_query("counters:get", {"name": "hits"}).value == threads * each
        for i in range(threads):
            assert len(b.run_query("notes:by_author", {"author": f"t{i}"}).value) == each
        logged = b.db.persistence.commits_since(stamps[0] - 1)
        assert [c.ts for c in logged if c.ts in set(stamps)] == stamps
    finally:
        a.close()
        b.close()


def test_two_commits_in_one_group_that_conflict_the_second_runs_again(deployment):
    url, data = deployment
    (rt,) = open_runtimes(url, data, 1)
    try:
        rt.run_mutation("counters:increment", {"name": "n"})
        committer = rt.db.committer
        with committer.lock:  # type: ignore[attr-defined]
            pending = in_threads_async(
                [lambda: rt.run_mutation("counters:increment", {"name": "n"})] * 2
            )
            queued(rt, 2)  # both ran on the same snapshot and wait to commit together
        first, second = sorted(pending(), key=lambda r: r.ts)
        assert (first.value, first.attempts) == (2, 1)
        assert (second.value, second.attempts) == (3, 2)  # refused in the group, then re-run
        assert rt.run_query("counters:get", {"name": "n"}).value == 3
    finally:
        rt.close()


def test_a_commit_that_fails_to_build_fails_alone(deployment):
    url, data = deployment
    (rt,) = open_runtimes(url, data, 1)
    try:
        committer = rt.db.committer

        def broken(ts: int) -> Commit | None:
            raise ValueError("this commit cannot be built")

        with committer.lock:  # type: ignore[attr-defined]
            pending = in_threads_async(
                [
                    lambda: rt.run_mutation("notes:add_note", {"author": "ada", "body": "1"}),
                    lambda: committer.commit(broken),
                    lambda: rt.run_mutation("notes:add_note", {"author": "ada", "body": "2"}),
                ]
            )
            queued(rt, 3)
        before, failed, after = pending()
        assert isinstance(failed, ValueError) and "cannot be built" in str(failed)
        assert before.attempts == after.attempts == 1
        bodies = [n["body"] for n in rt.run_query("notes:by_author", {"author": "ada"}).value]
        assert sorted(bodies) == ["1", "2"]
    finally:
        rt.close()


def test_a_commit_inside_an_exclusive_block_goes_alone(deployment):
    url, data = deployment
    (rt,) = open_runtimes(url, data, 1)
    groups = Groups(rt)
    try:
        with rt.db.exclusive():
            outside = in_threads_async(
                [lambda: rt.run_mutation("counters:increment", {"name": "x"})]
            )
            queued(rt, 1)
            inside = rt.run_mutation("counters:increment", {"name": "x"})
            time.sleep(0.05)
            assert rt.db.committer._queue  # type: ignore[attr-defined]  # still waiting
        (late,) = outside()
        # the inside commit went alone; the outside one, queued before it, came after the
        # block (its first try read x before the inside commit, so it conflicted and re-ran)
        assert groups.sizes[0] == 1 and [n for n in groups.sizes if n] == [1, 1]
        assert (inside.value, late.value) == (1, 2) and late.ts > inside.ts
    finally:
        rt.close()


def test_a_group_is_written_whole_or_not_at_all(deployment):
    """The storage side: ``commit_serialized`` writes every commit it is given in one
    transaction; one it must refuse (a timestamp out of order) leaves none written."""
    url, _ = deployment
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    persistence = open_persistence(url, shared=True)
    try:
        start = persistence.commits_since(0)
        latest = start[-1].ts if start else 0

        def commit(ts: int, key: bytes) -> Commit:
            return Commit(ts, documents=[(9, key, '{"a": 1}')], write_set={0: [key]})

        with pytest.raises(StaleCommitError):
            persistence.commit_serialized(
                latest, lambda entries, head: [commit(head + 10, b"k1"), commit(head + 5, b"k2")]
            )
        assert persistence.commits_since(latest) == []
        snap = persistence.snapshot()
        try:
            assert snap.get(9, b"k1") is None and snap.get(9, b"k2") is None
        finally:
            snap.close()
        written = persistence.commit_serialized(
            latest, lambda entries, head: [commit(head + 5, b"k1"), commit(head + 10, b"k2")]
        )
        assert [c.ts for c in persistence.commits_since(latest)] == [c.ts for c in written]
        snap = persistence.snapshot()
        try:
            assert snap.get(9, b"k1") == snap.get(9, b"k2") == '{"a": 1}'
            assert snap.ts == written[-1].ts
        finally:
            snap.close()
    finally:
        persistence.close()


def in_threads_async(calls: list[Callable[[], Any]]) -> Callable[[], list[Any]]:
    """Start each call on a thread of its own; returns a function that waits for their
    results (or exceptions), in order."""
    box: list[list[Any]] = []
    runner = threading.Thread(target=lambda: box.append(in_threads(calls)))
    runner.start()

    def results() -> list[Any]:
        runner.join(120)
        return box[0]

    return results


def test_conflicts_are_still_refused_across_a_group_and_another_process(deployment):
    """A transaction in a group whose read another process's commit overwrote is refused,
    while the rest of its group commits."""
    url, data = deployment
    a, b = open_runtimes(url, data, 2)
    try:
        a._following.clear()  # a learns of b's commit only when it commits
        a.run_mutation("counters:increment", {"name": "n"})
        wait_until(lambda: b.run_query("counters:get", {"name": "n"}).value == 1)
        txn = a.db.begin(writable=True)
        doc = txn.first_by_index("counters", "by_name", "n")  # reads n at 1
        assert doc is not None
        txn.patch(doc["_id"], {"value": 100})
        txn.close()
        b.run_mutation("counters:increment", {"name": "n"})  # n = 2, a has not heard
        with a.db.committer.lock:  # type: ignore[attr-defined]
            pending = in_threads_async(
                [
                    lambda: a.db.commit(txn),
                    lambda: a.run_mutation("notes:add_note", {"author": "x", "body": "y"}),
                ]
            )
            queued(a, 2)
        stale, note = pending()
        assert isinstance(stale, OccConflictError)
        assert note.attempts == 1
        assert b.run_query("counters:get", {"name": "n"}).value == 2
    finally:
        a.close()
        b.close()


def test_every_caller_gets_its_own_commit_even_when_the_queue_outgrows_a_group(deployment):
    """Locks are not first-come first-served: a thread may get the committer while its own
    request waits beyond the first group. It commits groups until its own is written."""
    url, data = deployment
    (rt,) = open_runtimes(url, data, 1)
    committer = rt.db.committer
    committer._max_group = 1  # type: ignore[attr-defined]  # any queue outgrows it
    try:
        with committer.lock:  # type: ignore[attr-defined]
            pending = in_threads_async(
                [
                    lambda: rt.run_mutation("notes:add_note", {"author": "q", "body": "a"}),
                    lambda: rt.run_mutation("notes:add_note", {"author": "q", "body": "b"}),
                ]
            )
            queued(rt, 2)
            # this thread holds the lock (it is re-entrant) and queues last
            mine = rt.run_mutation("notes:add_note", {"author": "q", "body": "c"})
            assert "c" in [n["body"] for n in notes_of(rt, "q")]  # written when it returned
        a, b = pending()
        assert sorted(n["body"] for n in notes_of(rt, "q")) == ["a", "b", "c"]
        assert max(a.ts, b.ts) < mine.ts  # queue order: they were first
    finally:
        rt.close()


def notes_of(rt: Runtime, author: str) -> list[dict[str, Any]]:
    return list(rt.run_query("notes:by_author", {"author": author}).value)


def test_a_commit_the_database_refuses_fails_alone_and_its_group_lands(pg_deployment):
    """PostgreSQL refuses an index key over its B-tree limit (2,704 bytes) at write time:
    the group's transaction rolls back, and each member is written again alone."""
    url, data = pg_deployment
    (rt,) = open_runtimes(url, data, 1)
    too_long = os.urandom(4000).hex()  # random: a compressed key would fit
    try:
        with rt.db.committer.lock:  # type: ignore[attr-defined]
            pending = in_threads_async(
                [
                    lambda: rt.run_mutation("notes:add_note", {"author": "ada", "body": "1"}),
                    lambda: rt.run_mutation("notes:add_note", {"author": too_long, "body": "2"}),
                    lambda: rt.run_mutation("notes:add_note", {"author": "bob", "body": "3"}),
                ]
            )
            queued(rt, 3)
        ada, refused, bob = pending()
        assert isinstance(refused, Exception) and "index row size" in str(refused)
        assert ada.attempts == bob.attempts == 1 and ada.ts != bob.ts
        assert [n["body"] for n in notes_of(rt, "ada")] == ["1"]
        assert [n["body"] for n in notes_of(rt, "bob")] == ["3"]
        assert notes_of(rt, too_long) == []
    finally:
        rt.close()


def test_storage_that_cannot_write_a_group_whole_commits_one_at_a_time():
    """A persistence without ``atomic_groups`` (the default ``commit_serialized`` writes one
    commit after another) gets one commit per call: a failing commit cannot take commits
    already durable down with it, unpublished."""
    persistence = MemoryPersistence()
    persistence.multi_writer = True
    committer = SharedCommitter(persistence, CommitFeed(0))
    write = persistence.commit

    def commit(c: Commit) -> None:
        if c.documents[0][1] == b"bad":
            raise OSError("disk full")
        write(c)

    persistence.commit = commit  # type: ignore[method-assign]

    def run(key: bytes) -> Callable[[], Any]:
        return lambda: committer.commit(
            lambda ts: Commit(ts, documents=[(9, key, "{}")], write_set={0: [key]})
        )

    with committer.lock:
        pending = in_threads_async([run(b"good"), run(b"bad")])
        wait_until(lambda: len(committer._queue) == 2)
    good, bad = pending()
    assert isinstance(bad, OSError)
    assert isinstance(good, Commit)
    assert [e.ts for e in persistence.commits_after(0, 10)] == [good.ts]
    assert committer.feed.ts == good.ts  # published


NAMES = ["a", "b", "c", "d"]
transaction = st.tuples(
    st.lists(st.sampled_from(NAMES), max_size=3, unique=True),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True),
)


@pytest.fixture(scope="module")
def shared_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """One runtime over a SQLite file shared as by ``--workers`` (so commits group)."""
    root = tmp_path_factory.mktemp("grouped")
    runtime = Runtime(
        APPS / "notes", root / "data", db=f"sqlite:///{root / 'db.sqlite3'}", shared=True
    )
    yield runtime
    runtime.close()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(transaction, min_size=2, max_size=8), st.integers(0, 10**9))
def test_grouped_commits_are_serializable_in_timestamp_order(shared_runtime, txns, salt):
    """Transactions that commit in groups equal running them one by one in commit order:
    each read what the ones before it (by timestamp) wrote, and the end state is theirs."""
    rt = shared_runtime
    prefix = f"{salt}-{uuid.uuid4().hex[:6]}-"
    calls = [
        (lambda r=r, w=w, i=i: rt.run_mutation(
            "counters:transfer",
            {"reads": [prefix + n for n in r], "writes": [prefix + n for n in w], "stamp": i + 1},
        ))
        for i, (r, w) in enumerate(txns)
    ]  # fmt: skip
    with rt.db.committer.lock:  # type: ignore[attr-defined]
        pending = in_threads_async(calls)
        deadline = time.monotonic() + 5
        while len(rt.db.committer._queue) < len(calls) and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.002)
    results = pending()
    assert [r for r in results if isinstance(r, BaseException)] == []
    model: dict[str, float] = {}
    for i in sorted(range(len(txns)), key=lambda i: results[i].ts):
        reads, writes = txns[i]
        assert results[i].value == {prefix + n: model.get(n, 0) for n in reads}
        for n in writes:
            model[n] = i + 1
    for n in NAMES:
        stored = rt.run_query("counters:get", {"name": prefix + n}).value
        assert stored == model.get(n)


@pytest.fixture(scope="module")
def two_processes() -> Iterator[tuple[Runtime, Runtime]]:
    """Two runtimes over one PostgreSQL deployment, as two server processes."""
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    root = Path(tempfile.mkdtemp(prefix="grouped-pg-"))
    a, b = (Runtime(APPS / "notes", root / name, db=url) for name in ("a", "b"))
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        pgsupport.drop_schema(schema)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(transaction, st.booleans()), min_size=2, max_size=8), st.integers(0, 10**9)
)
def test_groups_of_two_processes_are_serializable_in_timestamp_order(two_processes, txns, salt):
    """The same across two processes over PostgreSQL, each committing its own groups."""
    prefix = f"{salt}-{uuid.uuid4().hex[:6]}-"
    calls = [
        (lambda rt=two_processes[on_b], r=r, w=w, i=i: rt.run_mutation(
            "counters:transfer",
            {"reads": [prefix + n for n in r], "writes": [prefix + n for n in w], "stamp": i + 1},
        ))
        for i, ((r, w), on_b) in enumerate(txns)
    ]  # fmt: skip
    a, b = two_processes
    with a.db.committer.lock, b.db.committer.lock:  # type: ignore[attr-defined]
        pending = in_threads_async(calls)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (
            len(a.db.committer._queue) + len(b.db.committer._queue) < len(calls)  # type: ignore[attr-defined]
        ):
            time.sleep(0.002)
    results = pending()
    assert [r for r in results if isinstance(r, BaseException)] == []
    model: dict[str, float] = {}
    for i in sorted(range(len(txns)), key=lambda i: results[i].ts):
        (reads, writes), _ = txns[i]
        assert results[i].value == {prefix + n: model.get(n, 0) for n in reads}
        for n in writes:
            model[n] = i + 1
    wait_until(lambda: a.db.latest_ts >= max(r.ts for r in results))
    for n in NAMES:
        assert a.run_query("counters:get", {"name": prefix + n}).value == model.get(n)
