"""Public, cacheable issuer documents: did:web DID documents and the portal's JSON-LD context.

No login, no session, no database writes. Each response has a strong ETag (SHA-256 of the body),
answers If-None-Match with 304, and allows any origin, since verifiers run in browsers too.
"""
from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from credentials.did_resolution import DidNotFound, did_document_for, did_document_for_institution_slug
from credentials.jsonld.loader import mcportal_context_url, pinned_contexts
from credentials.selectors import status_list_get
from credentials.status_lists import status_list_credential

DID_DOCUMENT_CONTENT_TYPE = "application/did+ld+json"
JSON_LD_CONTENT_TYPE = "application/ld+json"
# Short: a rotated key must reach verifiers soon; the ETag makes revalidation cheap.
DID_DOCUMENT_CACHE_CONTROL = "public, max-age=60"
# The context URL is versioned; a changed context gets a new URL, never new bytes here.
CONTEXT_CACHE_CONTROL = "public, max-age=31536000, immutable"


class OwnContextTampered(RuntimeError):
    """The portal's context file changed after its SHA-256 was checked."""


def _respond(request: HttpRequest, body: bytes, *, content_type: str, cache_control: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()}"'
    response["Cache-Control"] = cache_control
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return get_conditional_response(request, etag=response["ETag"], response=response)


def _did_json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@require_safe
def portal_did_document(request: HttpRequest) -> HttpResponse:
    """GET /.well-known/did.json: the portal's own did:web document."""
    return _respond(
        request,
        _did_json(did_document_for(None)),
        content_type=DID_DOCUMENT_CONTENT_TYPE,
        cache_control=DID_DOCUMENT_CACHE_CONTROL,
    )


@require_safe
def institution_did_document(request: HttpRequest, slug: str) -> HttpResponse:
    """GET /institutions/<slug>/did.json: an institution's did:web document (404 if unknown)."""
    try:
        document = did_document_for_institution_slug(slug)
    except DidNotFound:
        raise Http404("No such institution.") from None
    return _respond(
        request,
        _did_json(document),
        content_type=DID_DOCUMENT_CONTENT_TYPE,
        cache_control=DID_DOCUMENT_CACHE_CONTROL,
    )


@functools.lru_cache(maxsize=4)
def _own_context_bytes(own_context_url: str) -> bytes:
    """The exact bytes of the pinned own context, re-checked against the manifest once."""
    pinned = pinned_contexts(own_context_url=own_context_url)[own_context_url]
    body = pinned.file.read_bytes()
    if hashlib.sha256(body).hexdigest() != pinned.sha256:
        raise OwnContextTampered(f"{pinned.file.name} no longer matches its SHA-256 in the manifest.")
    return body


@require_safe
def mcportal_context(request: HttpRequest) -> HttpResponse:
    """GET /contexts/mcportal/v1.jsonld: the pinned bytes the portal signs with."""
    return _respond(
        request,
        _own_context_bytes(mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)),
        content_type=JSON_LD_CONTENT_TYPE,
        cache_control=CONTEXT_CACHE_CONTROL,
    )


@require_safe
def status_list_document(request: HttpRequest, institution: str, purpose: str, sequence: int) -> HttpResponse:
    """The signed BitstringStatusListCredential (public, cacheable, ETag per list version)."""
    status_list = status_list_get(institution_slug=institution, purpose=purpose, sequence=sequence)
    if status_list is None:
        raise Http404("No such status list.")
    body = (json.dumps(status_list_credential(status_list), indent=2) + "\n").encode("utf-8")
    # Short max-age: a revocation must reach verifiers within minutes, not days.
    return _respond(
        request, body, content_type="application/vc+ld+json", cache_control="public, max-age=300"
    )
