"""Convex values in Python, and their JSON forms.

Python spelling of Convex's value types:

    null     None                 float64  int or float (see below)
    int64    Int64 (an int)       boolean  bool
    string   str                  bytes    bytes
    array    list (tuples too)    object   dict with str keys

A float64 is one number type, as in JavaScript: its canonical Python form is an ``int`` when the
value is integral and within 2**53 (so ``range(n)`` works on a number argument), else a
``float`` (fractions, -0.0, NaN, infinities, huge values). ``Int64`` is the separate int64 type.

``to_convex_json`` / ``from_convex_json`` are the lossless "convex_encoded_json" form used on the
wire and in storage; ``to_clean_json`` is the lossy "json" export form.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

from livebase.engine.errors import LimitError, ValidationError

MAX_DOCUMENT_BYTES = 1 << 20
MAX_NESTING = 16  # values livebase normalizes (documents, arguments, results): Convex's documents'
MAX_VALUE_NESTING = 64  # Convex's limit on any value a client sends (function arguments)
MAX_ARRAY_LEN = 8192
MAX_OBJECT_FIELDS = 1024
MAX_FIELD_NAME = 1024
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_FLOAT_SAFE = 1 << 53


class Int64(int):
    """A 64-bit integer value (Convex's ``bigint``); plain ``int`` means float64."""

    def __new__(cls, value: int = 0) -> Int64:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Int64 takes an int, not {type(value).__name__}")
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValidationError(f"{value} is outside the int64 range")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"Int64({int(self)})"


def _int64_op(name: str) -> Any:
    op = getattr(int, name)

    def apply(self: Int64, *other: Any) -> Any:
        result = op(self, *other)
        # why: arithmetic on an int64 should stay int64 (as bigint does in JavaScript), not
        # turn into a plain int, which livebase reads as a float64 number.
        if isinstance(result, int) and not isinstance(result, bool):
            return Int64(result)
        return result

    apply.__name__ = name
    return apply


for _name in (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__pow__",
    "__neg__",
    "__abs__",
    "__and__",
    "__or__",
    "__xor__",
    "__lshift__",
    "__rshift__",
):
    setattr(Int64, _name, _int64_op(_name))


def type_name(value: Any) -> str:
    """The Convex name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Int64):
        return "int64"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes | bytearray):
        return "bytes"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _check_int(value: int, path: str) -> int:
    if abs(value) > _FLOAT_SAFE:
        raise ValidationError(
            f"{value} at {path or 'the top level'} cannot be stored exactly as a float64 number; "
            "use Int64 (v.int64()) for large integers"
        )
    return int(value)


def canonical_number(value: float) -> int | float:
    """A float64 in canonical form: an int when integral and exact, else the float."""
    if (
        value.is_integer()
        and abs(value) <= _FLOAT_SAFE
        and not (value == 0.0 and math.copysign(1, value) < 0)
    ):
        return int(value)
    return value


def check_field_name(name: Any, path: str, top_level: bool) -> None:
    """Reject object keys Convex does not allow."""
    if not isinstance(name, str):
        raise ValidationError(f"Object keys must be strings, got {type_name(name)} at {path}")
    if not name:
        raise ValidationError(f"Empty field name at {path or 'the top level'}")
    if name.startswith("$"):
        raise ValidationError(f"Field name {name!r} at {path or 'the top level'} starts with '$'")
    if len(name) > MAX_FIELD_NAME:
        raise ValidationError(f"Field name at {path} is longer than {MAX_FIELD_NAME} characters")
    if not name.isascii() or not name.isprintable():
        raise ValidationError(f"Field name {name!r} at {path} must be printable ASCII")


class _Slow(Exception):
    """The fast path met something it does not handle; the careful path takes over."""


# why: documents of a table repeat the same field names; a name checked once is not checked
# again (bounded, so that arbitrary names cannot grow it without end)
_good_names: set[str] = set()
_GOOD_NAMES_MAX = 10_000


def _check_name_fast(key: Any) -> None:
    if (
        type(key) is not str
        or not key
        or key[0] == "$"
        or len(key) > MAX_FIELD_NAME
        or not key.isascii()
        or not key.isprintable()
    ):
        raise _Slow
    if len(_good_names) < _GOOD_NAMES_MAX:
        _good_names.add(key)


def normalize(value: Any, path: str = "", limit: int = MAX_NESTING) -> Any:
    """Check a value and return its canonical form (integral numbers as int, tuples as lists).

    ``limit`` is how deep it may nest: a document's 16 levels by default, 64 for function
    arguments and results (``MAX_VALUE_NESTING``), as in Convex. Raises ValidationError
    naming the path of the first offending part.
    """
    try:
        return _fast(value, 0, limit)
    except _Slow:
        return _careful(value, path, 0, limit)


def _fast(value: Any, depth: int, limit: int) -> Any:
    # why: documents are normalized on every write; this path builds no field paths and
    # handles the common exact types, leaving errors and rare types to _careful.
    kind = type(value)
    if kind is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Slow from None
        return value
    if kind is int:
        if -_FLOAT_SAFE <= value <= _FLOAT_SAFE:
            return value
        raise _Slow
    if kind is float:
        return canonical_number(value)
    if value is None or kind is bool or kind is Int64 or kind is bytes:
        return value
    if depth >= limit:
        raise _Slow
    if kind is dict:
        if len(value) > MAX_OBJECT_FIELDS:
            raise _Slow
        out = {}
        for key, item in value.items():
            if type(key) is not str or key not in _good_names:
                _check_name_fast(key)
            # why: most fields hold a plain string or a float; handled here, not in a call
            kind = type(item)
            if kind is str and item.isascii():
                out[key] = item
            elif kind is float:
                out[key] = canonical_number(item)
            else:
                out[key] = _fast(item, depth + 1, limit)
        return out
    if kind is list:
        if len(value) > MAX_ARRAY_LEN:
            raise _Slow
        return [_fast(item, depth + 1, limit) for item in value]
    raise _Slow


def _careful(value: Any, path: str, depth: int, limit: int) -> Any:
    if value is None or isinstance(value, bool | str | Int64):
        if isinstance(value, str):
            _check_unicode(value, path)
        return value
    if isinstance(value, float):
        return canonical_number(value)
    if isinstance(value, int):
        return _check_int(value, path)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if depth >= limit:
        raise LimitError(f"Value at {path} is nested deeper than {limit} levels")
    if isinstance(value, list | tuple):
        if len(value) > MAX_ARRAY_LEN:
            raise LimitError(f"Array at {path} has more than {MAX_ARRAY_LEN} elements")
        return [_careful(item, f"{path}[{i}]", depth + 1, limit) for i, item in enumerate(value)]
    if isinstance(value, dict):
        if len(value) > MAX_OBJECT_FIELDS:
            raise LimitError(f"Object at {path} has more than {MAX_OBJECT_FIELDS} fields")
        out = {}
        for key, item in value.items():
            check_field_name(key, path, depth == 0)
            out[key] = _careful(item, f"{path}.{key}", depth + 1, limit)
        return out
    raise ValidationError(
        f"{type(value).__name__} at {path or 'the top level'} is not a Convex value"
    )


def _check_unicode(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"String at {path or 'the top level'} is not valid Unicode") from exc


# --- lossless JSON ("convex_encoded_json") -------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _is_special_float(value: float) -> bool:
    if value != 0.0:
        return not math.isfinite(value)
    return math.copysign(1, value) < 0


def to_convex_json(value: Any) -> Any:
    """Encode a value as Convex's lossless JSON (``$integer``, ``$float``, ``$bytes``)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {key: to_convex_json(item) for key, item in value.items()}
    if kind is list:
        return [to_convex_json(item) for item in value]
    if kind is float:
        if _is_special_float(value):
            return {"$float": _b64(struct.pack("<d", value))}
        return value
    if kind is Int64:
        return {"$integer": _b64(struct.pack("<q", int(value)))}
    if kind is bytes:
        return {"$bytes": _b64(value)}
    if isinstance(value, tuple):
        return [to_convex_json(item) for item in value]
    if isinstance(value, int):
        return int(value)
    raise ValidationError(f"{type(value).__name__} is not a Convex value")


def _decode_b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValidationError(f"{what} must hold a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValidationError(f"{what} holds invalid base64") from exc


def _decode_tagged(obj: dict[str, Any]) -> Any:
    (tag, payload) = next(iter(obj.items()))
    if tag == "$integer":
        raw = _decode_b64(payload, "$integer")
        if len(raw) != 8:
            raise ValidationError("$integer must hold 8 bytes")
        return Int64(struct.unpack("<q", raw)[0])
    if tag == "$float":
        raw = _decode_b64(payload, "$float")
        if len(raw) != 8:
            raise ValidationError("$float must hold 8 bytes")
        result: float = struct.unpack("<d", raw)[0]
        if not _is_special_float(result):
            raise ValidationError("$float must hold NaN, Infinity or -0; send plain numbers")
        return result
    if tag == "$bytes":
        return _decode_b64(payload, "$bytes")
    raise ValidationError(f"Unsupported tagged value {tag!r}")


def from_convex_json(value: Any) -> Any:
    """Decode Convex's lossless JSON into Python values (the inverse of to_convex_json)."""
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if key.startswith("$"):
                return _decode_tagged(value)
        for key in value:
            if isinstance(key, str) and key.startswith("$"):
                raise ValidationError(f"Field name {key!r} starts with '$'")
        return {key: from_convex_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_convex_json(item) for item in value]
    if isinstance(value, float):
        return canonical_number(value)
    return value


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        key = next(iter(obj))
        if key.startswith("$"):
            return _decode_tagged(obj)
    return obj


def _parse_float(text: str) -> int | float:
    return canonical_number(float(text))


def dumps(value: Any) -> str:
    """Serialize a (normalized) value as compact lossless JSON text, for storage."""
    return _dumps(to_convex_json(value))


_plain_loads = json.JSONDecoder().decode
_tagged_loads = json.JSONDecoder(object_hook=_object_hook, parse_float=_parse_float).decode
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def loads(text: str) -> Any:
    """Parse lossless JSON text written by ``dumps``."""
    # why: text from dumps holds canonical numbers already, and tagged values only where a
    # "$ key appears; the plain C decoder is several times faster than one with hooks.
    if '"$' in text:
        return _tagged_loads(text)
    return _plain_loads(text)


# --- nesting: checked without recursion ---------------------------------------------------


def nesting(value: Any, limit: int = MAX_VALUE_NESTING) -> int:
    """How deep a value nests, as Convex counts it: a scalar is 0, ``[]`` and ``{}`` are 1,
    ``[[1]]`` is 2. Takes Python values or their lossless JSON (a tagged ``{"$integer": ...}``
    is a scalar). Walks without recursion and stops early: any answer over ``limit`` is
    ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1 and str(next(iter(item))).startswith("$"):
                continue
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if level > limit:
            return limit + 1
        deepest = max(deepest, level)
        stack.extend(
            (child, level + 1) for child in children if isinstance(child, dict | list | tuple)
        )
    return deepest


def too_nested(what: str, limit: int = MAX_VALUE_NESTING) -> LimitError:
    """The error for a value nested deeper than ``limit`` levels."""
    return LimitError(
        f"{what} is nested deeper than {limit} levels; {limit} is the limit (Convex's)"
    )


def check_nesting(value: Any, what: str, limit: int = MAX_VALUE_NESTING) -> Any:
    """``value`` itself, or LimitError if it nests deeper than ``limit`` levels."""
    if nesting(value, limit) > limit:
        raise too_nested(what, limit)
    return value


def parse_json(text: str | bytes | bytearray, what: str = "The message") -> Any:
    """``json.loads``, refusing input nested too deeply to decode with LimitError.

    ValueError for text that is not JSON, as ``json.loads``. The caller checks the nesting of
    what it takes from the result (``check_nesting``) against the 64-level limit."""
    try:
        return json.loads(text)
    except RecursionError:
        # why: the C decoder recurses per level and gives up near the interpreter's
        # recursion limit (about 1,000 levels): far past the limit, and cheap to refuse.
        raise too_nested(what) from None


# --- lossy JSON ("json", the clean export form) --------------------------------------------


def to_clean_json(value: Any) -> Any:
    """Convex's clean JSON export: int64 as decimal strings, bytes as base64 strings."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Int64):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return int(value) if value.is_integer() and abs(value) < _FLOAT_SAFE else value
    if isinstance(value, int):
        return value
    if isinstance(value, bytes):
        return _b64(value)
    if isinstance(value, list | tuple):
        return [to_clean_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_clean_json(item) for key, item in value.items()}
    return str(value)


def encoded_size(value: Any) -> int:
    """Approximate size in bytes of a stored value (its JSON text)."""
    return len(dumps(value).encode("utf-8"))


def check_document_size(text: str, table: str) -> None:
    """Refuse documents over Convex's 1 MiB limit."""
    size = len(text.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise LimitError(
            f"Document in table {table!r} is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}"
        )
