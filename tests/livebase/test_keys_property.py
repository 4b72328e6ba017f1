"""Property tests of index-key encoding against an independent model of Convex's value order.

The order under test: ``undefined < null < int64 < float64 < boolean < string < bytes < array
< object``; floats by IEEE total order (``-0.0 < 0.0``, NaN with the sign bit clear above
``+inf``), strings by code point, bytes and arrays lexicographically (a prefix first), objects
as their sorted ``(field, value)`` pairs compared lexicographically.
"""

from __future__ import annotations

import itertools
import math
import struct
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from livebase.engine.keys import encode_key, undefined, values_end
from livebase.engine.values import INT64_MAX, INT64_MIN, Int64, normalize

# --- strategies ----------------------------------------------------------------------------

# why: a few characters and bytes drawn often make equal values, shared prefixes and
# embedded zero bytes common, which is where a byte encoding goes wrong.
_TRICKY_CHARS = ["\x00", "\x01", "a", "b", "\x7f", "\xff", "\u07ff", "\uffff", "\U0001f600"]
_TRICKY_BYTES = [0x00, 0x01, 0x61, 0xFE, 0xFF]
_SPECIAL_FLOATS = [
    0.0,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    -math.nan,
    5e-324,
    -5e-324,
    1.0,
    -1.0,
    2.0**53,
    1.7976931348623157e308,
]

int64s = st.integers(INT64_MIN, INT64_MAX).map(Int64) | st.sampled_from(
    [Int64(0), Int64(-1), Int64(1), Int64(INT64_MIN), Int64(INT64_MAX)]
)
# float64 numbers: floats, and the ints normalize makes of integral ones.
floats = st.floats() | st.sampled_from(_SPECIAL_FLOATS) | st.integers(-(2**53), 2**53)
strings = st.text(st.sampled_from(_TRICKY_CHARS) | st.characters(codec="utf-8"), max_size=5)
byte_strings = st.lists(st.sampled_from(_TRICKY_BYTES) | st.integers(0, 255), max_size=5).map(bytes)
field_names = st.text(st.sampled_from("ab_Z~"), min_size=1, max_size=3)

_SCALARS = [st.none(), st.booleans(), int64s, floats, strings, byte_strings]


def values_up_to_depth(depth: int) -> st.SearchStrategy[Any]:
    """Convex values nested at most ``depth`` levels; each type is about equally likely."""
    if depth == 0:
        return st.one_of(_SCALARS)
    inner = st.deferred(lambda: values_up_to_depth(depth - 1))
    return st.one_of(
        *_SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(field_names, inner, max_size=3),
    )


convex_values = values_up_to_depth(3)

# A stored document field: any value, or missing.
index_fields = st.one_of(st.just(undefined), convex_values)


def _near(value: Any) -> st.SearchStrategy[Any]:
    """Values that share a prefix with ``value`` (or equal it), besides unrelated ones."""
    if isinstance(value, str):
        return st.text(st.sampled_from(_TRICKY_CHARS), max_size=3).map(lambda tail: value + tail)
    if isinstance(value, bytes):
        tails = st.lists(st.sampled_from(_TRICKY_BYTES), max_size=3).map(bytes)
        return tails.map(lambda tail: value + tail)
    if isinstance(value, list):
        return st.lists(convex_values, max_size=2).map(lambda tail: value + tail)
    if isinstance(value, dict):
        return st.dictionaries(field_names, convex_values, max_size=2).map(
            lambda extra: {**value, **extra}
        )
    return st.just(value)


def related_pairs(base: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    """Two values, often equal or one extending the other, so edge cases come up often."""
    return base.flatmap(
        lambda a: st.tuples(st.just(a), _near(a) | base).flatmap(
            lambda pair: st.sampled_from([pair, pair[::-1]])
        )
    )


# --- the reference order -------------------------------------------------------------------


def _rank(value: Any) -> int:
    if value is undefined:
        return 0
    if value is None:
        return 1
    if isinstance(value, bool):
        return 4
    if isinstance(value, Int64):
        return 2
    if isinstance(value, int | float):
        return 3
    if isinstance(value, str):
        return 5
    if isinstance(value, bytes):
        return 6
    if isinstance(value, list | tuple):
        return 7
    if isinstance(value, dict):
        return 8
    raise TypeError(value)


def _total_order_key(value: float) -> int:
    """Rust's ``f64::total_cmp``: the bits as a signed integer, negatives' magnitude flipped."""
    (bits,) = struct.unpack("<q", struct.pack("<d", value))
    if bits < 0:
        bits ^= (1 << 63) - 1
    return bits


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _cmp_sequences(a: list[Any], b: list[Any], item_cmp: Any) -> int:
    for x, y in zip(a, b, strict=False):
        c = item_cmp(x, y)
        if c:
            return c
    return _cmp(len(a), len(b))


def _cmp_pair(a: tuple[str, Any], b: tuple[str, Any]) -> int:
    return _cmp_sequences([ord(c) for c in a[0]], [ord(c) for c in b[0]], _cmp) or reference(
        a[1], b[1]
    )


def reference(a: Any, b: Any) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b`` in Convex's value order."""
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return _cmp(ra, rb)
    if ra in (0, 1):
        return 0
    if ra in (2, 4):
        return _cmp(int(a), int(b))
    if ra == 3:
        return _cmp(_total_order_key(float(a)), _total_order_key(float(b)))
    if ra == 5:
        return _cmp_sequences([ord(c) for c in a], [ord(c) for c in b], _cmp)
    if ra == 6:
        return _cmp_sequences(list(a), list(b), _cmp)
    if ra == 7:
        return _cmp_sequences(list(a), list(b), reference)
    return _cmp_sequences(sorted(a.items()), sorted(b.items()), _cmp_pair)


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)


def test_reference_order_is_the_documented_one() -> None:
    chain = [
        undefined,
        None,
        Int64(INT64_MIN),
        Int64(INT64_MAX),
        -math.nan,
        -math.inf,
        -1.0,
        -0.0,
        0.0,
        math.inf,
        math.nan,
        False,
        True,
        "",
        "\x00",
        "a",
        "\U0001f600",
        b"",
        b"\x00",
        [],
        [None],
        {},
        {"a": None},
    ]
    for lower, upper in itertools.pairwise(chain):
        assert reference(lower, upper) == -1, (lower, upper)
        assert reference(upper, lower) == 1, (lower, upper)


# --- order -------------------------------------------------------------------------------


@settings(max_examples=500)
@given(related_pairs(convex_values))
@example((0.0, -0.0))
@example((math.nan, math.inf))
@example((-math.nan, -math.inf))
@example(("a", "a\x00"))
@example(("\uffff", "\U0001f600"))
@example((b"a", b"a\x00"))
@example((["a"], ["a", None]))
@example(({"a": 1.0}, {"a": 1.0, "b": None}))
@example(({"b": None}, {"a": 1.0, "b": None}))
def test_index_key_order_matches_value_order(pair: tuple[Any, Any]) -> None:
    a, b = pair
    key_a, key_b = encode_key([a]), encode_key([b])
    assert _sign(_cmp(key_a, key_b)) == reference(a, b)


@given(st.lists(index_fields, max_size=8))
def test_sorting_by_index_key_sorts_values_in_convex_order(items: list[Any]) -> None:
    by_key = sorted(items, key=lambda x: encode_key([x]))
    for lower, upper in itertools.pairwise(by_key):
        assert reference(lower, upper) <= 0, (lower, upper)


@given(related_pairs(index_fields))
def test_missing_fields_sort_below_every_value(pair: tuple[Any, Any]) -> None:
    a, b = pair
    assert _sign(_cmp(encode_key([a]), encode_key([b]))) == reference(a, b)
    assert encode_key([undefined]) <= encode_key([a])


# --- injectivity -------------------------------------------------------------------------


@settings(max_examples=500)
@given(related_pairs(convex_values))
@example((0.0, -0.0))
@example((math.nan, -math.nan))
@example((Int64(1), 1.0))
@example(("", b""))
@example(([], {}))
def test_index_key_encoding_is_injective_on_normalized_values(pair: tuple[Any, Any]) -> None:
    a, b = normalize(pair[0]), normalize(pair[1])
    same_value = reference(a, b) == 0
    assert (encode_key([a]) == encode_key([b])) == same_value


@given(convex_values)
def test_normalizing_a_value_keeps_its_key(a: Any) -> None:
    assert encode_key([a]) == encode_key([normalize(a)])


@given(st.integers(-(2**53), 2**53))
def test_a_number_has_one_key_whether_held_as_int_or_float(n: int) -> None:
    # A float64 is held as an int when integral (normalize's canonical form) or as a float.
    assert normalize(float(n)) == n
    assert encode_key([n]) == encode_key([float(n)]) == encode_key([normalize(float(n))])
    assert encode_key([n]) != encode_key([Int64(n)])


# --- tuples ------------------------------------------------------------------------------


@settings(max_examples=300)
@given(related_pairs(index_fields), related_pairs(index_fields))
@example(("a", "a\x00"), (1.0, None))
@example((b"", b"\x00"), (Int64(5), None))
@example((undefined, None), ("z", "a"))
def test_tuple_keys_compare_field_by_field(
    firsts: tuple[Any, Any], seconds: tuple[Any, Any]
) -> None:
    (a1, b1), (a2, b2) = firsts, seconds
    expected = reference(a1, b1) or reference(a2, b2)
    assert _sign(_cmp(encode_key([a1, a2]), encode_key([b1, b2]))) == expected


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(*[st.lists(index_fields, min_size=n, max_size=n)] * 2)
    )
)
def test_tuple_keys_of_any_arity_compare_lexicographically(
    pair: tuple[list[Any], list[Any]],
) -> None:
    a, b = pair
    assert _sign(_cmp(encode_key(a), encode_key(b))) == _cmp_sequences(a, b, reference)


# --- value ranges ------------------------------------------------------------------------


@given(st.lists(index_fields, min_size=1, max_size=2), st.lists(index_fields, max_size=2))
def test_every_key_extending_a_value_prefix_lies_in_its_value_range(
    head: list[Any], rest: list[Any]
) -> None:
    start = encode_key(head)
    key = encode_key(head + rest)
    assert start <= key < values_end(start)


@settings(max_examples=500)
@given(related_pairs(index_fields), index_fields)
@example(("a", "a\x00"), None)
@example(("", "\x00"), None)
@example((b"", b"\x00"), None)
@example((["x"], ["x", None]), None)
def test_a_value_range_holds_exactly_the_keys_with_that_value(
    pair: tuple[Any, Any], rest: Any
) -> None:
    value, other = pair
    # `q.eq(field, value)` reads [encode_key([value]), values_end(...)), and `gt` / `lte` use
    # the same bound: it must hold the keys whose field equals `value` and nothing else, even
    # where one value's key is a byte prefix of another's ("" and "\x00").
    start = encode_key([value])
    key = encode_key([other, rest])
    in_range = start <= key < values_end(start)
    assert in_range == (reference(value, other) == 0)


@given(related_pairs(index_fields))
def test_reference_order_is_antisymmetric(pair: tuple[Any, Any]) -> None:
    a, b = pair
    # A sanity check of the test's own model, so the properties above test the encoding.
    assert reference(a, b) == -reference(b, a)
    assert reference(a, a) == 0
