"""System checks: pinned JSON-LD contexts intact, key-encryption key configured, did:web-able URL."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

from credentials.did import DidError, did_web_host
from credentials.jsonld.loader import JsonLdLoaderError, mcportal_context_url, pinned_contexts
from credentials.signing.keys import (
    RECOMMENDED_KEK_MIN_LENGTH,
    KekSource,
    KeyEncryptionKeyMissing,
    dev_key_encryption_key_path,
    key_encryption_key_source,
)


@register()
def check_pinned_contexts(app_configs, **kwargs):
    """Every pinned context (and the portal's own) loads and matches its recorded SHA-256."""
    try:
        pinned_contexts(own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL))
    except (JsonLdLoaderError, OSError, KeyError, ValueError) as error:
        # json.JSONDecodeError is a ValueError; KeyError is a manifest entry without a field.
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        return [
            Error(
                f"The pinned JSON-LD contexts cannot be used: {detail}",
                hint=(
                    "Restore credentials/jsonld/contexts/ from the repository; a changed file must "
                    "never be served or used for signing (see its README.md)."
                ),
                id="credentials.E001",
            )
        ]
    return []


@register()
def check_key_encryption_key(app_configs, **kwargs):
    """Production needs MCPORTAL_KEY_ENCRYPTION_KEY; elsewhere a development KEK file is used."""
    try:
        source = key_encryption_key_source()
    except KeyEncryptionKeyMissing:
        return [
            Error(
                "MCPORTAL_KEY_ENCRYPTION_KEY is not set.",
                hint=(
                    "Issuer private keys are encrypted with it. Generate one with: python -c "
                    "\"import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())\" "
                    "and keep it outside the database backups."
                ),
                id="credentials.E002",
            )
        ]
    if source is KekSource.DEVELOPMENT_FILE:
        return [
            Warning(
                "MCPORTAL_KEY_ENCRYPTION_KEY is not set: private keys are encrypted with a "
                f"development key in {dev_key_encryption_key_path()} (created on first use).",
                hint="Fine for the demo; set MCPORTAL_KEY_ENCRYPTION_KEY anywhere real keys live.",
                id="credentials.W001",
            )
        ]
    return []


@register(deploy=True)
def check_key_encryption_key_strength(app_configs, **kwargs):
    """A configured KEK should be at least 32 characters (32 random bytes in base64 are 44)."""
    value = settings.MCPORTAL_KEY_ENCRYPTION_KEY
    if value and len(value) < RECOMMENDED_KEK_MIN_LENGTH:
        return [
            Warning(
                f"MCPORTAL_KEY_ENCRYPTION_KEY has only {len(value)} characters.",
                hint="Use 32 random bytes, URL-safe base64 encoded (44 characters).",
                id="credentials.W002",
            )
        ]
    return []


@register()
def check_public_url_for_did_web(app_configs, **kwargs):
    """MCPORTAL_PUBLIC_URL must give a did:web host; a path would move the portal's DID document."""
    url = settings.MCPORTAL_PUBLIC_URL
    try:
        did_web_host(url)
    except (DidError, ValueError, UnicodeError) as error:
        return [
            Error(
                f"MCPORTAL_PUBLIC_URL {url!r} cannot name a did:web issuer: {error}",
                hint="Set it to the portal's origin, e.g. https://portal.example.edu.",
                id="credentials.E003",
            )
        ]
    if urlsplit(url).path.strip("/"):
        return [
            Warning(
                f"MCPORTAL_PUBLIC_URL {url!r} has a path.",
                hint=(
                    "Institutions' DIDs still resolve, but the portal's own did:web then points at "
                    "<path>/did.json, while the portal serves /.well-known/did.json. Prefer an origin."
                ),
                id="credentials.W003",
            )
        ]
    return []
