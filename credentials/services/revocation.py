"""Revoking and suspending credentials: status, status-list bit and audit change together."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from credentials.bitstrings import bit_set
from credentials.choices import CREDENTIAL_TRANSITIONS, CredentialStatus, RevocationReason, StatusPurpose
from credentials.models import Credential, StatusList, StatusListEntry
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, InvalidTransition, ValidationFailed


def _status_bit_set(credential: Credential, purpose: str, value: bool) -> None:
    entry = StatusListEntry.objects.get(credential=credential, status_list__purpose=purpose)
    status_list = StatusList.objects.select_for_update().get(pk=entry.status_list_id)
    status_list.bits = bit_set(bytes(status_list.bits), entry.index, value)
    status_list.version = F("version") + 1
    status_list.save(update_fields=["bits", "version", "updated_at"])


@transaction.atomic
def credential_revoke(
    *, credential: Credential, reason: RevocationReason, note: str = "", actor
) -> Credential:
    """Revoke for good: the status flips, the revocation bit is set and the change is audited, together."""
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if CredentialStatus.REVOKED not in CREDENTIAL_TRANSITIONS[CredentialStatus(credential.status)]:
        raise InvalidTransition(credential.status, CredentialStatus.REVOKED, entity="credential")
    if reason not in RevocationReason.values:
        raise ValidationFailed(
            "Choose a reason.", problems=[FieldProblem("Choose one of the listed reasons.", field="reason")]
        )
    credential.status = CredentialStatus.REVOKED
    credential.revocation_reason = reason
    credential.status_changed_at = clock.now()
    credential.save(update_fields=["status", "revocation_reason", "status_changed_at", "updated_at"])
    _status_bit_set(credential, StatusPurpose.REVOCATION, True)
    audit_record(
        actor=actor,
        action="credential.revoked",
        target=credential,
        institution=credential.institution,
        reason=note,
        data={"reason": reason},
    )
    return credential
