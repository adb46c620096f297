"""Reads of credentials used by verification, the learner's pages and staff pages."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform

from credentials.choices import NameChangeStatus, StatusPurpose
from credentials.models import (
    Credential,
    DocumentSigningIdentity,
    DocumentSigningIdentityKind,
    KeyStatus,
    NameChangeRequest,
    StatusList,
    StatusListEntry,
)
from mcportal.core.models import AuditEvent, Institution

# Audit actions written by credentials.services.revocation and .correction, and the key in
# their data that says why.
STATUS_CHANGE_ACTIONS = {
    "credential.revoked": ("revoked", "reason"),
    "credential.suspended": ("suspended", "reason"),
    "credential.reinstated": ("reinstated", None),
    "credential.reissued": ("reissued", "cause"),
}


def credential_get_by_verification_code(*, code: str) -> Credential | None:
    """The credential printed with this code (case-insensitive), or None."""
    return (
        Credential.objects.select_related("institution", "replaces", "replaced_by", "enrollment__run__course")
        .filter(verification_code=code.strip().upper())
        .first()
    )


def credential_get_by_public_id(*, public_id) -> Credential | None:
    """The credential with this public id (urn:uuid:<public_id>), or None."""
    return (
        Credential.objects.select_related("institution", "replaces", "replaced_by")
        .filter(public_id=public_id)
        .first()
    )


def credential_list_for_learner(*, learner) -> QuerySet[Credential]:
    """The learner's credentials, newest first."""
    return Credential.objects.filter(enrollment__learner=learner).select_related("institution")


def credential_get_for_learner(*, learner, public_id) -> Credential | None:
    return credential_list_for_learner(learner=learner).filter(public_id=public_id).first()


def credential_get_for_staff(*, public_id, institutions: QuerySet[Institution]) -> Credential | None:
    """The credential if one of the institutions issued it (else None), with what its page shows."""
    return (
        Credential.objects.select_related(
            "institution", "enrollment__learner", "enrollment__run__course", "replaces", "replaced_by"
        )
        .filter(public_id=public_id, institution__in=institutions)
        .first()
    )


def credential_audit_trail(*, credential: Credential) -> QuerySet[AuditEvent]:
    """Every audit event about the credential, oldest first."""
    return (
        AuditEvent.objects.filter(target_type=Credential._meta.label_lower, target_id=str(credential.pk))
        .select_related("actor")
        .order_by("occurred_at", "pk")
    )


def credential_status_bits(*, credential: Credential) -> dict[str, tuple[StatusList, int]]:
    """The credential's status list and index per purpose (revocation, suspension)."""
    entries = StatusListEntry.objects.filter(credential=credential).select_related("status_list")
    return {entry.status_list.purpose: (entry.status_list, entry.index) for entry in entries}


def status_list_get(*, institution_slug: str, purpose: str, sequence: int) -> StatusList | None:
    """The status list published at /status/<institution>/<purpose>/<sequence>, or None."""
    if purpose not in StatusPurpose.values:
        return None
    return (
        StatusList.objects.select_related("institution")
        .filter(institution__slug=institution_slug, purpose=purpose, sequence=sequence)
        .first()
    )


def name_change_requests_pending(*, institutions: QuerySet[Institution]) -> QuerySet[NameChangeRequest]:
    """Open name-change requests on credentials of the institutions, oldest first."""
    return (
        NameChangeRequest.objects.filter(
            status=NameChangeStatus.PENDING, credential__institution__in=institutions
        )
        .select_related("credential__institution", "requested_by")
        .order_by("created_at", "pk")
    )


def name_change_request_get_for_staff(
    *, request_id: int, institutions: QuerySet[Institution]
) -> NameChangeRequest | None:
    return (
        NameChangeRequest.objects.filter(pk=request_id, credential__institution__in=institutions)
        .select_related("credential__institution", "requested_by", "new_credential")
        .first()
    )


def name_change_requests_for_credential(*, credential: Credential) -> QuerySet[NameChangeRequest]:
    return NameChangeRequest.objects.filter(credential=credential).order_by("-created_at", "-pk")


def pdf_trust_roots() -> list[x509.Certificate]:
    """Certificates a sealed PDF of this portal may chain to: the portal CA(s), active or retired,
    and the self-signed roots of institutions' imported signing chains."""
    roots: dict[bytes, x509.Certificate] = {}
    identities = DocumentSigningIdentity.objects.filter(status__in=[KeyStatus.ACTIVE, KeyStatus.RETIRED])
    for identity in identities:
        candidates = (
            [identity.certificate()] if identity.kind == DocumentSigningIdentityKind.PORTAL_CA else []
        )
        candidates += [cert for cert in identity.chain() if cert.issuer == cert.subject]
        for certificate in candidates:
            roots[certificate.fingerprint(hashes.SHA256())] = certificate
    return list(roots.values())


def credential_status_changes_since(
    *, institution: Institution, since: dt.datetime
) -> dict[str, dict[str, int]]:
    """Revocations, suspensions, reinstatements and reissues of the institution's credentials since
    the moment, each counted by reason (reinstatements under "total").

    Shape: {"revoked": {reason: n}, "suspended": {reason: n}, "reinstated": {"total": n},
    "reissued": {cause: n}}; reasons absent from the period are absent from their dict.
    """
    rows = (
        AuditEvent.objects.filter(
            institution=institution,
            occurred_at__gte=since,
            target_type=Credential._meta.label_lower,
            action__in=list(STATUS_CHANGE_ACTIONS),
        )
        .annotate(
            reason_code=KeyTextTransform("reason", "data"), cause_code=KeyTextTransform("cause", "data")
        )
        .order_by()
        .values("action", "reason_code", "cause_code")
        .annotate(total=Count("pk"))
    )
    changes: dict[str, dict[str, int]] = {name: {} for name, _key in STATUS_CHANGE_ACTIONS.values()}
    for row in rows:
        name, key = STATUS_CHANGE_ACTIONS[row["action"]]
        bucket = {"reason": row["reason_code"], "cause": row["cause_code"]}.get(key) if key else "total"
        bucket = bucket or "other"
        changes[name][bucket] = changes[name].get(bucket, 0) + row["total"]
    return changes
