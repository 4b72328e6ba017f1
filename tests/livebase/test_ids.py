import pytest

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
