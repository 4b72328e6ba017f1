"""An interval tree over byte-string keys: which stored intervals a key or a key range touches.

Live queries read, per index, half-open key intervals ``[start, end)`` (``end=None``: no upper
bound); a commit writes keys. To find the live queries a commit touches without visiting every
one, each index keeps its read intervals in an :class:`IntervalTree` and every written key
*stabs* it.

The tree is a priority search tree laid over a treap:

- **Shape.** One node per interval, in binary-search-tree order of ``(start, seq)`` (``seq``, an
  insertion counter, tells equal starts apart), balanced as a treap: a random priority per node,
  heap-ordered, so the depth is O(log S) expected for S intervals.
- **Slots.** Every interval is held in exactly one slot: the ``top`` slot of a node on the path
  from the root to its own node, or its own node's ``own`` slot. A node's ``top`` holds, of the
  intervals of its subtree not held in an ancestor's ``top``, one that ends last; it is empty
  only when there are none. So ends never grow going down ``top`` slots (a max-heap on ends),
  and an empty ``top`` means an empty subtree below.

Invariant (``IntervalTree.check`` verifies it): both orders above hold, and every interval added
and not removed is held in exactly one slot.

A query for ``[lo, hi)`` walks down from the root. Below a node whose ``top`` ends at or before
``lo``, every interval held ends there too: the walk stops. It goes right of a node only if the
node starts before ``hi``. So a node it visits either reports its ``top``, or is one of the (at
most two) children where the walk stops below a node that did, or lies along the search path
of ``hi``: a query costs O(log S + k) for the k intervals it finds (log S: the expected depth).
Adding or removing an interval costs O(log S) expected: a treap insertion or deletion does
O(1) rotations expected, and each rotation repairs the two ``top`` slots it disturbs along one
path.

Empty intervals (``end <= start``) contain no key: they are accepted and never found.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Interval(Generic[T]):
    """One stored interval ``[start, end)`` with its value; the handle ``remove`` takes."""

    __slots__ = (
        "end",
        "left",
        "linked",
        "own",
        "priority",
        "right",
        "seq",
        "start",
        "top",
        "value",
    )

    def __init__(
        self, start: bytes, end: bytes | None, value: T, seq: int, priority: float
    ) -> None:
        self.start = start
        self.end = end
        self.value = value
        self.seq = seq
        self.priority = priority
        self.left: Interval[T] | None = None
        self.right: Interval[T] | None = None
        self.top: Interval[T] | None = None  # see the module docstring: the subtree's last end
        self.own = False  # this node's interval is held here, in no ``top`` slot
        self.linked = False  # in a tree (empty intervals never are)

    def __repr__(self) -> str:
        return f"Interval({self.start!r}, {self.end!r}, {self.value!r})"


def _ends_later(a: bytes | None, b: bytes | None) -> bool:
    """Whether an interval ending at ``a`` ends after one ending at ``b`` (None: unbounded)."""
    if a is None:
        return b is not None
    return b is not None and a > b


def _before(a: Interval[T], b: Interval[T]) -> bool:
    """Whether ``a`` comes before ``b`` in the tree's order."""
    return a.start < b.start or (a.start == b.start and a.seq < b.seq)


class IntervalTree(Generic[T]):
    """Intervals ``[start, end)`` of byte-string keys, each with a value; finds those a key or a
    range overlaps in O(log S + found), adds and removes in O(log S) expected."""

    def __init__(self, seed: int | None = None) -> None:
        self._root: Interval[T] | None = None
        self._size = 0
        self._seq = 0
        self._random = random.Random(seed)

    def __len__(self) -> int:
        return self._size

    # --- queries -----------------------------------------------------------------------
    def stab(self, key: bytes) -> list[T]:
        """The values of the intervals containing ``key``."""
        return self.overlapping(key, key + b"\x00")

    def overlapping(self, lo: bytes, hi: bytes | None) -> list[T]:
        """The values of the intervals sharing a key with ``[lo, hi)`` (``hi=None``: unbounded)."""
        found: list[T] = []
        if self._root is None or (hi is not None and hi <= lo):
            return found
        stack = [self._root]
        while stack:
            node = stack.pop()
            top = node.top
            if top is None or (top.end is not None and top.end <= lo):
                continue  # every interval held below ends by ``lo``
            if hi is None or top.start < hi:
                found.append(top.value)
            if node.own and (hi is None or node.start < hi) and (node.end is None or node.end > lo):
                found.append(node.value)
            if node.left is not None:
                stack.append(node.left)
            if node.right is not None and (hi is None or node.start < hi):
                stack.append(node.right)
        return found

    def __iter__(self) -> Iterator[Interval[T]]:
        """Every interval in the tree, in order of start."""
        stack: list[Interval[T]] = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            yield node
            node = node.right

    # --- changes -----------------------------------------------------------------------
    def add(self, start: bytes, end: bytes | None, value: T) -> Interval[T]:
        """Store ``[start, end)`` with ``value``; returns the handle to remove it with."""
        self._seq += 1
        node = Interval(start, end, value, self._seq, self._random.random())
        if end is not None and end <= start:
            return node  # contains no key: nothing to find it by
        node.linked = True
        self._size += 1
        path: list[Interval[T]] = []
        parent = self._root
        while parent is not None:
            path.append(parent)
            parent = parent.left if _before(node, parent) else parent.right
        if not path:
            self._root = node
        elif _before(node, path[-1]):
            path[-1].left = node
        else:
            path[-1].right = node
        while path and path[-1].priority < node.priority:
            below = path.pop()
            self._rotate_up(node, below, path[-1] if path else None)
        assert self._root is not None
        self._sift_down(self._root, node)
        return node

    def remove(self, node: Interval[T]) -> None:
        """Remove an interval ``add`` returned; removing it again, or an empty one, does nothing."""
        if not node.linked:
            return
        path = self._path_to(node)
        if node.own:
            node.own = False
        else:
            # why: an interval not in its own slot is in the ``top`` of a node on its path.
            holder = next(n for n in (*path, node) if n.top is node)
            holder.top = None
            self._fill(holder)
        parent = path[-1] if path else None
        while node.left is not None or node.right is not None:
            if node.left is None or (
                node.right is not None and node.right.priority > node.left.priority
            ):
                child = node.right
            else:
                child = node.left
            assert child is not None
            self._rotate_up(child, node, parent)
            parent = child
        if parent is None:
            self._root = None
        elif parent.left is node:
            parent.left = None
        else:
            parent.right = None
        node.linked = False
        self._size -= 1

    # --- the repairs -------------------------------------------------------------------
    def _path_to(self, node: Interval[T]) -> list[Interval[T]]:
        """The nodes from the root down to ``node``'s parent."""
        path = []
        at = self._root
        while at is not node:
            if at is None:
                raise KeyError(node)
            path.append(at)
            at = at.left if _before(node, at) else at.right
        return path

    def _sift_down(self, at: Interval[T], item: Interval[T]) -> None:
        """Hold ``item`` (held nowhere, in ``at``'s subtree, ending no later than the ``top``
        of any node above ``at``) in the first slot down its path where it ends last."""
        while True:
            top = at.top
            if top is None:
                at.top = item
                return
            if _ends_later(item.end, top.end):
                at.top, item = item, top
            if item is at:
                at.own = True
                return
            child = at.left if _before(item, at) else at.right
            assert child is not None
            at = child

    def _fill(self, at: Interval[T]) -> None:
        """``at.top`` was vacated: move up the interval below that ends last, and so on down."""
        while True:
            best = at if at.own else None
            source = None
            for child in (at.left, at.right):
                candidate = None if child is None else child.top
                if candidate is not None and (best is None or _ends_later(candidate.end, best.end)):
                    best, source = candidate, child
            at.top = best
            if best is None:
                return
            if source is None:
                at.own = False
                return
            source.top = None
            at = source

    def _rotate_up(
        self, child: Interval[T], parent: Interval[T], grandparent: Interval[T] | None
    ) -> None:
        """Rotate ``child`` above ``parent``, then repair the two ``top`` slots that moved."""
        held = (parent.top, child.top)
        parent.top = child.top = None
        if parent.left is child:
            parent.left, child.right = child.right, parent
        else:
            parent.right, child.left = child.left, parent
        if grandparent is None:
            self._root = child
        elif grandparent.left is parent:
            grandparent.left = child
        else:
            grandparent.right = child
        self._fill(parent)
        self._fill(child)
        for item in held:
            if item is not None:
                self._sift_down(child, item)

    # --- checking ----------------------------------------------------------------------
    def check(self) -> None:
        """Raise AssertionError unless the invariant of the module docstring holds (for tests)."""
        held: list[Interval[T]] = []
        self._check(self._root, None, None, held, [])
        nodes = list(self)
        assert len(nodes) == self._size, "size"
        assert sorted(id(n) for n in held) == sorted(id(n) for n in nodes), "held once each"

    def _check(
        self,
        node: Interval[T] | None,
        low: Interval[T] | None,
        high: Interval[T] | None,
        held: list[Interval[T]],
        above: list[Interval[T]],
    ) -> list[Interval[T]]:
        """Check the subtree of ``node`` (keys between ``low`` and ``high``, below the
        ``top`` slots ``above``); returns the intervals held in its slots."""
        if node is None:
            return []
        assert node.linked
        assert low is None or _before(low, node), "search order"
        assert high is None or _before(node, high), "search order"
        for parent in above[-1:]:
            assert parent.priority >= node.priority, "heap order of priorities"
        inside = [node.top] if node.top is not None else []
        if node.own:
            assert node.top is not None, "own item under an empty top"
            inside.append(node)
        chain = [*above, node]
        below = self._check(node.left, low, node, held, chain)
        below += self._check(node.right, node, high, held, chain)
        inside += below
        if node.top is None:
            assert not inside, "items under an empty top"
        else:
            for item in inside[1:]:
                assert not _ends_later(item.end, node.top.end), "heap order of ends"
        for item in inside:
            assert item is node or _in_subtree(item, node), "item outside its subtree"
        held += [node.top] if node.top is not None else []
        held += [node] if node.own else []
        return inside


def _in_subtree(item: Interval[T], root: Interval[T]) -> bool:
    at: Interval[T] | None = root
    while at is not None and at is not item:
        at = at.left if _before(item, at) else at.right
    return at is item
