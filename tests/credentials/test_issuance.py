"""Issuing a credential: signed JSON that verifies, status entries, idempotency, PDF, audit."""
import dataclasses
import json
from decimal import Decimal

import pytest

from courses.services import course_publish
from credentials.bitstrings import MINIMUM_ENTRIES
from credentials.choices import PdfStatus
from credentials.did_resolution import public_key_resolver_for_issuer
from credentials.jsonld.loader import portal_document_loader as document_loader
from credentials.models import Credential, StatusList, StatusListEntry
from credentials.rendering.pades import PadesVerdict, embedded_file_read, validate_pades
from credentials.services.issuance import CredentialNotIssuable, credential_issue
from credentials.services.x509 import document_signing_identity_load
from credentials.signing.proofs import proof_verify
from enrollment.services import enrollment_enrol, result_record
from mcportal.core.models import AuditEvent
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import AssessmentFactory, LearnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed_enrollment(institution, registrar, instructor):
    course = CourseFactory(institution=institution, grading_scheme="ects_grades", validity_months=24)
    course_publish(course=course, actor=registrar)
    run = CourseRunFactory(course=course)
    assessment = AssessmentFactory(run=run, weight=Decimal("100"))
    learner = LearnerFactory(full_name="Zuzana Müller-Łukasiewicz")
    enrollment = enrollment_enrol(learner=learner, run=run, actor=learner)
    result_record(enrollment=enrollment, assessment=assessment, score=Decimal("93"), actor=instructor)
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    return enrollment


def test_issue_signs_a_credential_that_verifies_against_the_institution_did(
    completed_enrollment, registrar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = credential_issue(enrollment=completed_enrollment, actor=registrar)

    credential = Credential.objects.get(pk=outcome.credential.pk)
    document = json.loads(credential.signed_document)
    result = proof_verify(
        document=document,
        resolve_public_key=public_key_resolver_for_issuer(document["issuer"]),
        document_loader=document_loader(),
    )
    assert (outcome.created, result.verified, result.errors) == (True, True, ())
    assert document["issuer"]["id"] == "did:web:portal.test:institutions:muni"
    assert document["credentialSubject"]["identifier"][0]["identityHash"] == "Zuzana Müller-Łukasiewicz"
    assert document["credentialSubject"]["result"][0]["value"] == "A"
    assert document["validUntil"][:4] == str(credential.issued_at.year + 2)
    assert credential.pdf_status == PdfStatus.READY


def test_every_credential_carries_random_revocation_and_suspension_entries(completed_enrollment, registrar):
    credential = credential_issue(enrollment=completed_enrollment, actor=registrar).credential

    statuses = json.loads(credential.signed_document)["credentialStatus"]
    entries = StatusListEntry.objects.filter(credential=credential).select_related("status_list")
    assert sorted(s["statusPurpose"] for s in statuses) == ["revocation", "suspension"]
    assert {(e.status_list.purpose, str(e.index)) for e in entries} == {
        (s["statusPurpose"], s["statusListIndex"]) for s in statuses
    }
    assert all(s["statusListCredential"].startswith("https://portal.test/status/muni/") for s in statuses)
    assert StatusList.objects.get(purpose="revocation").size == MINIMUM_ENTRIES


def test_issuing_twice_returns_the_same_credential(completed_enrollment, registrar):
    first = credential_issue(enrollment=completed_enrollment, actor=registrar)
    second = credential_issue(enrollment=completed_enrollment, actor=registrar)

    assert (first.created, second.created) == (True, False)
    assert second.credential.pk == first.credential.pk
    assert Credential.objects.count() == 1
    assert AuditEvent.objects.filter(action="credential.issued").count() == 1


def test_issue_is_audited_with_the_document_hash(completed_enrollment, registrar):
    credential = credential_issue(enrollment=completed_enrollment, actor=registrar).credential

    event = AuditEvent.objects.get(action="credential.issued")
    assert (event.actor, event.target_id) == (registrar, str(credential.pk))
    assert event.data["sha256"] == credential.document_sha256
    assert len(credential.document_sha256) == 64


def test_an_enrolment_that_is_not_completed_gets_no_credential(institution, registrar):
    course = CourseFactory(institution=institution)
    course_publish(course=course, actor=registrar)
    learner = LearnerFactory()
    enrollment = enrollment_enrol(learner=learner, run=CourseRunFactory(course=course), actor=learner)

    with pytest.raises(CredentialNotIssuable, match="completed"):
        credential_issue(enrollment=enrollment, actor=registrar)

    assert Credential.objects.count() == 0
    assert StatusListEntry.objects.count() == 0


def test_the_pdf_is_sealed_timestamped_and_embeds_the_exact_signed_json(
    completed_enrollment, registrar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(enrollment=completed_enrollment, actor=registrar).credential
    credential.refresh_from_db()
    pdf_bytes = credential.pdf.read()
    ca = document_signing_identity_load(institution=None, kind="portal_ca").certificate

    report = validate_pades(pdf_bytes=pdf_bytes, trust_roots=[ca])

    assert report.verdict == PadesVerdict.VALID, report
    assert report.timestamp_present is True
    assert embedded_file_read(pdf_bytes) == credential.signed_document.encode("utf-8")


def test_facts_from_the_shared_run_facts_equal_facts_read_for_one_enrolment(completed_enrollment):
    from credentials.facts import credential_facts_build, run_facts_build
    from mcportal.core import clock

    issued_at = clock.now().replace(microsecond=0)
    arguments = {
        "enrollment": completed_enrollment,
        "public_id": "x",
        "issued_at": issued_at,
        "status_entries": [],
    }
    alone = credential_facts_build(**arguments)
    shared = credential_facts_build(**arguments, run_facts=run_facts_build(run=completed_enrollment.run))

    assert alone.learner_email_salt != shared.learner_email_salt  # fresh per credential
    unsalted = dataclasses.replace(shared, learner_email_salt="")
    assert unsalted == dataclasses.replace(alone, learner_email_salt="")
    assert shared.learner_name == "Zuzana Müller-Łukasiewicz"
    assert shared.valid_until.year == issued_at.year + 2
    assert (shared.activity_start, shared.activity_end) == (
        completed_enrollment.run.starts_on,
        completed_enrollment.run.ends_on,
    )
