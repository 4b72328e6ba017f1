"""Document IDs in Convex's format.

Binary layout ``[VInt(table_number)] [16-byte internal id] [2-byte footer]``; the internal id is
14 random bytes and 2 bytes of days since the epoch, the footer ``fletcher16(prefix) ^ VERSION``.
The bytes are written in lowercase Crockford base32, so an ID is opaque, URL-safe, names its
table and carries a checksum.
"""

from __future__ import annotations

import base64
import os
import time
from functools import lru_cache

from livebase.engine.errors import InvalidIdError

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_VALID = frozenset(ALPHABET)
_TO_BASE32_DIGITS = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")
VERSION = 0
MIN_ID_LEN = 31
MAX_ID_LEN = 37


_RFC4648 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CROCKFORD = bytes.maketrans(_RFC4648, ALPHABET.encode("ascii"))


def b32encode(data: bytes) -> str:
    """Crockford base32 (lowercase, no padding), most significant bits first."""
    # why: the standard library's base32 is C; only its alphabet and padding differ.
    encoded = base64.b32encode(data).rstrip(b"=").translate(_TO_CROCKFORD)
    return encoded.decode("ascii")


def b32decode(text: str) -> bytes:
    """Inverse of b32encode; raises ValueError on a character outside the alphabet."""
    if not _VALID.issuperset(text):
        raise ValueError("not Crockford base32")
    if not text:
        return b""
    # why: int() parses base 32 in C; this is the hot path of every ID argument's check
    bits = len(text) * 5
    size, pad = divmod(bits, 8)
    number = int(text.translate(_TO_BASE32_DIGITS), 32)
    if number & ((1 << pad) - 1):
        raise ValueError("non-zero padding bits")
    return (number >> pad).to_bytes(size, "big")


def _vint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_vint(data: bytes) -> tuple[int, int]:
    n = 0
    shift = 0
    for i, byte in enumerate(data[:5]):
        n |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return n, i + 1
        shift += 7
    raise ValueError("bad table number")


def fletcher16(data: bytes) -> int:
    """Fletcher-16 checksum."""
    sum1 = 0
    sum2 = 0
    for byte in data:
        sum1 = (sum1 + byte) % 255
        sum2 = (sum2 + sum1) % 255
    return (sum2 << 8) | sum1


def new_id(table_number: int, now: float | None = None) -> str:
    """A fresh random ID for a document of the table with this number."""
    days = int((time.time() if now is None else now) // 86400) & 0xFFFF
    prefix = _vint(table_number) + os.urandom(14) + days.to_bytes(2, "big")
    footer = fletcher16(prefix) ^ VERSION
    return b32encode(prefix + footer.to_bytes(2, "big"))


def decode_id(text: object) -> int:
    """The table number an ID belongs to; raises InvalidIdError for anything not an ID."""
    if not isinstance(text, str):
        raise InvalidIdError(f"Invalid ID {text!r}: not a document ID")
    return _decode_id(text)


@lru_cache(maxsize=65536)
def _decode_id(text: str) -> int:
    if not MIN_ID_LEN <= len(text) <= MAX_ID_LEN:
        raise InvalidIdError(f"Invalid ID {text!r}: not a document ID")
    try:
        raw = b32decode(text)
        table_number, used = _read_vint(raw)
    except (KeyError, ValueError) as exc:
        raise InvalidIdError(f"Invalid ID {text!r}: not a document ID") from exc
    # why: decoding is exact given the padding check; only the length can be non-canonical
    if len(raw) != used + 18 or -(-len(raw) * 8 // 5) != len(text):
        raise InvalidIdError(f"Invalid ID {text!r}: not a document ID")
    footer = int.from_bytes(raw[-2:], "big")
    if fletcher16(raw[:-2]) ^ VERSION != footer:
        raise InvalidIdError(f"Invalid ID {text!r}: checksum mismatch")
    return table_number
