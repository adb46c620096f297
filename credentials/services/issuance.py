"""Issuing credentials: one completed enrolment becomes one signed, status-listed credential."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from courses.validation import course_publication_report
from credentials.choices import CredentialStatus, StatusPurpose
from credentials.facts import course_version, credential_facts_build, facts_snapshot
from credentials.jsonld.canonical import CanonicalizationError
from credentials.jsonld.documents import credential_document_build
from credentials.jsonld.loader import JsonLdLoaderError, mcportal_context_url, portal_document_loader
from credentials.models import Credential, StatusListEntry
from credentials.services.keys import load_active_signing_key, signing_key_ensure_active
from credentials.signing.proofs import proof_create
from credentials.status_lists import status_entry_document, status_list_allocate_indexes
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, FieldProblem, ValidationFailed

# Base32 without look-alikes (no 0/O, 1/I/L): people type this code from paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


class CredentialNotIssuable(Conflict):
    title = "This enrolment cannot receive a credential"


@dataclass(frozen=True)
class IssueOutcome:
    credential: Credential
    created: bool


def verification_code_generate() -> str:
    """A short, unguessable code (≈49 bits) for the public verification URL /v/<code>."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def serialise_signed(document: dict) -> str:
    """The exact text we store, serve and hash; never re-serialised after issue."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def _enrollment_locked(enrollment_id: int) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("learner", "run__course__institution")
        .get(pk=enrollment_id)
    )


def _refuse_unless_issuable(enrollment: Enrollment) -> None:
    if enrollment.status != EnrollmentStatus.COMPLETED:
        raise CredentialNotIssuable(
            f"Only a completed enrolment receives a credential; this one is "
            f"'{enrollment.get_status_display()}'.",
            problems=[
                FieldProblem("The enrolment is not completed.", field="enrollment", code="not_completed")
            ],
        )
    report = course_publication_report(enrollment.run.course)
    if not report.is_publishable:
        raise ValidationFailed(
            "The course lacks elements that the EU Recommendation makes mandatory; "
            "it cannot be certified until they are added.",
            problems=[FieldProblem(p.message, field=p.field, code=p.element) for p in report.problems],
        )


def status_entries_reserve(*, institution, count: int) -> list[tuple[StatusListEntry, StatusListEntry]]:
    """Reserve (revocation, suspension) slots for count credentials in two short locked steps."""
    revocation = status_list_allocate_indexes(
        institution=institution, purpose=StatusPurpose.REVOCATION, count=count
    )
    suspension = status_list_allocate_indexes(
        institution=institution, purpose=StatusPurpose.SUSPENSION, count=count
    )
    return list(zip(revocation, suspension, strict=True))


@transaction.atomic
def credential_issue(
    *,
    enrollment: Enrollment,
    actor,
    status_slots: tuple[StatusListEntry, StatusListEntry] | None = None,
) -> IssueOutcome:
    """Sign and store the credential of a completed enrolment; audited as credential.issued.

    Idempotent: while a non-revoked credential exists for this enrolment and course version,
    it is returned (created=False) and nothing else happens. The PDF is rendered afterwards by
    a task (it may call a timestamping authority, which must not happen inside this transaction).
    """
    enrollment = _enrollment_locked(enrollment.pk)
    course = enrollment.run.course
    version = course_version(course)
    existing = (
        Credential.objects.filter(enrollment=enrollment, course_version=version)
        .exclude(status=CredentialStatus.REVOKED)
        .first()
    )
    if existing is not None:
        return IssueOutcome(credential=existing, created=False)
    _refuse_unless_issuable(enrollment)

    institution = course.institution
    signing_key_ensure_active(institution=institution, actor=actor)
    key = load_active_signing_key(institution=institution)
    revocation_slot, suspension_slot = (
        status_slots or status_entries_reserve(institution=institution, count=1)[0]
    )
    issued_at = clock.now().replace(microsecond=0)
    public_id = uuid.uuid4()
    facts = credential_facts_build(
        enrollment=enrollment,
        public_id=str(public_id),
        issued_at=issued_at,
        status_entries=[
            status_entry_document(revocation_slot.status_list, revocation_slot.index),
            status_entry_document(suspension_slot.status_list, suspension_slot.index),
        ],
    )
    loader = portal_document_loader()
    document = credential_document_build(
        facts, own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)
    )
    try:
        signed = proof_create(
            document=document,
            private_key=key.private_key,
            verification_method=key.verification_method,
            created=issued_at,
            document_loader=loader,
        )
    except (CanonicalizationError, JsonLdLoaderError) as exc:
        # Text that JSON-LD cannot sign faithfully (e.g. control characters in a name).
        raise ValidationFailed(
            f"This credential cannot be signed as it stands: {exc}",
            problems=[FieldProblem(str(exc), field=None, code="unsignable")],
        ) from exc
    text = serialise_signed(signed)
    try:
        with transaction.atomic():
            credential = Credential.objects.create(
                public_id=public_id,
                verification_code=verification_code_generate(),
                enrollment=enrollment,
                institution=institution,
                signing_key=key.signing_key,
                course_version=version,
                title=facts.title,
                learner_name=facts.learner_name,
                issued_at=issued_at,
                issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                valid_from=facts.valid_from,
                valid_until=facts.valid_until,
                signed_document=text,
                facts=facts_snapshot(facts),
                document_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
    except IntegrityError:
        # The enrolment row is locked, so a duplicate can only come from outside this service
        # (e.g. the shell); report the credential that exists rather than fail.
        existing = (
            Credential.objects.filter(enrollment=enrollment, course_version=version)
            .exclude(status=CredentialStatus.REVOKED)
            .first()
        )
        if existing is None:
            raise
        return IssueOutcome(credential=existing, created=False)
    StatusListEntry.objects.filter(pk__in=[revocation_slot.pk, suspension_slot.pk]).update(
        credential=credential
    )
    audit_record(
        actor=actor,
        action="credential.issued",
        target=credential,
        institution=institution,
        data={
            "public_id": str(public_id),
            "enrollment": enrollment.pk,
            "sha256": credential.document_sha256,
            "verification_method": key.verification_method,
        },
    )
    from credentials.tasks import credential_pdf_render_task

    credential_pdf_render_task.delay_on_commit(credential.pk)
    return IssueOutcome(credential=credential, created=True)
