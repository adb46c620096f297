"""Name changes on credentials: the learner asks, a registrar approves (which reissues) or rejects.

A signed credential is never edited: approval goes through credential_reissue, so the old version
is revoked as superseded and links to the new one.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from credentials.choices import NAME_CHANGE_TRANSITIONS, CredentialStatus, NameChangeStatus, ReissueCause
from credentials.models import Credential, NameChangeRequest
from credentials.services.issuance import credential_reissue
from credentials.services.revocation import credential_learner_notify, reason_note_clean
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, FieldProblem, InvalidTransition, ValidationFailed

NAME_MAX_LENGTH = 200


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(
            "Give the new name.",
            problems=[
                FieldProblem("Write the name as it should appear.", field="requested_name", code="required")
            ],
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            "The name is too long.",
            problems=[
                FieldProblem(
                    f"At most {NAME_MAX_LENGTH} characters.", field="requested_name", code="max_length"
                )
            ],
        )
    if any(not character.isprintable() for character in name):
        raise ValidationFailed(
            "The name contains characters that cannot be printed.",
            problems=[FieldProblem("Remove control characters.", field="requested_name", code="unprintable")],
        )
    return name


def _request_locked(request_id: int) -> NameChangeRequest:
    return (
        NameChangeRequest.objects.select_for_update(of=("self",))
        .select_related("credential__institution", "credential__enrollment__learner")
        .get(pk=request_id)
    )


def _require_transition(request: NameChangeRequest, target: NameChangeStatus) -> None:
    if target not in NAME_CHANGE_TRANSITIONS[NameChangeStatus(request.status)]:
        raise InvalidTransition(request.status, target, entity="name change request")


@transaction.atomic
def name_change_request_create(
    *, credential: Credential, learner, requested_name: str, explanation: str
) -> NameChangeRequest:
    """Record the holder's request for a new name on a credential in force; audited.

    Only the holder may ask; one open request per credential (a unique constraint backs it).
    """
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("enrollment__learner", "institution")
        .get(pk=credential.pk)
    )
    if credential.enrollment.learner_id != learner.pk:
        raise ValidationFailed("Only the holder can ask to change the name on a credential.")
    if credential.status == CredentialStatus.REVOKED:
        raise Conflict(
            "This credential is revoked; its name can no longer be changed.",
            problems=[FieldProblem("The credential is revoked.", field=None, code="revoked")],
        )
    name = _clean_name(requested_name)
    if name == credential.learner_name:
        raise ValidationFailed(
            "This is already the name on the credential.",
            problems=[FieldProblem("Give a different name.", field="requested_name", code="unchanged")],
        )
    explanation = reason_note_clean(explanation)
    try:
        with transaction.atomic():
            request = NameChangeRequest.objects.create(
                credential=credential,
                requested_by=learner,
                current_name=credential.learner_name,
                requested_name=name,
                explanation=explanation,
            )
    except IntegrityError:
        raise Conflict(
            "A name change for this credential is already waiting for a decision.",
            problems=[FieldProblem("A request is already open.", field=None, code="already_pending")],
        ) from None
    audit_record(
        actor=learner,
        action="credential.name_change_requested",
        target=credential,
        institution=credential.institution,
        reason=explanation,
        data={"request": request.pk},
    )
    return request


def _decision_save(
    request: NameChangeRequest, *, status: NameChangeStatus, actor, note: str, **extra
) -> None:
    """Record the decision on the locked request: status, who, when and why, plus ``extra`` fields."""
    request.status = status
    request.decided_by = actor
    request.decided_at = clock.now()
    request.decision_note = note
    for name, value in extra.items():
        setattr(request, name, value)
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", *extra, "updated_at"])


@transaction.atomic
def name_change_request_approve(*, request: NameChangeRequest, actor, note: str = "") -> NameChangeRequest:
    """Approve: reissue the credential with the new name (old one revoked as superseded); audited."""
    request = _request_locked(request.pk)
    _require_transition(request, NameChangeStatus.APPROVED)
    note = (note or "").strip() or f"Name change approved: {request.current_name} → {request.requested_name}"
    new_credential = credential_reissue(
        credential=request.credential,
        actor=actor,
        note=note,
        learner_name=request.requested_name,
        cause=ReissueCause.NAME_CHANGE,
    )
    _decision_save(
        request, status=NameChangeStatus.APPROVED, actor=actor, note=note, new_credential=new_credential
    )
    audit_record(
        actor=actor,
        action="credential.name_change_approved",
        target=request.credential,
        institution=request.credential.institution,
        reason=note,
        data={"request": request.pk, "new_credential": new_credential.verification_code},
    )
    return request


@transaction.atomic
def name_change_request_reject(*, request: NameChangeRequest, actor, reason: str) -> NameChangeRequest:
    """Reject with a mandatory reason, which the learner receives by e-mail; audited."""
    request = _request_locked(request.pk)
    _require_transition(request, NameChangeStatus.REJECTED)
    reason = reason_note_clean(reason)
    _decision_save(request, status=NameChangeStatus.REJECTED, actor=actor, note=reason)
    audit_record(
        actor=actor,
        action="credential.name_change_rejected",
        target=request.credential,
        institution=request.credential.institution,
        reason=reason,
        data={"request": request.pk},
    )
    credential_learner_notify(
        credential=request.credential,
        message="credential_name_change_rejected",
        requested_name=request.requested_name,
        note=reason,
    )
    return request
