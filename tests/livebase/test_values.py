import math
import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livebase import Int64, LimitError, ValidationError
from livebase.engine import values as values_module
from livebase.engine.values import (
    MAX_NESTING,
    MAX_VALUE_NESTING,
    check_nesting,
    dumps,
    from_convex_json,
    loads,
    nesting,
    normalize,
    parse_json,
    to_clean_json,
    to_convex_json,
)


def test_encoding_matches_the_python_client_example():
    # convex 0.8.1: convex_to_json({'a':1,'b':ConvexInt64(2**60),'c':b'xy','d':nan})
    encoded = to_convex_json({"a": 1.0, "b": Int64(2**60), "c": b"xy", "d": math.nan})
    assert encoded == {
        "a": 1.0,
        "b": {"$integer": "AAAAAAAAABA="},
        "c": {"$bytes": "eHk="},
        "d": {"$float": "AAAAAAAA+H8="},
    }


def test_lossless_json_round_trips_special_values():
    value = {"i": Int64(-(2**63)), "z": -0.0, "inf": math.inf, "b": b"\x00\xff", "l": [None, True]}
    back = from_convex_json(to_convex_json(value))
    assert back["i"] == -(2**63) and isinstance(back["i"], Int64)
    assert math.copysign(1, back["z"]) == -1
    assert back["inf"] == math.inf and back["b"] == b"\x00\xff" and back["l"] == [None, True]
    assert loads(dumps(value)) == back


def test_numbers_are_float64_held_as_int_when_integral():
    assert normalize({"n": 3.0, "f": 2.5}) == {"n": 3, "f": 2.5}
    assert type(normalize(3.0)) is int and type(normalize(2.5)) is float
    assert math.copysign(1, normalize(-0.0)) == -1
    assert type(loads(dumps({"n": 7}))["n"]) is int
    with pytest.raises(ValidationError, match="Int64"):
        normalize(2**60)


def test_int64_rejects_out_of_range_and_bools():
    with pytest.raises(ValidationError):
        Int64(2**63)
    with pytest.raises(ValidationError):
        Int64(True)


def test_a_float_tag_holding_an_ordinary_number_is_rejected():
    with pytest.raises(ValidationError, match="plain numbers"):
        from_convex_json({"$float": "AAAAAAAA8D8="})  # 1.0


def test_dollar_keys_are_rejected():
    with pytest.raises(ValidationError, match=r"\$"):
        normalize({"$where": 1})
    with pytest.raises(ValidationError, match=r"\$"):
        from_convex_json({"a": 1, "$b": 2})


def test_clean_json_is_the_lossy_export_form():
    assert to_clean_json({"i": Int64(5), "f": 2.0, "b": b"xy", "n": math.nan}) == {
        "i": "5",
        "f": 2,
        "b": "eHk=",
        "n": "NaN",
    }


def test_limits_on_nesting_and_arrays():
    deep: object = 1
    for _ in range(20):
        deep = [deep]
    with pytest.raises(LimitError, match="nested"):
        normalize(deep)
    with pytest.raises(LimitError, match="8192"):
        normalize(list(range(9000)))


def nested(levels: int) -> object:
    value: object = 0
    for _ in range(levels):
        value = [value]
    return value


def test_nesting_is_counted_as_convex_counts_it_without_recursion():
    assert nesting(1) == 0
    assert nesting([]) == nesting({}) == 1
    assert nesting({"a": [1, {"b": []}]}) == 4
    assert nesting({"$integer": "AAAAAAAAAAA="}) == 0  # a tagged value is a scalar
    assert nesting([{"x": {"$bytes": ""}}]) == 2
    assert nesting(nested(64)) == 64
    assert nesting(nested(100_000)) == MAX_VALUE_NESTING + 1  # stops early, no recursion
    assert nesting(nested(10), limit=5) == 6


def test_values_past_64_levels_are_refused_naming_the_limit():
    assert check_nesting(nested(64), "The arguments") == nested(64)
    for levels in (65, 10_000):
        with pytest.raises(LimitError, match="The arguments is nested deeper than 64 levels"):
            check_nesting(nested(levels), "The arguments")


def test_json_too_deep_to_decode_is_a_limit_error_not_a_recursion_error():
    assert nesting(parse_json("[" * 64 + "]" * 64)) == 64
    assert nesting(parse_json("[" * 65 + "]" * 65)) == 65  # decoded: refusing is the caller's
    with pytest.raises(LimitError, match="64 levels"):
        parse_json("[" * 10_000 + "]" * 10_000, "The body")
    with pytest.raises(ValueError):
        parse_json("{nope")


def test_unsupported_python_objects_are_named():
    with pytest.raises(ValidationError, match="set"):
        normalize({"x": {1, 2}})
    with pytest.raises(ValidationError, match="not valid Unicode"):
        normalize("\ud800")


def test_int64_arithmetic_stays_int64_and_checks_the_range():
    n = Int64(2**40)
    assert isinstance(n * 2, Int64) and isinstance(1 + n, Int64) and isinstance(-n, Int64)
    assert not isinstance(n / 2, Int64) and n / 2 == 2**39
    with pytest.raises(ValidationError, match="int64 range"):
        Int64(2**62) * 4


_NAMES = st.one_of(
    st.sampled_from(["name", "value", "_id", "a b"]),
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=5),
    st.sampled_from(["", "$bad", "x" * 1025, "é", "tab\t"]),  # each refused
    st.text(max_size=6),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.text(max_size=8),
    st.binary(max_size=4),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(_NAMES, inner, max_size=4),
    ),
    max_leaves=12,
)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "value", call()
    except (ValidationError, LimitError) as exc:
        return type(exc).__name__, None


@settings(max_examples=500, deadline=None)
@given(_VALUES, _VALUES)
def test_the_fast_path_agrees_with_the_careful_one(first: Any, second: Any) -> None:
    # why: the fast path remembers field names it accepted; whatever came before, each value
    # is accepted or refused as the careful path alone would
    for value in (first, second):
        fast = _outcome(lambda v=value: normalize(v))
        careful = _outcome(lambda v=value: values_module._careful(v, "", 0, MAX_NESTING))
        assert fast == careful
        if fast[0] == "value":
            assert repr(fast[1]) == repr(careful[1])  # -0.0 and int vs float included


def test_a_name_refused_stays_refused_after_valid_ones():
    normalize({"ok": 1.0, "other": "x"})
    with pytest.raises(ValidationError, match="starts with"):
        normalize({"ok": 1.0, "$other": "x"})
    with pytest.raises(ValidationError, match="Empty field name"):
        normalize({"ok": {"": 1}})
