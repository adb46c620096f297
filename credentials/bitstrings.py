"""W3C Bitstring Status List encoding: bit order, GZIP + base64url multibase, minimum length.

Pure functions over bytes; the database side (allocation under a lock, flipping bits with a
status change) lives in credentials/status_lists.py.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import zlib

# Herd privacy: a list never has fewer entries than this (16 KiB of bits).
MINIMUM_ENTRIES = 131_072


class BitstringError(ValueError):
    """An encoded list that cannot be decoded, or an index outside the list."""


def empty_bitstring(entries: int = MINIMUM_ENTRIES) -> bytes:
    if entries < MINIMUM_ENTRIES or entries % 8:
        raise BitstringError(f"A status list needs a multiple of 8 entries, at least {MINIMUM_ENTRIES}.")
    return bytes(entries // 8)


def bit_get(bits: bytes, index: int) -> bool:
    """Entry index is bit (index % 8) of byte index // 8, counted from the most significant bit."""
    if not 0 <= index < len(bits) * 8:
        raise BitstringError(f"Index {index} is outside a list of {len(bits) * 8} entries.")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def bit_set(bits: bytes, index: int, value: bool) -> bytes:
    """Return a copy of the bitstring with one entry set or cleared."""
    if not 0 <= index < len(bits) * 8:
        raise BitstringError(f"Index {index} is outside a list of {len(bits) * 8} entries.")
    mutable = bytearray(bits)
    mask = 0x80 >> (index % 8)
    mutable[index // 8] = (mutable[index // 8] | mask) if value else (mutable[index // 8] & ~mask)
    return bytes(mutable)


def encode_list(bits: bytes) -> str:
    """GZIP (mtime 0, so equal lists encode equally), base64url without padding, multibase 'u'."""
    compressed = gzip.compress(bits, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str, *, max_bytes: int = 16 * 1024 * 1024) -> bytes:
    """Decode an encodedList; refuse anything malformed or that inflates beyond max_bytes."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise BitstringError("The encoded list must be a multibase base64url string starting with 'u'.")
    body = encoded[1:]
    try:
        compressed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj(wbits=31)  # gzip container only
        bits = inflater.decompress(compressed, max_bytes + 1)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise BitstringError("The encoded list is not valid GZIP + base64url.") from exc
    if len(bits) > max_bytes:
        raise BitstringError("The encoded list is too large.")
    if not inflater.eof:
        raise BitstringError("The encoded list is truncated.")
    return bits
