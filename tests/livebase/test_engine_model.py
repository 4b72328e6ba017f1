"""Model-based tests: random operations through the engine, checked against plain Python.

The model of the ``notes`` table (tests/apps/model) is a dict from ID to document. Index order
is modelled independently of livebase.keys: a missing field sorts first, numbers by IEEE total
order (``-0.0 < 0.0``, NaN with the sign bit clear above ``+inf``), strings by code point, then
``_creationTime``.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from livebase import ConvexError, InvalidIdError, load_app
from livebase.engine.keys import encode_key, values_end
from livebase.testing import AppTester

APP = load_app(Path(__file__).resolve().parents[1] / "apps" / "model")

AUTHORS = ["alice", "bob", "carol"]
SCORES = st.sampled_from(
    [-math.inf, -1.5, -0.0, 0.0, 1.0, 2.0, 2.5, math.inf, math.nan, -math.nan]
) | st.integers(-3, 3).map(float)
MAYBE_SCORES = st.none() | SCORES
ORDERS = st.sampled_from(["asc", "desc"])
BODIES = st.text(st.sampled_from("xyz \x00é😀"), max_size=4)

MODEL_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the model's order -------------------------------------------------------------------


def _total_order(value: float) -> int:
    (bits,) = struct.unpack("<q", struct.pack("<d", value))
    return bits ^ ((1 << 63) - 1) if bits < 0 else bits


def score_key(doc: dict[str, Any]) -> tuple[int, int]:
    """A document's place by score: missing first, then numbers in total order."""
    return (0, 0) if "score" not in doc else (1, _total_order(doc["score"]))


def bound_key(value: float) -> tuple[int, int]:
    return (1, _total_order(value))


def canonical(value: Any) -> Any:
    """A form of a value where numbers compare by their float64 bits (NaN == NaN,
    -0.0 != 0.0, 2 == 2.0: integral numbers may be held as int)."""
    if isinstance(value, float) or (type(value) is int):
        return ("number", struct.pack("<d", float(value)))
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    return value


def assert_docs_equal(actual: Any, expected: Any) -> None:
    assert canonical(actual) == canonical(expected)


def in_score_range(doc: dict[str, Any], lo: float | None, hi: float | None) -> bool:
    key = score_key(doc)
    return (lo is None or key >= bound_key(lo)) and (hi is None or key < bound_key(hi))


def range_args(author: str | None, lo: float | None, hi: float | None, order: str) -> dict:
    args: dict[str, Any] = {"order": order}
    if author is not None:
        args["author"] = author
    if lo is not None:
        args["lo"] = lo
    if hi is not None:
        args["hi"] = hi
    return args


def note_fields(author: str, body: str, score: float | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"author": author, "body": body}
    if score is not None:
        fields["score"] = score
    return fields


# --- the state machine -------------------------------------------------------------------


class NotesModel(RuleBasedStateMachine):
    """Random writes and reads of one table, each compared with a dict of documents."""

    def __init__(self) -> None:
        super().__init__()
        self.tester = AppTester(APP)  # a fresh temporary database for every example
        self.model: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self.last_creation = -math.inf

    def teardown(self) -> None:
        self.tester.close()

    # --- helpers -----------------------------------------------------------------------
    def by_creation(self) -> list[dict[str, Any]]:
        return sorted(self.model.values(), key=lambda d: d["_creationTime"])

    def expected_range(
        self, author: str | None, lo: float | None, hi: float | None, order: str
    ) -> list[dict[str, Any]]:
        docs = [
            d
            for d in self.model.values()
            if (author is None or d["author"] == author) and in_score_range(d, lo, hi)
        ]
        docs.sort(key=lambda d: (score_key(d), d["_creationTime"]), reverse=order == "desc")
        return docs

    def pick_id(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(list(self.model)), label="id")

    def range_query(self, data: st.DataObject) -> tuple[str | None, Any, Any, str]:
        author = data.draw(st.none() | st.sampled_from(AUTHORS), label="author")
        lo = data.draw(st.none() | SCORES, label="lo")
        hi = data.draw(st.none() | SCORES, label="hi")
        order = data.draw(ORDERS, label="order")
        return author, lo, hi, order

    # --- writes ------------------------------------------------------------------------
    @initialize(docs=st.lists(st.tuples(st.sampled_from(AUTHORS), MAYBE_SCORES), max_size=4))
    def seed(self, docs: list[tuple[str, float | None]]) -> None:
        for author, score in docs:
            self.insert(author, "seed", score)

    @rule(author=st.sampled_from(AUTHORS), body=BODIES, score=MAYBE_SCORES)
    def insert(self, author: str, body: str, score: float | None) -> None:
        doc = self.tester.mutation("notes:insert", note_fields(author, body, score))
        assert doc["_id"] not in self.model
        assert doc["_creationTime"] > self.last_creation
        self.last_creation = doc["_creationTime"]
        expected = {
            "_id": doc["_id"],
            "_creationTime": doc["_creationTime"],
            **note_fields(author, body, score),
        }
        assert_docs_equal(doc, expected)
        self.model[doc["_id"]] = expected

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def patch(self, data: st.DataObject) -> None:
        doc_id = self.pick_id(data)
        author = data.draw(st.none() | st.sampled_from(AUTHORS), label="new author")
        change = data.draw(st.sampled_from(["keep", "set", "clear"]), label="score change")
        args: dict[str, Any] = {"id": doc_id}
        expected = dict(self.model[doc_id])
        if author is not None:
            args["author"] = author
            expected["author"] = author
        if change == "set":
            args["score"] = expected["score"] = data.draw(SCORES, label="new score")
        elif change == "clear":
            args["clear_score"] = True
            expected.pop("score", None)
        doc = self.tester.mutation("notes:patch", args)
        assert_docs_equal(doc, expected)
        self.model[doc_id] = expected

    @precondition(lambda self: self.model)
    @rule(data=st.data(), author=st.sampled_from(AUTHORS), body=BODIES, score=MAYBE_SCORES)
    def replace(self, data: st.DataObject, author: str, body: str, score: float | None) -> None:
        doc_id = self.pick_id(data)
        old = self.model[doc_id]
        fields = note_fields(author, body, score)
        doc = self.tester.mutation("notes:replace", {"id": doc_id, **fields})
        expected = {"_id": doc_id, "_creationTime": old["_creationTime"], **fields}
        assert_docs_equal(doc, expected)
        self.model[doc_id] = expected

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        doc_id = self.pick_id(data)
        assert self.tester.mutation("notes:delete", {"id": doc_id}) is None
        del self.model[doc_id]
        self.deleted.append(doc_id)

    @rule(author=st.sampled_from(AUTHORS), score=MAYBE_SCORES)
    def insert_then_fail(self, author: str, score: float | None) -> None:
        args: dict[str, Any] = {"author": author}
        if score is not None:
            args["score"] = score
        with pytest.raises(ConvexError) as info:
            self.tester.mutation("notes:insert_then_fail", args)
        assert info.value.data == {"code": "rolled back", "author": author}
        # the model is unchanged; the invariant checks the table is too

    @precondition(lambda self: self.model)
    @rule(data=st.data(), score=SCORES)
    def patch_then_fail(self, data: st.DataObject, score: float) -> None:
        doc_id = self.pick_id(data)
        with pytest.raises(ConvexError):
            self.tester.mutation("notes:patch_then_fail", {"id": doc_id, "score": score})
        assert_docs_equal(self.tester.query("notes:get", {"id": doc_id}), self.model[doc_id])

    @precondition(lambda self: self.deleted)
    @rule(data=st.data())
    def write_to_a_deleted_document(self, data: st.DataObject) -> None:
        doc_id = data.draw(st.sampled_from(self.deleted), label="deleted id")
        with pytest.raises(InvalidIdError):
            self.tester.mutation("notes:patch", {"id": doc_id, "clear_score": True})
        with pytest.raises(InvalidIdError):
            self.tester.mutation("notes:delete", {"id": doc_id})

    # --- reads -------------------------------------------------------------------------
    @precondition(lambda self: self.model or self.deleted)
    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        doc_id = data.draw(st.sampled_from([*self.model, *self.deleted]), label="id")
        assert_docs_equal(self.tester.query("notes:get", {"id": doc_id}), self.model.get(doc_id))

    @rule(author=st.sampled_from(AUTHORS))
    def by_author(self, author: str) -> None:
        actual = self.tester.query("notes:by_author", {"author": author})
        assert_docs_equal(actual, self.expected_range(author, None, None, "asc"))

    @rule(author=st.sampled_from(AUTHORS), n=st.integers(0, 4))
    def latest_by_author(self, author: str, n: int) -> None:
        actual = self.tester.query("notes:latest_by_author", {"author": author, "n": n})
        mine = [d for d in self.by_creation() if d["author"] == author]
        assert_docs_equal(actual, mine[::-1][:n])

    @rule(data=st.data())
    def score_range(self, data: st.DataObject) -> None:
        author, lo, hi, order = self.range_query(data)
        actual = self.tester.query("notes:score_range", range_args(author, lo, hi, order))
        assert_docs_equal(actual, self.expected_range(author, lo, hi, order))

    @rule(data=st.data(), n=st.integers(0, 5))
    def score_take(self, data: st.DataObject, n: int) -> None:
        author, lo, hi, order = self.range_query(data)
        args = {**range_args(author, lo, hi, order), "n": n}
        actual = self.tester.query("notes:score_take", args)
        assert_docs_equal(actual, self.expected_range(author, lo, hi, order)[:n])

    @rule(data=st.data())
    def score_first(self, data: st.DataObject) -> None:
        author, lo, hi, order = self.range_query(data)
        actual = self.tester.query("notes:score_first", range_args(author, lo, hi, order))
        expected = self.expected_range(author, lo, hi, order)
        assert_docs_equal(actual, expected[0] if expected else None)

    @rule(data=st.data())
    def paginate_through_a_range(self, data: st.DataObject) -> None:
        author, lo, hi, order = self.range_query(data)
        expected = self.expected_range(author, lo, hi, order)
        seen: list[dict[str, Any]] = []
        cursor = None
        for _ in range(len(expected) + 2):
            size = data.draw(st.integers(1, 4), label="page size")
            args = {
                **range_args(author, lo, hi, order),
                "paginationOpts": {"numItems": size, "cursor": cursor},
            }
            result = self.tester.query("notes:score_page", args)
            assert len(result["page"]) <= size
            seen.extend(result["page"])
            if result["isDone"]:
                break
            assert len(result["page"]) == size, "only the last page may be short"
            cursor = result["continueCursor"]
        else:
            pytest.fail(f"pagination did not finish after {len(expected) + 2} pages")
        ids = [d["_id"] for d in seen]
        assert len(ids) == len(set(ids)), "a document appeared on two pages"
        assert_docs_equal(seen, expected)

    @invariant()
    def the_table_in_creation_order_matches_the_model(self) -> None:
        assert_docs_equal(self.tester.query("notes:list_all"), self.by_creation())


NotesModel.TestCase.settings = MODEL_SETTINGS
test_random_operations_keep_the_engine_equal_to_a_dict_model = NotesModel.TestCase


# --- read sets of take(k) ----------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=st.lists(st.tuples(st.sampled_from(["alice", "bob"]), MAYBE_SCORES), max_size=8),
    author=st.sampled_from(["alice", "bob"]),
    k=st.integers(0, 5),
    order=ORDERS,
    probe=st.data(),
)
def test_take_reads_its_index_range_only_up_to_the_last_key_returned(
    docs: list[tuple[str, float | None]], author: str, k: int, order: str, probe: st.DataObject
) -> None:
    with AppTester(APP) as tester:
        runtime = tester.runtime
        stored = [tester.mutation("notes:insert", note_fields(a, "", s)) for a, s in docs]
        index = runtime.db.catalog.table("notes").indexes["by_author_score"]

        result = runtime.run_query("notes:score_take", {"author": author, "n": k, "order": order})
        returned = result.value
        mine = [d for d in stored if d["author"] == author]
        mine.sort(key=lambda d: (score_key(d), d["_creationTime"]), reverse=order == "desc")
        assert_docs_equal(returned, mine[:k])

        start = encode_key([author])
        end = values_end(start)
        last = index.key_of(returned[-1]) if returned else None

        def covered(key: bytes) -> bool:
            """Whether the query read this key: its range, cut at the k-th key by take(k)."""
            if k == 0 or not start <= key or (end is not None and key >= end):
                return False
            if len(returned) < k:  # the range was read to its end
                return True
            assert last is not None
            return key <= last if order == "asc" else key >= last

        read_set = result.read_set
        assert set(read_set.index_ids()) <= {index.id}
        for doc in stored:
            key = index.key_of(doc)
            assert read_set.contains(index.id, key) == covered(key), doc

        # A random write after the query: its write set overlaps the read set exactly when it
        # touches a key the query read, and always when it changes the query's answer.
        op = probe.draw(st.sampled_from(["insert", "patch", "delete"] if stored else ["insert"]))
        if op == "insert":
            new_author = probe.draw(st.sampled_from(["alice", "bob"]))
            new_score = probe.draw(MAYBE_SCORES)
            new = tester.mutation("notes:insert", note_fields(new_author, "", new_score))
            touched = [index.key_of(new)]
        else:
            target = probe.draw(st.sampled_from(stored))
            touched = [index.key_of(target)]
            if op == "patch":
                args = {"id": target["_id"], "score": probe.draw(SCORES)}
                args["author"] = probe.draw(st.sampled_from(["alice", "bob"]))
                new = tester.mutation("notes:patch", args)
                touched.append(index.key_of(new))
            else:
                tester.mutation("notes:delete", {"id": target["_id"]})
        writes = [entry.writes for entry in runtime.db.write_log.entries_after(result.ts)]
        assert len(writes) == 1
        assert sorted(writes[0][index.id]) == sorted(set(touched))
        overlaps = read_set.overlaps(writes[0])
        event(f"{op} {'overlaps' if overlaps else 'misses'} the read set")
        assert overlaps == any(covered(key) for key in touched)
        rerun = runtime.run_query("notes:score_take", {"author": author, "n": k, "order": order})
        if canonical(rerun.value) != canonical(returned):
            assert overlaps, "a write changed the query's result but not its read set"


# --- string ranges -----------------------------------------------------------------------

NAMES = st.text(st.sampled_from(["a", "b", "\x00", "\x01", "é"]), max_size=3)


def _compare(op: str, value: str, bound: str) -> bool:
    return {
        "eq": value == bound,
        "gt": value > bound,
        "gte": value >= bound,
        "lt": value < bound,
        "lte": value <= bound,
    }[op]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    authors=st.lists(NAMES, max_size=6),
    op=st.sampled_from(["eq", "gt", "gte", "lt", "lte"]),
    bound=NAMES,
)
def test_string_index_ranges_select_exactly_the_matching_values(
    authors: list[str], op: str, bound: str
) -> None:
    # Python compares str by code point, which is Convex's string order.
    with AppTester(APP) as tester:
        stored = [tester.mutation("notes:insert", note_fields(a, "", None)) for a in authors]
        actual = tester.query("notes:author_range", {"op": op, "author": bound})
    expected = [d for d in stored if _compare(op, d["author"], bound)]
    expected.sort(key=lambda d: ([ord(c) for c in d["author"]], d["_creationTime"]))
    assert [(d["author"], d["_id"]) for d in actual] == [(d["author"], d["_id"]) for d in expected]
