"""Local DID resolution: this portal's did:web documents from the database, and did:key.

Nothing here touches the network. A did:web of any other host is refused with
ForeignDidWebHost; a key must be listed under ``assertionMethod`` of the DID that controls it,
and, when the issuer is given, that DID must be the issuer.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db.models import Case, IntegerField, Value, When

from credentials.did import (
    ASSERTION_METHOD,
    DID_WEB_PREFIX,
    INSTITUTIONS_SEGMENT,
    DidError,
    did_document_build,
    did_web_host,
    did_web_parse,
    institution_did,
    portal_did,
)
from credentials.models import KeyStatus, SigningKey
from credentials.signing.multikey import DID_KEY_PREFIX, MultikeyError, public_key_from_did_key
from mcportal.core.models import Institution

# A did:key document lists its one key under every verification relationship.
_DID_KEY_RELATIONSHIPS = frozenset(
    {ASSERTION_METHOD, "authentication", "capabilityInvocation", "capabilityDelegation"}
)


class DidResolutionError(LookupError):
    """A DID or verification method could not be resolved locally; the message says why."""


class UnsupportedDidMethod(DidResolutionError):
    """The identifier is not a did:key or did:web (or not a DID at all)."""


class ForeignDidWebHost(DidResolutionError):
    """A did:web of another host: its document is never fetched, so it cannot be resolved."""

    def __init__(self, host: str, own_host: str) -> None:
        super().__init__(
            f"did:web host {host!r} is not this portal ({own_host!r}); DID documents of other "
            "hosts are never fetched."
        )
        self.host = host


class DidNotFound(DidResolutionError):
    """A did:web of this portal that names no institution (or no document)."""


class VerificationMethodNotFound(DidResolutionError):
    """The DID document does not list the verification method."""


class VerificationRelationshipMissing(DidResolutionError):
    """The key is known but not listed under the required relationship (e.g. assertionMethod)."""


class IssuerNotController(DidResolutionError):
    """The key belongs to a DID other than the credential's issuer."""


@dataclass(frozen=True)
class ResolvedVerificationMethod:
    """A verification method resolved to its key, with the key's lifecycle for did:web keys."""

    id: str
    controller: str
    public_key: Ed25519PublicKey
    # None for did:key (no lifecycle); "active" or "retired" for this portal's keys.
    key_status: str | None = None
    retired_at: dt.datetime | None = None


def _public_url() -> str:
    return settings.MCPORTAL_PUBLIC_URL


def issuer_did_for(institution: Institution | None) -> str:
    """Return the DID an institution issues as (None: the portal's own DID)."""
    if institution is None:
        return portal_did(_public_url())
    return institution_did(_public_url(), institution.slug)


def published_signing_keys(institution: Institution | None) -> list[SigningKey]:
    """Return every key the DID document lists: the active key first, then retired, newest first."""
    queryset = SigningKey.objects.filter(status__in=[KeyStatus.ACTIVE, KeyStatus.RETIRED])
    if institution is None:
        queryset = queryset.filter(institution__isnull=True)
    else:
        queryset = queryset.filter(institution=institution)
    active_first = Case(
        When(status=KeyStatus.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return list(queryset.order_by(active_first, "-created_at", "-pk"))


def _document(institution: Institution | None, keys: list[SigningKey]) -> dict[str, Any]:
    return did_document_build(
        did=issuer_did_for(institution), public_keys_multibase=[key.public_key_multibase for key in keys]
    )


def did_document_for(institution: Institution | None) -> dict[str, Any]:
    """Return the DID document of an institution (None: the portal) as the portal publishes it."""
    return _document(institution, published_signing_keys(institution))


def institution_get_by_slug(slug: str) -> Institution:
    """Return the institution with this slug; raise DidNotFound if there is none."""
    institution = Institution.objects.filter(slug=slug).first()
    if institution is None:
        raise DidNotFound(f"No institution has the slug {slug!r}.")
    return institution


def did_document_for_institution_slug(slug: str) -> dict[str, Any]:
    """Return the DID document of the institution with this slug; raise DidNotFound if unknown."""
    return did_document_for(institution_get_by_slug(slug))


def _owner_of(did: str) -> Institution | None:
    """Map a did:web of this portal to its owner (None: the portal); refuse every other DID."""
    if not did.startswith(DID_WEB_PREFIX):
        raise UnsupportedDidMethod(f"{did!r} is not a did:web.")
    try:
        parsed = did_web_parse(did)
    except DidError as error:
        raise DidNotFound(str(error)) from None
    own_host = unquote(did_web_host(_public_url()))
    if parsed.host != own_host:
        raise ForeignDidWebHost(parsed.host, own_host)
    portal = did_web_parse(portal_did(_public_url()))
    prefix_length = len(portal.path)
    if parsed.path[:prefix_length] != portal.path:
        raise DidNotFound(f"{did!r} is not a DID this portal publishes.")
    below = parsed.path[prefix_length:]
    if not below:
        return None
    if len(below) == 2 and below[0] == INSTITUTIONS_SEGMENT:
        return institution_get_by_slug(below[1])
    raise DidNotFound(f"{did!r} is not a DID this portal publishes.")


def did_document_resolve(did: str) -> dict[str, Any]:
    """Return the document of a did:web of this portal, from the database (never the network)."""
    return did_document_for(_owner_of(did))


def _issuer_id(issuer: str | Mapping[str, Any] | None) -> str | None:
    if issuer is None or isinstance(issuer, str):
        return issuer
    issuer_id = issuer.get("id")
    if not isinstance(issuer_id, str):
        raise IssuerNotController("The credential's issuer has no id, so it controls no key.")
    return issuer_id


def _resolve_did_key(method: str, did: str, relationship: str) -> ResolvedVerificationMethod:
    try:
        public_key = public_key_from_did_key(method)
    except MultikeyError as error:
        raise VerificationMethodNotFound(f"{method!r}: {error}") from None
    if relationship not in _DID_KEY_RELATIONSHIPS:
        raise VerificationRelationshipMissing(f"A did:key lists no key under {relationship!r}.")
    return ResolvedVerificationMethod(id=method, controller=did, public_key=public_key)


def _resolve_did_web(method: str, did: str, relationship: str) -> ResolvedVerificationMethod:
    owner = _owner_of(did)
    keys = published_signing_keys(owner)
    document = _document(owner, keys)
    listed = {
        entry["id"]: (entry, key) for entry, key in zip(document["verificationMethod"], keys, strict=True)
    }
    if method not in listed:
        raise VerificationMethodNotFound(f"The DID document of {did} does not list {method!r}.")
    if method not in document.get(relationship, []):
        raise VerificationRelationshipMissing(f"{method!r} is not listed under {relationship!r} of {did}.")
    entry, key = listed[method]
    if entry["controller"] != did:
        raise IssuerNotController(f"{method!r} is controlled by {entry['controller']!r}, not {did!r}.")
    return ResolvedVerificationMethod(
        id=method,
        controller=did,
        public_key=key.public_key(),
        key_status=key.status,
        retired_at=key.retired_at,
    )


def verification_method_resolve(
    verification_method: str,
    *,
    issuer: str | Mapping[str, Any] | None = None,
    relationship: str = ASSERTION_METHOD,
) -> ResolvedVerificationMethod:
    """Resolve a did:key or this portal's did:web verification method, offline.

    The key must be listed under ``relationship`` of its controller's DID document; with
    ``issuer`` (an id or the credential's issuer object) the controller must be the issuer.
    Raises a DidResolutionError subclass (a LookupError) saying why it cannot.
    """
    if not isinstance(verification_method, str):
        raise UnsupportedDidMethod("The verification method is not a string.")
    did, separator, fragment = verification_method.partition("#")
    if not separator or not fragment:
        raise VerificationMethodNotFound(
            f"{verification_method!r} does not name a key (a DID URL with a #fragment is needed)."
        )
    issuer_id = _issuer_id(issuer)
    if issuer_id is not None and issuer_id != did:
        raise IssuerNotController(
            f"The proof's key belongs to {did!r}, but the credential's issuer is {issuer_id!r}."
        )
    if did.startswith(DID_KEY_PREFIX):
        return _resolve_did_key(verification_method, did, relationship)
    if did.startswith(DID_WEB_PREFIX):
        return _resolve_did_web(verification_method, did, relationship)
    raise UnsupportedDidMethod(
        f"{did!r} uses a DID method this portal does not resolve (only did:key and its own did:web)."
    )


def resolve_public_key_for_verification_method(
    verification_method: str, *, issuer: str | Mapping[str, Any] | None = None
) -> Ed25519PublicKey:
    """Return the Ed25519 key of an assertionMethod key (see verification_method_resolve)."""
    return verification_method_resolve(verification_method, issuer=issuer).public_key


def public_key_resolver_for_issuer(
    issuer: str | Mapping[str, Any] | None,
) -> Callable[[str], Ed25519PublicKey]:
    """Return a ``resolve_public_key`` for proof_verify that requires the issuer as the controller.

    A credential without an issuer resolves no key at all.
    """

    def resolve(verification_method: str) -> Ed25519PublicKey:
        if issuer is None:
            raise IssuerNotController("The credential names no issuer, so no key can be its issuer's.")
        return resolve_public_key_for_verification_method(verification_method, issuer=issuer)

    return resolve
