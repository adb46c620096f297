"""Revoking, suspending and reinstating credentials: status, status-list bit and audit change together.

Each transition locks the credential row, then the status list row (conventions 4.5 rule 5:
credential before status list), flips the bit, writes the audit event and schedules the learner's
e-mail after commit, all in one transaction: a verifier never sees a bit without its status.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from credentials.bitstrings import bit_set
from credentials.choices import (
    CREDENTIAL_TRANSITIONS,
    CredentialStatus,
    RevocationReason,
    StatusPurpose,
    SuspensionReason,
)
from credentials.models import Credential, StatusList, StatusListEntry
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.emails import email_schedule
from mcportal.core.exceptions import FieldProblem, InvalidTransition, ValidationFailed

NOTE_MAX_LENGTH = 2000


def credential_qs_for_update():
    """Credentials locked for a status change (no key lock: nothing references them by key here)."""
    return Credential.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "institution", "enrollment__learner"
    )


def _status_bit_set(credential: Credential, purpose: str, value: bool) -> None:
    entry = StatusListEntry.objects.get(credential=credential, status_list__purpose=purpose)
    status_list = StatusList.objects.select_for_update().get(pk=entry.status_list_id)
    status_list.bits = bit_set(bytes(status_list.bits), entry.index, value)
    status_list.version = F("version") + 1
    status_list.save(update_fields=["bits", "version", "updated_at"])


def _require_transition(credential: Credential, target: CredentialStatus) -> None:
    if target not in CREDENTIAL_TRANSITIONS[CredentialStatus(credential.status)]:
        raise InvalidTransition(credential.status, target, entity="credential")


def _require_choice(value: str, choices, field: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            "Choose a reason.", problems=[FieldProblem("Choose one of the listed reasons.", field=field)]
        )


def reason_note_clean(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(
            "Say why.",
            problems=[FieldProblem("Explain the reason in a sentence.", field="note", code="required")],
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            "The explanation is too long.",
            problems=[
                FieldProblem(f"Keep it under {NOTE_MAX_LENGTH} characters.", field="note", code="max_length")
            ],
        )
    return note


def credential_learner_notify(*, credential: Credential, message: str, **context) -> None:
    """Schedule the e-mail telling the holder what happened to their credential (after commit)."""
    learner = credential.enrollment.learner
    email_schedule(
        to=learner.email,
        message=message,
        context={
            "learner_name": credential.learner_name,
            "credential_title": credential.title,
            "institution_name": credential.institution.legal_name,
            "verification_code": credential.verification_code,
            "verification_url": f"{settings.MCPORTAL_PUBLIC_URL}{credential.get_absolute_url()}",
            **context,
        },
    )


def _status_change_apply(
    credential: Credential,
    *,
    target: CredentialStatus,
    bits: dict[str, bool],
    action: str,
    note: str,
    actor,
    extra_fields: tuple[str, ...] = (),
    data: dict | None = None,
) -> None:
    """Steps 3 to 5 of every transition: save the status, flip the listed bits, write the audit event.

    ``bits`` maps a status purpose to its new value; they are set in the order given, which every
    caller keeps as revocation before suspension (the lock order of the two lists).
    """
    credential.status = target
    credential.status_changed_at = clock.now()
    credential.save(update_fields=["status", *extra_fields, "status_changed_at", "updated_at"])
    for purpose, value in bits.items():
        _status_bit_set(credential, purpose, value)
    audit_record(
        actor=actor,
        action=action,
        target=credential,
        institution=credential.institution,
        reason=note,
        data=data,
    )


def credential_revoke_locked(
    *, credential: Credential, reason: str, note: str, actor, data: dict | None = None
) -> Credential:
    """Revoke a credential already locked by the caller's transaction; no e-mail (the caller decides).

    Revoking a suspended credential also clears its suspension bit: revocation is final, and a
    status list saying "suspended" (reversible) for it would mislead whoever reads that list alone.
    """
    _require_transition(credential, CredentialStatus.REVOKED)
    _require_choice(reason, RevocationReason, "reason")
    was_suspended = credential.status == CredentialStatus.SUSPENDED
    credential.revocation_reason = reason
    bits = {StatusPurpose.REVOCATION: True}
    if was_suspended:
        bits[StatusPurpose.SUSPENSION] = False
    _status_change_apply(
        credential,
        target=CredentialStatus.REVOKED,
        bits=bits,
        action="credential.revoked",
        note=note,
        actor=actor,
        extra_fields=("revocation_reason",),
        data={"reason": reason, **({"suspension_lifted": True} if was_suspended else {}), **(data or {})},
    )
    return credential


@transaction.atomic
def credential_revoke(
    *, credential: Credential, reason: RevocationReason, note: str = "", actor
) -> Credential:
    """Revoke for good: the status flips, the revocation bit is set and the change is audited, together.

    The holder is told by e-mail after commit. A second revocation of the same credential (even
    a concurrent one) waits for the row lock and is refused with InvalidTransition.
    """
    credential = credential_qs_for_update().get(pk=credential.pk)
    note = (note or "").strip()
    credential_revoke_locked(credential=credential, reason=reason, note=note, actor=actor)
    credential_learner_notify(
        credential=credential,
        message="credential_revoked",
        reason_label=str(RevocationReason(reason).label),
        note=note,
        when=credential.status_changed_at,
    )
    return credential


@transaction.atomic
def credential_suspend(*, credential: Credential, reason: SuspensionReason, note: str, actor) -> Credential:
    """Suspend (reversibly): status, suspension bit and audit together; the holder is e-mailed.

    ``note`` is mandatory: a suspension must say why, for the holder and the audit trail.
    """
    credential = credential_qs_for_update().get(pk=credential.pk)
    _require_transition(credential, CredentialStatus.SUSPENDED)
    _require_choice(reason, SuspensionReason, "reason")
    note = reason_note_clean(note)
    _status_change_apply(
        credential,
        target=CredentialStatus.SUSPENDED,
        bits={StatusPurpose.SUSPENSION: True},
        action="credential.suspended",
        note=note,
        actor=actor,
        data={"reason": reason},
    )
    credential_learner_notify(
        credential=credential,
        message="credential_suspended",
        reason_label=str(SuspensionReason(reason).label),
        note=note,
        when=credential.status_changed_at,
    )
    return credential


@transaction.atomic
def credential_reinstate(*, credential: Credential, note: str, actor) -> Credential:
    """Lift a suspension: status back to issued, suspension bit cleared, audited, holder e-mailed."""
    credential = credential_qs_for_update().get(pk=credential.pk)
    _require_transition(credential, CredentialStatus.ISSUED)  # only a suspension leads back
    note = reason_note_clean(note)
    _status_change_apply(
        credential,
        target=CredentialStatus.ISSUED,
        bits={StatusPurpose.SUSPENSION: False},
        action="credential.reinstated",
        note=note,
        actor=actor,
    )
    credential_learner_notify(
        credential=credential, message="credential_reinstated", note=note, when=credential.status_changed_at
    )
    return credential
