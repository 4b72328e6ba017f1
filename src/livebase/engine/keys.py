"""Index keys: values encoded as byte strings whose ``bytes`` order is Convex's value order.

One total order over all value types::

    undefined < null < int64 < float64 < boolean < string < bytes < array < object

Every encoding is self-delimiting, so the key of a tuple of values is the concatenation of the
encodings and compares field by field. SQLite BLOB order, PostgreSQL bytea order and Python
``bytes`` comparison all agree on these keys.
"""

from __future__ import annotations

import struct
from typing import Any

from livebase.engine.values import Int64

UNDEFINED = 0x01
NULL = 0x03
INT64 = 0x08
FLOAT64 = 0x0D
FALSE = 0x0E
TRUE = 0x0F
STRING = 0x10
BYTES = 0x11
ARRAY = 0x12
OBJECT = 0x15
END = b"\x00"

_INT_BIAS = 1 << 63
_SIGN = 1 << 63
_ALL = (1 << 64) - 1


class _Undefined:
    """A missing field, as it appears in an index (it sorts first)."""

    def __repr__(self) -> str:
        return "undefined"


undefined = _Undefined()


def escape_key_bytes(raw: bytes) -> bytes:
    # why: 0x00 terminates strings, so a literal 0x00 becomes 0x00 0xFF, which still sorts
    # below any other continuation and above the terminator.
    return raw.replace(b"\x00", b"\x00\xff") + END


_DOUBLE = struct.Struct(">d")
_U64 = struct.Struct(">Q")


def _float_bits(value: float) -> bytes:
    (bits,) = _U64.unpack(_DOUBLE.pack(value))
    bits = bits ^ _ALL if bits & _SIGN else bits | _SIGN
    return bits.to_bytes(8, "big")


def encode_value(value: Any, out: bytearray) -> None:
    """Append the key encoding of one value to ``out``."""
    if value is None:
        out.append(NULL)
    elif value is True:
        out.append(TRUE)
    elif value is False:
        out.append(FALSE)
    elif isinstance(value, str):
        out.append(STRING)
        out += escape_key_bytes(value.encode("utf-8"))
    elif isinstance(value, Int64):
        out.append(INT64)
        out += (int(value) + _INT_BIAS).to_bytes(8, "big")
    elif isinstance(value, float | int):
        out.append(FLOAT64)
        out += _float_bits(float(value))
    elif isinstance(value, bytes):
        out.append(BYTES)
        out += escape_key_bytes(value)
    elif isinstance(value, list | tuple):
        out.append(ARRAY)
        for item in value:
            encode_value(item, out)
        out += END
    elif isinstance(value, dict):
        out.append(OBJECT)
        for key in sorted(value):
            out.append(STRING)
            out += escape_key_bytes(key.encode("utf-8"))
            encode_value(value[key], out)
        out += END
    elif value is undefined:
        out.append(UNDEFINED)
    else:
        raise TypeError(f"{type(value).__name__} cannot be part of an index key")


def encode_key(values: Any) -> bytes:
    """The key of a tuple of values (an index entry, or a prefix of one)."""
    out = bytearray()
    for value in values:
        encode_value(value, out)
    return bytes(out)


def values_end(prefix: bytes) -> bytes:
    """The end of the range of keys whose leading values encode to ``prefix``.

    Every key with those leading values is ``prefix`` itself or ``prefix`` followed by the next
    value's type tag (at most 0x15), while ``prefix + 0xFF`` is how a longer string or bytes
    value continues (an escaped zero byte): ``[prefix, prefix + b"\xff")`` holds exactly the
    keys with those leading values. (A plain byte-prefix range would wrongly take in ``"\x00"``
    when asked for ``""``.)
    """
    return prefix + b"\xff"


def field_value(doc: dict[str, Any], path: str | tuple[str, ...]) -> Any:
    """The value at a dotted field path (or its split parts) of a document, or ``undefined``."""
    current: Any = doc
    for part in path.split(".") if isinstance(path, str) else path:
        if not isinstance(current, dict) or part not in current:
            return undefined
        current = current[part]
    return current
