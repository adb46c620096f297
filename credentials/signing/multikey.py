"""Ed25519 keys as Multikey strings (multicodec + base58btc multibase) and did:key identifiers."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

BASE58BTC_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(BASE58BTC_ALPHABET)}
MULTIBASE_BASE58BTC = "z"
# Unsigned-varint multicodec prefixes: ed25519-pub (0xed) and ed25519-priv (0x1300).
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
DID_KEY_PREFIX = "did:key:"


class MultikeyError(ValueError):
    """A string is not a valid base58btc / Multikey / did:key value."""


def base58btc_encode(data: bytes) -> str:
    """Encode bytes as base58 (Bitcoin alphabet); each leading zero byte becomes '1'."""
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = BASE58BTC_ALPHABET[remainder] + encoded
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + encoded


def base58btc_decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); raise MultikeyError on any other character."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _BASE58_INDEX[char]
        except KeyError:
            raise MultikeyError(f"invalid base58btc character {char!r}") from None
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    leading_ones = len(text) - len(text.lstrip("1"))
    return b"\0" * leading_ones + body


def multibase_decode(value: str) -> bytes:
    """Decode a base58btc multibase string ('z…'); other multibase encodings are refused."""
    if not value.startswith(MULTIBASE_BASE58BTC):
        raise MultikeyError("multibase value must use base58btc (prefix 'z')")
    return base58btc_decode(value[1:])


def _decode_multikey(value: str, prefix: bytes, kind: str) -> bytes:
    raw = multibase_decode(value)
    if not raw.startswith(prefix) or len(raw) != len(prefix) + 32:
        raise MultikeyError(f"not an Ed25519 {kind} Multikey")
    return raw[len(prefix) :]


def public_key_to_multikey(key: Ed25519PublicKey) -> str:
    """Return the public Multikey (``z6Mk…``) of an Ed25519 public key."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return MULTIBASE_BASE58BTC + base58btc_encode(ED25519_PUB_PREFIX + raw)


def multikey_to_public_key(value: str) -> Ed25519PublicKey:
    """Parse a public Multikey (``z6Mk…``); raise MultikeyError if it is not Ed25519."""
    return Ed25519PublicKey.from_public_bytes(_decode_multikey(value, ED25519_PUB_PREFIX, "public"))


def private_key_to_multikey(key: Ed25519PrivateKey) -> str:
    """Return the secret-key Multikey (``z3u2…``); treat the result as key material."""
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return MULTIBASE_BASE58BTC + base58btc_encode(ED25519_PRIV_PREFIX + raw)


def multikey_to_private_key(value: str) -> Ed25519PrivateKey:
    """Parse a secret-key Multikey (``z3u2…``) into an Ed25519 private key."""
    seed = _decode_multikey(value, ED25519_PRIV_PREFIX, "secret")
    return Ed25519PrivateKey.from_private_bytes(seed)


def did_key_from_public_key(key: Ed25519PublicKey) -> str:
    """Return the ``did:key:z6Mk…`` DID of an Ed25519 public key."""
    return DID_KEY_PREFIX + public_key_to_multikey(key)


def did_key_verification_method(key: Ed25519PublicKey) -> str:
    """Return the verification method id ``did:key:z6Mk…#z6Mk…`` of an Ed25519 public key."""
    multikey = public_key_to_multikey(key)
    return f"{DID_KEY_PREFIX}{multikey}#{multikey}"


def public_key_from_did_key(did_or_method: str) -> Ed25519PublicKey:
    """Resolve a did:key DID or its ``#fragment`` verification method to its public key.

    Raises MultikeyError if it is not an Ed25519 did:key or the fragment names another key.
    """
    if not did_or_method.startswith(DID_KEY_PREFIX):
        raise MultikeyError("not a did:key identifier")
    did, _, fragment = did_or_method.partition("#")
    multikey = did[len(DID_KEY_PREFIX) :]
    if fragment and fragment != multikey:
        raise MultikeyError("did:key fragment does not match the key in the DID")
    return multikey_to_public_key(multikey)
