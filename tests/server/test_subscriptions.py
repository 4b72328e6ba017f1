"""Live query entries against a fresh re-run after every commit (hypothesis)."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase import Runtime
from livebase.engine import values
from livebase.server.protocol import dumps
from livebase.server.subscriptions import EntryKey, QueryEntry, SubscriptionManager
from tests.conftest import APPS

AUTHORS = ["ann", "bob"]
QUERIES = [
    ("notes:byAuthor", {"author": "ann"}),
    ("notes:byAuthor", {"author": "bob"}),
    ("notes:listAll", {}),
    ("notes:scored", {"author": "ann", "min": 2}),
    ("notes:page", {"paginationOpts": {"numItems": 2, "cursor": None}}),
    ("counters:get", {"name": "c"}),
    ("notes:search", {"text": "b"}),
    ("notes:search", {"text": "blue sky", "author": "ann"}),
    ("notes:search", {"text": "e", "limit": 2}),
    ("notes:searchPage", {"text": "sky", "paginationOpts": {"numItems": 2, "cursor": None}}),
]
BODIES = ["b", "e", "blue", "sky blue", "bed", "sky sky", "else"]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(AUTHORS), st.integers(0, 6)),
        st.tuples(st.just("edit"), st.integers(0, 30), st.integers(0, 6)),
        st.tuples(st.just("remove"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("count"), st.just(""), st.just(0)),
        st.tuples(st.just("fail"), st.sampled_from(AUTHORS), st.just(0)),
    ),
    max_size=25,
)


class Recorder:
    def __init__(self) -> None:
        self.changed: list[QueryEntry] = []

    def entry_changed(self, entry: QueryEntry) -> None:
        self.changed.append(entry)


def fresh_json(runtime: Runtime, entry: QueryEntry) -> str:
    result = runtime.run_query(entry.path, entry.args, journal=entry.journal)
    return dumps(values.to_convex_json(result.value))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_every_live_entry_equals_a_fresh_run_after_every_commit(ops):
    tmp = tempfile.mkdtemp()
    runtime = Runtime(APPS / "notes", tmp)
    try:
        manager = SubscriptionManager(runtime)
        recorder = Recorder()
        entries = [manager.acquire(p, a, None, None, recorder) for p, a in QUERIES]
        ids: list[str] = []
        for kind, arg, score in ops:
            try:
                if kind == "add":
                    ids.append(
                        runtime.run_mutation(
                            "notes:addNote",
                            {"author": arg, "body": BODIES[score], "score": score},
                        ).value
                    )
                elif kind == "edit" and ids:
                    runtime.run_mutation(
                        "notes:edit", {"id": ids[arg % len(ids)], "body": BODIES[score]}
                    )
                elif kind == "remove" and ids:
                    runtime.run_mutation("notes:remove", {"id": ids.pop(arg % len(ids))})
                elif kind == "count":
                    runtime.run_mutation("counters:increment", {"name": "c"})
                elif kind == "fail":
                    runtime.run_mutation("notes:addThenFail", {"author": arg})
            except Exception as exc:
                assert kind == "fail", exc
            before = {id(e): e.value_json for e in entries}
            recorder.changed.clear()
            # as the server's update cycle does: a commit that touched no read set moves the
            # manager on without the lane; otherwise catch_up re-runs what it touched
            if not manager.fast_forward():
                manager.catch_up()
            assert manager.ts == runtime.db.latest_ts
            for entry in entries:
                assert entry.value_json == fresh_json(runtime, entry), entry.path
                # subscribers hear of exactly the entries whose value changed
                assert (entry in recorder.changed) == (before[id(entry)] != entry.value_json)
    finally:
        runtime.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_only_entries_whose_reads_a_commit_touched_are_rerun(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        manager = SubscriptionManager(runtime)
        recorder = Recorder()
        ann = manager.acquire("notes:byAuthor", {"author": "ann"}, None, None, recorder)
        bob = manager.acquire("notes:byAuthor", {"author": "bob"}, None, None, recorder)
        counter = manager.acquire("counters:get", {"name": "c"}, None, None, recorder)
        runs = manager.reruns
        runtime.run_mutation("notes:addNote", {"author": "bob", "body": "x"})
        manager.catch_up()
        assert manager.reruns == runs + 1 and recorder.changed == [bob]
        runtime.run_mutation("counters:increment", {"name": "other"})
        manager.catch_up()
        # the counter query read the by_name range for "c" only: "other" does not touch it
        assert manager.reruns == runs + 1
        assert ann.version == counter.version == 1


def test_a_search_is_rerun_only_by_commits_that_touch_its_terms(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        manager = SubscriptionManager(runtime)
        recorder = Recorder()
        apples = manager.acquire("notes:search", {"text": "apple pie"}, None, None, recorder)
        runs = manager.reruns
        runtime.run_mutation("notes:addNote", {"author": "ann", "body": "banana bread"})
        manager.catch_up()
        assert manager.reruns == runs and apples.version == 1
        found = runtime.run_mutation(
            "notes:addNote", {"author": "ann", "body": "apple crumble"}
        ).value
        manager.catch_up()
        assert manager.reruns == runs + 1 and recorder.changed == [apples]
        assert '"apple crumble"' in apples.value_json
        # the last term matches as a prefix: "piecrust" starts with "pie"
        runtime.run_mutation("notes:addNote", {"author": "bob", "body": "piecrust"})
        manager.catch_up()
        assert manager.reruns == runs + 2 and '"piecrust"' in apples.value_json
        # an edit that takes the term away, and a removal, update it too
        runtime.run_mutation("notes:edit", {"id": found, "body": "pear crumble"})
        manager.catch_up()
        assert "crumble" not in apples.value_json and '"piecrust"' in apples.value_json
        assert apples.value_json == fresh_json(runtime, apples)


def test_fast_forward_moves_on_only_when_no_live_query_read_what_changed(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        manager = SubscriptionManager(runtime)
        recorder = Recorder()
        counter = manager.acquire("counters:get", {"name": "c"}, None, None, recorder)
        runs = manager.reruns
        runtime.run_mutation("counters:increment", {"name": "other"})
        assert manager.fast_forward()
        assert manager.ts == runtime.db.latest_ts and manager.reruns == runs
        runtime.run_mutation("counters:increment", {"name": "c"})
        before = manager.ts
        assert not manager.fast_forward()
        assert manager.ts == before  # left for catch_up, which re-runs the counter
        manager.catch_up()
        assert manager.reruns == runs + 1 and recorder.changed == [counter]
        assert manager.fast_forward()  # nothing new since


def test_entries_are_shared_and_dropped_with_their_last_subscriber(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        manager = SubscriptionManager(runtime)
        first, second = Recorder(), Recorder()
        a = manager.acquire("notes:listAll", {}, None, None, first)
        b = manager.acquire("notes:listAll", {}, None, None, second)
        assert a is b and len(manager.entries) == 1
        other_user = manager.acquire("notes:listAll", {}, {"subject": "u"}, None, first)
        assert other_user is not a
        manager.release(a, first, still_used=False)
        manager.release(other_user, first, still_used=False)
        assert len(manager.entries) == 1
        manager.release(b, second, still_used=False)
        assert manager.entries == {}


class EntriesNotToVisit(dict[EntryKey, QueryEntry]):
    """The manager's entries, refusing to be walked: a commit must find its entries directly."""

    def _refuse(self, *args: object) -> Any:
        raise AssertionError("visited every live query entry")

    __iter__ = keys = values = items = _refuse  # type: ignore[assignment]


def test_a_commit_finds_the_entries_it_touches_without_visiting_the_others(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        manager = SubscriptionManager(runtime)
        recorder = Recorder()
        for i in range(200):
            manager.acquire("notes:byAuthor", {"author": f"idle-{i}"}, None, None, recorder)
        bob = manager.acquire("notes:byAuthor", {"author": "bob"}, None, None, recorder)
        manager.entries = EntriesNotToVisit(manager.entries)
        runs = manager.reruns
        runtime.run_mutation("notes:addNote", {"author": "bob", "body": "x"})
        manager.catch_up()
        assert recorder.changed == [bob] and manager.reruns == runs + 1
        assert bob.value_json == fresh_json(runtime, bob)


def test_an_entry_made_after_a_commit_not_yet_caught_up_agrees_with_the_others_after(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        manager = SubscriptionManager(runtime)
        recorder = Recorder()
        ann = manager.acquire("notes:byAuthor", {"author": "ann"}, None, None, recorder)
        runtime.run_mutation("notes:addNote", {"author": "ann", "body": "x"})
        late = manager.acquire("notes:listAll", {}, None, None, recorder)
        assert late.ts > manager.ts  # it saw a commit the manager has not caught up with
        manager.catch_up()
        assert manager.ts == runtime.db.latest_ts
        assert recorder.changed == [ann]
        for entry in (ann, late):
            assert entry.value_json == fresh_json(runtime, entry)
