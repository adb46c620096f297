"""Private keys at rest: AES-256-GCM under the key-encryption key (KEK) from the environment.

The KEK comes from ``MCPORTAL_KEY_ENCRYPTION_KEY`` (read inside functions, never at import time).
Outside production, when it is empty, a random development KEK is created once in
``<VAR_DIR>/secrets/dev-kek`` (mode 0600); the system checks say so. Nothing here logs, prints or
reprs key material; errors name the KEK only by its public id.
"""

from __future__ import annotations

import base64
import enum
import functools
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Blob layout: magic (4) ‖ format version (1) ‖ KEK id (8) ‖ nonce (12) ‖ AES-GCM ciphertext+tag.
_MAGIC = b"mcpk"
_VERSION = b"\x01"
_KEK_ID_LENGTH = 8
_NONCE_LENGTH = 12
_HEADER_LENGTH = len(_MAGIC) + len(_VERSION) + _KEK_ID_LENGTH + _NONCE_LENGTH
# HKDF "info" labels separate the AES key from the public KEK id derived from the same secret.
_AES_KEY_INFO = b"mcportal private-key encryption v1"
_KEK_ID_INFO = b"mcportal key-encryption-key id v1"
PRODUCTION_SETTINGS_MODULE = "mcportal.settings.production"
DEV_KEK_RELATIVE_PATH = Path("secrets") / "dev-kek"
# Advice for operators: 32 random bytes, URL-safe base64 encoded, is 44 characters.
RECOMMENDED_KEK_MIN_LENGTH = 32


class KeyEncryptionError(Exception):
    """A private key could not be encrypted or decrypted; the message never holds key material."""


class KeyEncryptionKeyMissing(KeyEncryptionError, ImproperlyConfigured):
    """Production settings are in use and MCPORTAL_KEY_ENCRYPTION_KEY is empty."""


class WrongKeyEncryptionKey(KeyEncryptionError):
    """The key was encrypted under a different KEK than the one configured now."""

    def __init__(self, stored_kek_id: str, configured_kek_id: str) -> None:
        super().__init__(
            f"This private key was encrypted with key-encryption key {stored_kek_id}, but "
            f"MCPORTAL_KEY_ENCRYPTION_KEY is key {configured_kek_id}. Configure the key it was "
            "encrypted with (or, outside production, the dev-kek file that created it)."
        )
        self.stored_kek_id = stored_kek_id
        self.configured_kek_id = configured_kek_id


class EncryptedKeyCorrupted(KeyEncryptionError):
    """The stored blob is malformed, was altered, or belongs to another row."""


class KekSource(enum.Enum):
    """Where the key-encryption key comes from."""

    ENVIRONMENT = "environment"
    DEVELOPMENT_FILE = "development file"


def is_production_settings() -> bool:
    """Tell whether the production settings module is in use (no development KEK allowed)."""
    # Under override_settings Django reports SETTINGS_MODULE as None; the environment still knows.
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    return module == PRODUCTION_SETTINGS_MODULE


def dev_key_encryption_key_path() -> Path:
    """Return where the development KEK lives: ``<VAR_DIR>/secrets/dev-kek`` (git-ignored)."""
    return Path(settings.VAR_DIR) / DEV_KEK_RELATIVE_PATH


def key_encryption_key_source() -> KekSource:
    """Say where the KEK comes from; raise KeyEncryptionKeyMissing in production without one."""
    if settings.MCPORTAL_KEY_ENCRYPTION_KEY:
        return KekSource.ENVIRONMENT
    if is_production_settings():
        raise KeyEncryptionKeyMissing(
            "MCPORTAL_KEY_ENCRYPTION_KEY is empty; production never uses a development key."
        )
    return KekSource.DEVELOPMENT_FILE


def _dev_key_encryption_key() -> str:
    """Read the development KEK, creating it (0600, directory 0700) the first time."""
    path = dev_key_encryption_key_path()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
        try:
            # A hard link never replaces an existing file: if two processes start at once,
            # the first link wins and both then read the same, complete file.
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise KeyEncryptionError(f"The development key-encryption key file {path} is empty.")
    return value


def _configured_secret() -> str:
    if key_encryption_key_source() is KekSource.ENVIRONMENT:
        return settings.MCPORTAL_KEY_ENCRYPTION_KEY
    return _dev_key_encryption_key()


def _hkdf(secret: str, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        secret.encode("utf-8")
    )


@functools.lru_cache(maxsize=4)
def _derived(secret: str) -> tuple[AESGCM, bytes]:
    """The AES-GCM cipher and the public KEK id for one KEK (derived once per process)."""
    return AESGCM(_hkdf(secret, _AES_KEY_INFO, 32)), _hkdf(secret, _KEK_ID_INFO, _KEK_ID_LENGTH)


def key_encryption_key_id() -> str:
    """Return the public id (16 hex digits) of the configured KEK; it reveals nothing of the key."""
    return _derived(_configured_secret())[1].hex()


def private_key_encrypt(private_key: PrivateKeyTypes, *, associated_data: bytes) -> bytes:
    """Encrypt a private key (PKCS#8 DER inside) under the configured KEK.

    ``associated_data`` binds the blob to its owner (e.g. the public key), so a blob copied
    into another row fails to decrypt.
    """
    cipher, kek_id = _derived(_configured_secret())
    plaintext = private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    nonce = secrets.token_bytes(_NONCE_LENGTH)
    header = _MAGIC + _VERSION + kek_id + nonce
    return header + cipher.encrypt(nonce, plaintext, header + associated_data)


def encrypted_key_kek_id(blob: bytes) -> str:
    """Return the id of the KEK a blob was encrypted with; raise EncryptedKeyCorrupted if malformed."""
    blob = bytes(blob)
    if len(blob) <= _HEADER_LENGTH or not blob.startswith(_MAGIC + _VERSION):
        raise EncryptedKeyCorrupted("The stored private key is not in the portal's encrypted format.")
    start = len(_MAGIC) + len(_VERSION)
    return blob[start : start + _KEK_ID_LENGTH].hex()


def private_key_decrypt(blob: bytes, *, associated_data: bytes) -> PrivateKeyTypes:
    """Decrypt a blob made by private_key_encrypt with the same associated data.

    Raises WrongKeyEncryptionKey when another KEK is configured, and EncryptedKeyCorrupted when
    the blob was altered or belongs to another owner.
    """
    blob = bytes(blob)
    stored_kek_id = encrypted_key_kek_id(blob)
    cipher, kek_id = _derived(_configured_secret())
    if stored_kek_id != kek_id.hex():
        raise WrongKeyEncryptionKey(stored_kek_id, kek_id.hex())
    header, ciphertext = blob[:_HEADER_LENGTH], blob[_HEADER_LENGTH:]
    nonce = header[-_NONCE_LENGTH:]
    try:
        plaintext = cipher.decrypt(nonce, ciphertext, header + associated_data)
    except InvalidTag:
        raise EncryptedKeyCorrupted(
            "The stored private key failed its integrity check: it was altered or belongs to "
            "another record."
        ) from None
    # The GCM tag already proved these bytes are the key stored at creation, when the key was
    # a parsed, valid object; re-validating an RSA key on every load costs milliseconds.
    return load_der_private_key(plaintext, password=None, unsafe_skip_rsa_key_validation=True)


def ed25519_private_key_decrypt(blob: bytes, *, associated_data: bytes) -> Ed25519PrivateKey:
    """Decrypt a blob that must hold an Ed25519 private key."""
    key = private_key_decrypt(blob, associated_data=associated_data)
    if not isinstance(key, Ed25519PrivateKey):
        raise EncryptedKeyCorrupted("The stored private key is not an Ed25519 key.")
    return key

