"""did:web identifiers and DID documents of the portal and its institutions (pure functions).

The portal is ``did:web:<host>`` (document at ``/.well-known/did.json``); each institution is
path-based, ``did:web:<host>:institutions:<slug>`` (document at ``/institutions/<slug>/did.json``).
A port's colon is written ``%3A`` (``did:web:127.0.0.1%3A8000``), as did:web requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

DID_WEB_PREFIX = "did:web:"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
MULTIKEY_TYPE = "Multikey"
ASSERTION_METHOD = "assertionMethod"
INSTITUTIONS_SEGMENT = "institutions"
WELL_KNOWN_DID_PATH = "/.well-known/did.json"


class DidError(ValueError):
    """A string is not a did:web identifier this module can handle."""


@dataclass(frozen=True)
class DidWeb:
    """A parsed did:web: the host (with ``:port`` decoded) and the decoded path segments."""

    host: str
    path: tuple[str, ...]


def did_web_host(public_url: str) -> str:
    """Return the host of a URL as did:web writes it: lower-case, IDNA, port colon as ``%3A``."""
    parts = urlsplit(public_url)
    if not parts.hostname:
        raise DidError(f"URL {public_url!r} has no host")
    host = parts.hostname.encode("idna").decode("ascii").lower()
    # did:web always resolves over https, so https's default port adds nothing to the DID.
    if parts.port and not (parts.scheme == "https" and parts.port == 443):
        return f"{host}%3A{parts.port}"
    return host


def _url_path_segments(public_url: str) -> tuple[str, ...]:
    return tuple(unquote(segment) for segment in urlsplit(public_url).path.split("/") if segment)


def did_web_for(public_url: str, *path: str) -> str:
    """Return the did:web for the portal at ``public_url`` and an optional path below it."""
    segments = (*_url_path_segments(public_url), *path)
    return ":".join([DID_WEB_PREFIX + did_web_host(public_url), *(quote(s, safe="") for s in segments)])


def portal_did(public_url: str) -> str:
    """Return the portal's own DID, e.g. ``did:web:portal.example.edu``."""
    return did_web_for(public_url)


def institution_did(public_url: str, slug: str) -> str:
    """Return an institution's DID, e.g. ``did:web:portal.example.edu:institutions:muni``."""
    return did_web_for(public_url, INSTITUTIONS_SEGMENT, slug)


def did_web_parse(did: str) -> DidWeb:
    """Split a did:web (without fragment) into its decoded host and path segments."""
    if not did.startswith(DID_WEB_PREFIX):
        raise DidError(f"{did!r} is not a did:web")
    if any(separator in did for separator in "#?/"):
        raise DidError(f"{did!r} is a DID URL, not a DID")
    host, *segments = did[len(DID_WEB_PREFIX) :].split(":")
    if not host or any(not segment for segment in segments):
        raise DidError(f"{did!r} has an empty host or path segment")
    return DidWeb(host=unquote(host).lower(), path=tuple(unquote(segment) for segment in segments))


def did_web_document_url(did: str) -> str:
    """Return the https URL a did:web resolver fetches for this DID (did:web spec, section 3.2)."""
    parsed = did_web_parse(did)
    if not parsed.path:
        return f"https://{parsed.host}{WELL_KNOWN_DID_PATH}"
    return f"https://{parsed.host}/" + "/".join(quote(s, safe="") for s in parsed.path) + "/did.json"


def verification_method_id(did: str, public_key_multibase: str) -> str:
    """Return the id of a key in a DID document: the DID, ``#`` and the key's Multikey."""
    return f"{did}#{public_key_multibase}"


def did_document_build(*, did: str, public_keys_multibase: Sequence[str]) -> dict[str, Any]:
    """Return the DID document listing each key as a Multikey under assertionMethod.

    Keys appear in the given order (callers put the active key first); every key the
    institution has ever signed with must be passed, so that old credentials keep verifying.
    """
    if len(set(public_keys_multibase)) != len(public_keys_multibase):
        raise ValueError("a public key is listed twice")
    methods = [
        {
            "id": verification_method_id(did, multibase),
            "type": MULTIKEY_TYPE,
            "controller": did,
            "publicKeyMultibase": multibase,
        }
        for multibase in public_keys_multibase
    ]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        ASSERTION_METHOD: [method["id"] for method in methods],
    }
