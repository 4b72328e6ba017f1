"""The interval tree and the read-set index against brute-force overlap checks (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from livebase.engine.intervals import Interval, IntervalTree
from livebase.engine.readset import ReadSet, ReadSetIndex

# why: a small alphabet and short keys, so that starts, ends, written keys and whole intervals
# coincide often (b"" is the lowest key; b"\x01" sits between b"\x00..." keys and b"\x02").
keys = st.lists(st.sampled_from(b"\x00\x01\x02\xff"), max_size=3).map(bytes)
ends = st.none() | keys


def overlaps(start: bytes, end: bytes | None, lo: bytes, hi: bytes | None) -> bool:
    """Whether ``[start, end)`` and ``[lo, hi)`` share a key (None: unbounded)."""
    highest_start = max(start, lo)
    uppers = [e for e in (end, hi) if e is not None]
    return not uppers or highest_start < min(uppers)


class TreeAgainstBruteForce(RuleBasedStateMachine):
    """Random adds, removes and stabs; every stab answers what a scan of all intervals does."""

    def __init__(self) -> None:
        super().__init__()
        self.tree: IntervalTree[int] = IntervalTree(seed=0)
        self.live: dict[int, tuple[bytes, bytes | None, Interval[int]]] = {}
        self.count = 0

    def _add(self, start: bytes, end: bytes | None) -> None:
        self.count += 1
        self.live[self.count] = (start, end, self.tree.add(start, end, self.count))

    def expected(self, lo: bytes, hi: bytes | None) -> list[int]:
        return sorted(v for v, (s, e, _) in self.live.items() if overlaps(s, e, lo, hi))

    @rule(start=keys, end=ends)
    def add(self, start: bytes, end: bytes | None) -> None:
        self._add(start, end)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def add_a_duplicate(self, data: st.DataObject) -> None:
        start, end, _ = self.live[data.draw(st.sampled_from(sorted(self.live)))]
        self._add(start, end)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        _, _, interval = self.live.pop(data.draw(st.sampled_from(sorted(self.live))))
        self.tree.remove(interval)

    @rule(key=keys)
    def stab_a_point(self, key: bytes) -> None:
        assert sorted(self.tree.stab(key)) == self.expected(key, key + b"\x00")

    @rule(lo=keys, hi=ends)
    def stab_a_range(self, lo: bytes, hi: bytes | None) -> None:
        assert sorted(self.tree.overlapping(lo, hi)) == self.expected(lo, hi)

    @invariant()
    def keeps_its_invariant(self) -> None:
        self.tree.check()
        assert len(self.tree) == sum(1 for s, e, _ in self.live.values() if e is None or s < e)


TreeAgainstBruteForce.TestCase.settings = settings(
    max_examples=200, stateful_step_count=60, deadline=None
)
test_the_tree_finds_exactly_the_intervals_a_brute_force_check_finds = TreeAgainstBruteForce.TestCase


def test_the_tree_stays_shallow_when_intervals_arrive_in_key_order():
    tree: IntervalTree[int] = IntervalTree(seed=1)
    handles = [tree.add(b"%06d" % i, b"%06d\x00" % i, i) for i in range(4096)]
    for handle in handles[::2]:
        tree.remove(handle)

    def depth(node: Interval[int] | None) -> int:
        return 0 if node is None else 1 + max(depth(node.left), depth(node.right))

    assert depth(tree._root) <= 4 * math.log2(len(tree))
    assert tree.stab(b"%06d" % 7) == [7] and tree.stab(b"%06d" % 8) == []


reads = st.lists(
    st.tuples(st.sampled_from([1, 2]), keys, ends | st.just("point")), min_size=0, max_size=4
)
owner_ops = st.lists(
    st.tuples(st.sampled_from(["set", "drop"]), st.integers(0, 5), reads), max_size=30
)
write_sets = st.dictionaries(st.sampled_from([1, 2, 3]), st.lists(keys, max_size=4), max_size=3)


def read_set_of(intervals: list[tuple[int, bytes, bytes | str | None]]) -> ReadSet:
    read_set = ReadSet()
    for index_id, start, end in intervals:
        if end == "point":
            read_set.add_point(index_id, start)
        else:
            assert not isinstance(end, str)
            read_set.add(index_id, start, end)
    return read_set


@settings(max_examples=300, deadline=None)
@given(owner_ops, st.lists(write_sets, min_size=1, max_size=5))
def test_a_read_set_index_finds_exactly_the_owners_a_write_set_touches(ops, writes):
    index: ReadSetIndex[int] = ReadSetIndex()
    model: dict[int, ReadSet] = {}
    for kind, owner, intervals in ops:
        if kind == "set":
            model[owner] = read_set_of(intervals)
            index.add(owner, model[owner])
        else:
            model.pop(owner, None)
            index.discard(owner)
        for write_set in writes:
            touched = {o for o, read_set in model.items() if read_set.overlaps(write_set)}
            assert index.touched_by(write_set) == touched
    assert len(index) == len(model) and all(owner in index for owner in model)
    for owner in list(model):
        index.discard(owner)
    assert index._trees == {}
