"""Issuing credentials: one completed enrolment becomes one signed, status-listed credential."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from courses.models import CourseRun
from courses.validation import course_publication_report
from credentials.choices import CredentialStatus, StatusPurpose
from credentials.facts import (
    RunFacts,
    course_version,
    credential_facts_build,
    facts_snapshot,
    run_facts_build,
)
from credentials.jsonld.canonical import CanonicalizationError
from credentials.jsonld.documents import CredentialFacts, credential_document_build
from credentials.jsonld.loader import (
    DocumentLoader,
    JsonLdLoaderError,
    mcportal_context_url,
    portal_document_loader,
)
from credentials.models import Credential, StatusListEntry
from credentials.services.keys import LoadedSigningKey, load_active_signing_key, signing_key_ensure_active
from credentials.signing.proofs import proof_create
from credentials.status_lists import status_entry_document, status_list_allocate_indexes
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from mcportal.core import clock
from mcportal.core.audit import AuditEntry, audit_record, audit_record_bulk
from mcportal.core.exceptions import ApplicationError, Conflict, FieldProblem, ValidationFailed
from mcportal.core.models import Institution

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


def _not_completed(enrollment: Enrollment) -> CredentialNotIssuable | None:
    if enrollment.status == EnrollmentStatus.COMPLETED:
        return None
    return CredentialNotIssuable(
        f"Only a completed enrolment receives a credential; this one is "
        f"'{enrollment.get_status_display()}'.",
        problems=[FieldProblem("The enrolment is not completed.", field="enrollment", code="not_completed")],
    )


def _not_certifiable(course) -> ValidationFailed | None:
    report = course_publication_report(course)
    if report.is_publishable:
        return None
    return ValidationFailed(
        "The course lacks elements that the EU Recommendation makes mandatory; "
        "it cannot be certified until they are added.",
        problems=[FieldProblem(p.message, field=p.field, code=p.element) for p in report.problems],
    )


def _refuse_unless_issuable(enrollment: Enrollment) -> None:
    refusal = _not_completed(enrollment) or _not_certifiable(enrollment.run.course)
    if refusal is not None:
        raise refusal


def status_entries_reserve(*, institution, count: int) -> list[tuple[StatusListEntry, StatusListEntry]]:
    """Reserve (revocation, suspension) slots for count credentials in two short locked steps."""
    revocation = status_list_allocate_indexes(
        institution=institution, purpose=StatusPurpose.REVOCATION, count=count
    )
    suspension = status_list_allocate_indexes(
        institution=institution, purpose=StatusPurpose.SUSPENSION, count=count
    )
    return list(zip(revocation, suspension, strict=True))


def _document_sign(*, facts: CredentialFacts, key: LoadedSigningKey, loader: DocumentLoader) -> str:
    """Build, sign and serialise the credential document of facts (the text we store)."""
    document = credential_document_build(
        facts, own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)
    )
    try:
        signed = proof_create(
            document=document,
            private_key=key.private_key,
            verification_method=key.verification_method,
            created=facts.valid_from,
            document_loader=loader,
        )
    except (CanonicalizationError, JsonLdLoaderError) as exc:
        # Text that JSON-LD cannot sign faithfully (e.g. control characters in a name).
        raise ValidationFailed(
            f"This credential cannot be signed as it stands: {exc}",
            problems=[FieldProblem(str(exc), field=None, code="unsignable")],
        ) from exc
    return serialise_signed(signed)


def _credential_unsaved(
    *,
    enrollment: Enrollment,
    institution: Institution,
    key: LoadedSigningKey,
    version: str,
    facts: CredentialFacts,
    text: str,
    actor,
) -> Credential:
    return Credential(
        public_id=uuid.UUID(facts.credential_id.removeprefix("urn:uuid:")),
        verification_code=verification_code_generate(),
        enrollment=enrollment,
        institution=institution,
        signing_key=key.signing_key,
        course_version=version,
        title=facts.title,
        learner_name=facts.learner_name,
        issued_at=facts.valid_from,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        valid_from=facts.valid_from,
        valid_until=facts.valid_until,
        signed_document=text,
        facts=facts_snapshot(facts),
        document_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _issued_audit_data(credential: Credential, key: LoadedSigningKey) -> dict:
    return {
        "public_id": str(credential.public_id),
        "enrollment": credential.enrollment_id,
        "sha256": credential.document_sha256,
        "verification_method": key.verification_method,
    }


@dataclass(frozen=True)
class RunIssuance:
    """What every credential of one course run shares, read and checked once per chunk."""

    run: CourseRun
    institution: Institution
    facts: RunFacts
    key: LoadedSigningKey
    loader: DocumentLoader
    # Why no credential of this course can be issued now (missing mandatory elements), if so.
    refusal: ValidationFailed | None


def run_issuance_prepare(*, run: CourseRun, actor) -> RunIssuance:
    """Read the run's course facts, check the course is certifiable and load the signing key, once.

    Call it outside the chunk's transaction: creating a missing key locks the institution row,
    which status list allocation and PDF sealing in other workers also lock, so holding it while
    a whole chunk is signed would make the workers take turns.
    """
    institution = run.course.institution
    signing_key_ensure_active(institution=institution, actor=actor)
    return RunIssuance(
        run=run,
        institution=institution,
        facts=run_facts_build(run=run),
        key=load_active_signing_key(institution=institution),
        loader=portal_document_loader(),
        refusal=_not_certifiable(run.course),
    )


def _pdf_tasks_after_commit(credential_ids: list[int]) -> None:
    """Queue the PDFs in chunks: one task per few PDFs pays the task and signer set-up once."""
    from credentials.tasks import credential_pdfs_render_task

    size = max(1, settings.MCPORTAL_PDF_CHUNK_SIZE)
    for start in range(0, len(credential_ids), size):
        credential_pdfs_render_task.delay_on_commit(credential_ids[start : start + size])


@transaction.atomic
def credentials_issue_for_run(
    *,
    issuance: RunIssuance,
    enrollments: Sequence[Enrollment],
    actor,
    status_slots: Sequence[tuple[StatusListEntry, StatusListEntry]],
) -> list[IssueOutcome | ApplicationError]:
    """Issue the credentials of many enrolments of one run: the bulk form of credential_issue.

    Same documents, checks, idempotency and audit as credential_issue, but the course facts,
    the certifiability check and the key are read once (run_issuance_prepare), and the
    credentials, their status entries and audit rows are written with one INSERT/UPDATE each.
    Returns, per enrolment in order, its IssueOutcome or the error that refused it (the others
    are issued regardless).
    An IntegrityError (a credential created outside this service meanwhile) rolls back all;
    the caller then falls back to credential_issue one by one.
    """
    if len(status_slots) != len(enrollments):
        raise ValueError("one (revocation, suspension) slot pair per enrolment is needed")
    if any(enrollment.run_id != issuance.run.pk for enrollment in enrollments):
        raise ValueError("every enrolment must belong to the run")
    version = issuance.facts.version
    ids = [enrollment.pk for enrollment in enrollments]
    # Locked in primary-key order, so two chunks that share enrolments never wait in a cycle.
    locked = {
        enrollment.pk: enrollment
        for enrollment in Enrollment.objects.select_for_update(of=("self",))
        .select_related("learner")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    existing = {
        credential.enrollment_id: credential
        for credential in Credential.objects.filter(enrollment_id__in=ids, course_version=version).exclude(
            status=CredentialStatus.REVOKED
        )
    }
    outcomes: list[IssueOutcome | ApplicationError | None] = []
    created: list[tuple[int, Credential, tuple[StatusListEntry, StatusListEntry]]] = []
    for position, (enrollment_id, slots) in enumerate(zip(ids, status_slots, strict=True)):
        if enrollment_id in existing:
            outcomes.append(IssueOutcome(credential=existing[enrollment_id], created=False))
            continue
        enrollment = locked[enrollment_id]
        refusal = _not_completed(enrollment) or issuance.refusal
        if refusal is not None:
            outcomes.append(refusal)
            continue
        revocation_slot, suspension_slot = slots
        issued_at = clock.now().replace(microsecond=0)
        facts = credential_facts_build(
            enrollment=enrollment,
            public_id=str(uuid.uuid4()),
            issued_at=issued_at,
            status_entries=[
                status_entry_document(revocation_slot.status_list, revocation_slot.index),
                status_entry_document(suspension_slot.status_list, suspension_slot.index),
            ],
            run_facts=issuance.facts,
        )
        try:
            text = _document_sign(facts=facts, key=issuance.key, loader=issuance.loader)
        except ValidationFailed as exc:
            outcomes.append(exc)
            continue
        credential = _credential_unsaved(
            enrollment=enrollment,
            institution=issuance.institution,
            key=issuance.key,
            version=version,
            facts=facts,
            text=text,
            actor=actor,
        )
        created.append((position, credential, slots))
        outcomes.append(None)
    if created:
        credentials = Credential.objects.bulk_create([credential for _, credential, _ in created])
        entries = []
        for credential, (_, _, slots) in zip(credentials, created, strict=True):
            for entry in slots:
                entry.credential = credential
                entries.append(entry)
        StatusListEntry.objects.bulk_update(entries, ["credential"])
        audit_record_bulk(
            actor=actor,
            institution=issuance.institution,
            entries=[
                AuditEntry(
                    action="credential.issued",
                    target=credential,
                    data=_issued_audit_data(credential, issuance.key),
                )
                for credential in credentials
            ],
        )
        for (position, _, _), credential in zip(created, credentials, strict=True):
            outcomes[position] = IssueOutcome(credential=credential, created=True)
        _pdf_tasks_after_commit([credential.pk for credential in credentials])
    return outcomes  # type: ignore[return-value]  (every None was replaced above)


@transaction.atomic
def credential_issue(
    *,
    enrollment: Enrollment,
    actor,
    status_slots: tuple[StatusListEntry, StatusListEntry] | None = None,
    learner_name: str | None = None,
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
    if learner_name:
        # A reissue keeps (or, after an approved name change, replaces) the name on the credential.
        facts = dataclasses.replace(facts, learner_name=learner_name)
    text = _document_sign(facts=facts, key=key, loader=portal_document_loader())
    credential = _credential_unsaved(
        enrollment=enrollment,
        institution=institution,
        key=key,
        version=version,
        facts=facts,
        text=text,
        actor=actor,
    )
    try:
        with transaction.atomic():
            credential.save(force_insert=True)
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
        data=_issued_audit_data(credential, key),
    )
    from credentials.tasks import credential_pdf_render_task

    credential_pdf_render_task.delay_on_commit(credential.pk)
    return IssueOutcome(credential=credential, created=True)


class CredentialNotReissuable(Conflict):
    title = "This credential cannot be reissued"


@transaction.atomic
def credential_reissue(
    *,
    credential: Credential,
    actor,
    note: str,
    learner_name: str | None = None,
    cause: str = "correction",
) -> Credential:
    """Correct a credential without editing it: issue a new version that replaces it, revoke the old
    one as superseded, audit both and e-mail the holder, all in one transaction.

    The new version is built from today's enrolment and course data; the name stays the one on the
    old credential unless ``learner_name`` (an approved name change) is given. Only a credential in
    force (issued or suspended) can be reissued; the old one's URL keeps resolving and says which
    version is current.
    """
    from credentials.choices import ReissueCause, RevocationReason
    from credentials.services.revocation import (
        credential_learner_notify,
        credential_qs_for_update,
        credential_revoke_locked,
        reason_note_clean,
    )

    note = reason_note_clean(note)
    if cause not in ReissueCause.values:
        raise ValidationFailed("Unknown cause.", problems=[FieldProblem("Unknown cause.", field="cause")])
    # Parent before child: the enrolment, then the credential (credential_issue locks it again).
    _enrollment_locked(credential.enrollment_id)
    old = credential_qs_for_update().get(pk=credential.pk)
    if old.status == CredentialStatus.REVOKED:
        raise CredentialNotReissuable(
            "A revoked credential cannot be corrected; it is no longer in force.",
            problems=[FieldProblem("The credential is revoked.", field=None, code="revoked")],
        )
    name = (learner_name or "").strip() or old.learner_name
    credential_revoke_locked(
        credential=old,
        reason=RevocationReason.SUPERSEDED,
        note=note,
        actor=actor,
        data={"cause": cause},
    )
    outcome = credential_issue(enrollment=old.enrollment, actor=actor, learner_name=name)
    if not outcome.created:
        # Another live credential already exists for this enrolment and course version (e.g. one
        # issued after the course changed): replacing the old one by it would hide a choice.
        raise CredentialNotReissuable(
            f"This enrolment already holds a credential in force ({outcome.credential.verification_code}); "
            "revoke or correct that one instead.",
            problems=[
                FieldProblem("Another credential is in force.", field=None, code="live_credential_exists")
            ],
        )
    new = outcome.credential
    new.replaces = old
    new.save(update_fields=["replaces", "updated_at"])
    audit_record(
        actor=actor,
        action="credential.reissued",
        target=old,
        institution=old.institution,
        reason=note,
        data={
            "cause": cause,
            "replaced_by": new.verification_code,
            "name_changed": name != old.learner_name,
        },
    )
    audit_record(
        actor=actor,
        action="credential.issued_as_replacement",
        target=new,
        institution=new.institution,
        reason=note,
        data={"cause": cause, "replaces": old.verification_code},
    )
    credential_learner_notify(
        credential=new,
        message="credential_reissued",
        old_verification_code=old.verification_code,
        note=note,
    )
    return new
