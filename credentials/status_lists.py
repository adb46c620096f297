"""Status list slots: random, never reused indexes allocated under a row lock; entries for documents.

Random indexes (not sequential) keep the position of a credential from telling anything about
when it was issued or how many were; the unique constraint on (list, index) is the last guard.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from credentials.bitstrings import MINIMUM_ENTRIES, empty_bitstring, encode_list
from credentials.choices import StatusPurpose
from credentials.did_resolution import issuer_did_for
from credentials.jsonld.documents import VC_V2, format_datetime
from credentials.jsonld.loader import portal_document_loader
from credentials.models import StatusList, StatusListEntry
from credentials.services.keys import load_active_signing_key
from credentials.signing.proofs import proof_create
from mcportal.core import clock
from mcportal.core.models import Institution

# Random draws per free index wanted; a list is closed long before collisions make this matter.
_CANDIDATES_PER_INDEX = 4


def status_list_url(status_list: StatusList) -> str:
    """Public URL of the list's signed BitstringStatusListCredential."""
    path = reverse(
        "credentials:status_list",
        kwargs={
            "institution": status_list.institution.slug,
            "purpose": status_list.purpose,
            "sequence": status_list.sequence,
        },
    )
    return f"{settings.MCPORTAL_PUBLIC_URL}{path}"


def status_entry_document(status_list: StatusList, index: int) -> dict:
    """The BitstringStatusListEntry a credential carries for one purpose."""
    url = status_list_url(status_list)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": status_list.purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def _open_list_locked(institution: Institution, purpose: str) -> StatusList:
    # Parent first: two chunks that both find no open list must not both create list N+1.
    Institution.objects.select_for_update().filter(pk=institution.pk).first()
    current = (
        StatusList.objects.select_for_update()
        .filter(institution=institution, purpose=purpose)
        .order_by("-sequence")
        .first()
    )
    if current is not None and not current.is_full:
        return current
    sequence = current.sequence + 1 if current else 1
    StatusList.objects.create(
        institution=institution,
        purpose=purpose,
        sequence=sequence,
        size=MINIMUM_ENTRIES,
        bits=empty_bitstring(MINIMUM_ENTRIES),
    )
    return StatusList.objects.select_for_update().get(
        institution=institution, purpose=purpose, sequence=sequence
    )


@transaction.atomic
def status_list_allocate_indexes(
    *, institution: Institution, purpose: StatusPurpose, count: int
) -> list[StatusListEntry]:
    """Reserve count random, never used indexes as entries without a credential yet.

    Takes a row lock on the open list for the duration of the (short) allocation; a batch
    reserves the slots of a whole chunk at once so parallel workers don't queue per credential.
    """
    reserved: list[StatusListEntry] = []
    while len(reserved) < count:
        status_list = _open_list_locked(institution, purpose)
        wanted = min(count - len(reserved), status_list.size - status_list.allocated)
        chosen: set[int] = set()
        while len(chosen) < wanted:
            candidates = {
                secrets.randbelow(status_list.size)
                for _ in range((wanted - len(chosen)) * _CANDIDATES_PER_INDEX)
            } - chosen
            taken = set(
                StatusListEntry.objects.filter(status_list=status_list, index__in=candidates).values_list(
                    "index", flat=True
                )
            )
            for index in sorted(candidates - taken, key=lambda _: secrets.randbelow(1 << 30)):
                if len(chosen) == wanted:
                    break
                chosen.add(index)
        status_list.allocated += len(chosen)
        status_list.save(update_fields=["allocated", "updated_at"])
        reserved.extend(
            StatusListEntry.objects.bulk_create(
                StatusListEntry(status_list=status_list, index=index) for index in chosen
            )
        )
    return reserved


def status_list_credential(status_list: StatusList) -> dict:
    """The signed BitstringStatusListCredential of the list at its current version.

    Signed by the institution's active key; cached per list version, so a page of verifiers
    costs one signature per change rather than per request.
    """
    cache_key = f"status-list-credential:{status_list.pk}:{status_list.version}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    document = _status_list_credential_sign(status_list)
    cache.set(cache_key, document, timeout=24 * 3600)
    return document


def _status_list_credential_sign(status_list: StatusList) -> dict:
    url = status_list_url(status_list)
    key = load_active_signing_key(institution=status_list.institution)
    now = clock.now()
    document = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did_for(status_list.institution),
        "validFrom": format_datetime(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encode_list(bytes(status_list.bits)),
        },
    }
    return proof_create(
        document=document,
        private_key=key.private_key,
        verification_method=key.verification_method,
        created=now,
        document_loader=portal_document_loader(),
    )
