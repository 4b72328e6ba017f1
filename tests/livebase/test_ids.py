import pytest
from hypothesis import given
from hypothesis import strategies as st

from livebase import InvalidIdError
from livebase.engine.ids import ALPHABET, b32decode, b32encode, decode_id, new_id


def test_ids_carry_their_table_number():
    for number in (1, 127, 128, 10001, 2**20):
        assert decode_id(new_id(number)) == number


def test_ids_are_url_safe_lowercase_base32():
    doc_id = new_id(10001)
    assert set(doc_id) <= set(ALPHABET)
    assert 31 <= len(doc_id) <= 37


def test_ids_are_unique():
    assert len({new_id(10001) for _ in range(1000)}) == 1000


def test_base32_round_trips():
    for data in (b"", b"\x00", b"\xff" * 7, bytes(range(21))):
        assert b32decode(b32encode(data)) == data


@pytest.mark.parametrize("bad", ["", "abc", "x" * 32, 42, None, "I" * 32])
def test_malformed_ids_are_rejected(bad):
    with pytest.raises(InvalidIdError):
        decode_id(bad)


def test_a_changed_character_breaks_the_checksum():
    doc_id = new_id(10001)
    pos = 12
    swapped = ALPHABET[(ALPHABET.index(doc_id[pos]) + 1) % 32]
    with pytest.raises(InvalidIdError):
        decode_id(doc_id[:pos] + swapped + doc_id[pos + 1 :])


def _reference_b32decode(text: str) -> bytes:
    """Bit by bit, as the format is specified: the fast decoder must agree with this."""
    out, acc, bits = bytearray(), 0, 0
    for ch in text:
        acc = (acc << 5) | ALPHABET.index(ch)
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits and acc & ((1 << bits) - 1):
        raise ValueError("non-zero padding bits")
    return bytes(out)


@given(st.text(alphabet=ALPHABET + "iloIU_ -+0=", max_size=40))
def test_the_fast_decoder_agrees_with_the_bitwise_one(text):
    try:
        expected: bytes | None = _reference_b32decode(text)
    except ValueError:
        expected = None
    try:
        got: bytes | None = b32decode(text)
    except ValueError:
        got = None
    assert got == expected


@given(st.text(alphabet=ALPHABET, min_size=29, max_size=39))
def test_an_accepted_id_is_the_canonical_spelling_of_its_bytes(text):
    try:
        decode_id(text)
    except InvalidIdError:
        return
    assert b32encode(b32decode(text)) == text


@given(st.integers(0, 10_000))
def test_an_id_with_a_character_more_or_less_is_rejected(table):
    text = new_id(table)
    for changed in (text + "0", text[:-1], "0" + text):
        with pytest.raises(InvalidIdError):
            decode_id(changed)
