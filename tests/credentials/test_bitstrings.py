"""Bitstring Status List encoding follows the W3C rules and refuses bad input."""
import pytest

from credentials.bitstrings import (
    MINIMUM_ENTRIES,
    BitstringError,
    bit_get,
    bit_set,
    decode_list,
    empty_bitstring,
    encode_list,
)

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_the_specification_example_decodes_to_131072_unset_entries():
    assert decode_list(SPEC_EXAMPLE) == bytes(16_384)


def test_entry_zero_is_the_most_significant_bit_of_the_first_byte():
    bits = bit_set(empty_bitstring(), 0, True)
    bits = bit_set(bits, 9, True)

    assert bits[:2] == bytes([0b1000_0000, 0b0100_0000])
    assert (bit_get(bits, 0), bit_get(bits, 1), bit_get(bits, 9)) == (True, False, True)
    assert bit_get(bit_set(bits, 9, False), 9) is False


def test_round_trip_and_stable_encoding():
    bits = bit_set(empty_bitstring(), 94_567, True)

    assert decode_list(encode_list(bits)) == bits
    assert encode_list(bits) == encode_list(bytes(bits))


@pytest.mark.parametrize(
    "encoded", ["zABC", "u!!!!", "uSGVsbG8", 42], ids=["wrong_base", "not_base64", "not_gzip", "not_text"]
)
def test_malformed_lists_are_refused(encoded):
    with pytest.raises(BitstringError):
        decode_list(encoded)


def test_a_gzip_bomb_is_refused():
    with pytest.raises(BitstringError, match="too large"):
        decode_list(encode_list(bytes(64 * 1024)), max_bytes=16 * 1024)


def test_lists_below_the_privacy_minimum_and_indexes_out_of_range_are_refused():
    with pytest.raises(BitstringError):
        empty_bitstring(MINIMUM_ENTRIES - 8)
    with pytest.raises(BitstringError):
        bit_get(empty_bitstring(), MINIMUM_ENTRIES)
