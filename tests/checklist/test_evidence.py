"""Live evidence: the figures match the data made here through the real services, per institution."""

import datetime as dt

import pytest

from checklist.evidence import EVIDENCE_PROVIDERS, evidence_for_institution
from checklist.selectors import readiness_get
from checklist.services import assessment_update
from courses.models import LearningOutcome
from courses.services import course_publish
from credentials.services.issuance import credential_issue, credential_reissue
from credentials.services.revocation import credential_revoke
from mcportal.core import clock
from tests.factories.courses import CourseFactory, CourseRunFactory
from verification.models import VerificationEvent

pytestmark = pytest.mark.django_db


def _facts(evidence) -> dict:
    return {fact.label: fact.value for fact in evidence.facts}


def test_with_no_activity_every_measured_activity_shows_zero_and_supports_nothing(institution):
    evidence = evidence_for_institution(institution=institution)

    assert set(evidence) == set(EVIDENCE_PROVIDERS)
    assert _facts(evidence["course-catalogue"]) == {
        "Published courses in the online catalogue": 0,
        "Of these, passing the EU-elements check": 0,
    }
    assert _facts(evidence["student-records"]) == {"Enrolments tracked": 0}
    assert _facts(evidence["verification-system"]) == {"Verifications in the last 30 days": 0}
    assert {key: item.supports_done for key, item in evidence.items() if item.has_source} == {
        key: False for key, item in evidence.items() if item.has_source
    }


def test_evaluation_and_feedback_say_there_is_no_data_source_yet(institution):
    evidence = evidence_for_institution(
        institution=institution, activity_keys=["evaluation-mechanisms", "feedback"]
    )

    assert [(item.has_source, item.facts) for item in evidence.values()] == [(False, ()), (False, ())]
    assert all(item.note.startswith("No data source yet") for item in evidence.values())


def test_catalogue_counts_published_courses_and_those_passing_the_eu_elements_check(
    institution, other_institution, registrar
):
    passing, drifted = CourseFactory.create_batch(2, institution=institution)
    for course in (passing, drifted):
        course_publish(course=course, actor=registrar)
    CourseFactory(institution=institution)  # a draft: not in the catalogue
    CourseFactory(institution=other_institution, status="published")  # another institution's
    # A published course whose outcomes were removed afterwards no longer passes the check.
    LearningOutcome.objects.filter(course=drifted).delete()

    evidence = evidence_for_institution(
        institution=institution, activity_keys=["course-catalogue", "compliance"]
    )

    assert _facts(evidence["course-catalogue"]) == {
        "Published courses in the online catalogue": 2,
        "Of these, passing the EU-elements check": 1,
    }
    assert evidence["course-catalogue"].supports_done is True
    assert evidence["compliance"].supports_done is False


def test_issuance_records_verifications_and_revocations_match_the_data(
    institution, other_institution, registrar, completed_run
):
    run = completed_run(3)
    enrollments = list(run.enrollments.order_by("pk"))
    credentials = [credential_issue(enrollment=e, actor=registrar).credential for e in enrollments]
    credential_revoke(credential=credentials[0], reason="issued_in_error", note="Wrong run.", actor=registrar)
    credential_reissue(
        credential=credentials[1], actor=registrar, note="Typo in the name.", learner_name="Jana Nováková"
    )
    now = clock.now()
    for verdict, credential in [
        ("valid", credentials[2]),
        ("valid", credentials[2]),
        ("revoked", credentials[0]),
    ]:
        VerificationEvent.objects.create(
            credential=credential, institution=institution, method="page", verdict=verdict
        )
    VerificationEvent.objects.create(
        institution=institution, method="api", verdict="valid", created_at=now - dt.timedelta(days=31)
    )
    VerificationEvent.objects.create(institution=other_institution, method="page", verdict="valid")

    evidence = evidence_for_institution(institution=institution)

    assert _facts(evidence["student-records"]) == {"Enrolments tracked": 3, "Completed": 3}
    assert _facts(evidence["issuance-mechanism"]) == {
        "Signing key (Ed25519)": "present",
        "Timestamping": "not configured",  # no TSA URL and no PDF sealed yet (no local TSA key)
        "Credentials issued in the last 30 days": 4,  # three plus the reissued version
    }
    assert _facts(evidence["verification-system"]) == {
        "Verifications in the last 30 days": 3,
        "Valid": 2,
        "Revoked": 1,
    }
    revocations = _facts(evidence["revocation-update"])
    assert revocations["Revoked"] == 2
    assert revocations["Revoked: Issued in error"] == 1
    assert revocations["Revoked: Replaced by a corrected version"] == 1
    assert revocations["Reissued"] == 1
    assert evidence["revocation-update"].supports_done is True
    assert evidence["verification-system"].supports_done is True
    assert _facts(evidence["platform-selection"]) == {
        "Courses offered on the portal": 1,
        "Enrolments handled by the portal": 3,
        "Credentials issued by the portal": 4,
    }


def test_pricing_counts_runs_with_a_fee(institution, registrar):
    course = CourseFactory(institution=institution)
    course_publish(course=course, actor=registrar)
    CourseRunFactory(course=course, price_amount="120.00")
    CourseRunFactory(course=course, price_amount="0")

    evidence = evidence_for_institution(institution=institution, activity_keys=["pricing"])

    assert _facts(evidence["pricing"]) == {"Course runs with a fee": 1, "Free course runs": 1}


def test_done_without_evidence_is_flagged_but_the_human_status_stays(institution, leadership):
    assessment_update(
        institution=institution, activity_key="course-catalogue", actor=leadership, status="done"
    )
    assessment_update(institution=institution, activity_key="feedback", actor=leadership, status="done")
    assessment_update(institution=institution, activity_key="define-goals", actor=leadership, status="done")

    readiness = readiness_get(institution=institution)

    assert [row.key for row in readiness.mismatches] == ["course-catalogue"]
    statuses = {row.key: row.status for row in readiness.rows}
    assert statuses["course-catalogue"] == statuses["feedback"] == statuses["define-goals"] == "done"


def test_issuance_mechanism_is_supported_once_a_signing_key_and_a_tsa_exist(
    institution, registrar, completed_run, settings
):
    settings.MCPORTAL_TSA_URL = "https://tsa.example.org/tsr"
    before = evidence_for_institution(institution=institution, activity_keys=["issuance-mechanism"])
    run = completed_run(1)
    credential_issue(enrollment=run.enrollments.get(), actor=registrar)

    after = evidence_for_institution(institution=institution, activity_keys=["issuance-mechanism"])

    assert _facts(before["issuance-mechanism"])["Signing key (Ed25519)"] == "missing"
    assert before["issuance-mechanism"].supports_done is False
    assert _facts(after["issuance-mechanism"]) == {
        "Signing key (Ed25519)": "present",
        "Timestamping": "remote TSA at tsa.example.org",
        "Credentials issued in the last 30 days": 1,
    }
    assert after["issuance-mechanism"].supports_done is True


def test_payments_counts_online_payments_taken_through_the_sandbox(institution, registrar, settings):
    from decimal import Decimal

    from enrollment.services import checkout_order_create, enrollment_enrol
    from payments.choices import PriceTier
    from payments.models import BillingProfile
    from payments.providers.sandbox import SandboxProvider
    from payments.services import BuyerDetails, payment_start, provider_event_apply
    from tests.factories.enrollment import LearnerFactory

    settings.MCPORTAL_PAYMENT_PROVIDERS = ["sandbox"]
    BillingProfile.objects.create(institution=institution, vat_rate=Decimal("21.00"))
    course = CourseFactory(institution=institution)
    course_publish(course=course, actor=registrar)
    run = CourseRunFactory(course=course, price_amount=Decimal("250.00"))
    outcomes = []
    for action in ("pay", "pay", "decline"):
        learner = LearnerFactory()
        enrollment = enrollment_enrol(learner=learner, run=run, actor=learner)
        order = checkout_order_create(
            enrollment=enrollment,
            tier=PriceTier.INDIVIDUAL,
            voucher_code="",
            actor=learner,
            buyer=BuyerDetails(name=learner.full_name, email=learner.email, address="Kotlářská 2, Brno"),
        )
        payment = payment_start(
            order=order,
            provider="sandbox",
            actor=learner,
            success_url="https://x.test",
            cancel_url="https://x.test",
        )
        provider_event_apply(outcome=SandboxProvider().outcome_for_action(payment=payment, action=action))
        payment.refresh_from_db()
        outcomes.append(payment.status)

    evidence = evidence_for_institution(institution=institution, activity_keys=["payments"])

    assert outcomes == ["succeeded", "succeeded", "failed"]
    assert _facts(evidence["payments"]) == {"Online payments taken in the last 30 days": 2}
    assert evidence["payments"].supports_done is True
