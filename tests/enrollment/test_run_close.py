"""Tests of run_close: final outcomes for everyone, cancellations, refusals and who may close."""
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from courses.services import course_run_cancel
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import (
    enrollment_withdraw,
    result_record,
    run_close,
)
from mcportal.core.exceptions import Conflict, ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.enrollment import AssessmentFactory

from .conftest import assert_seats_consistent, enrol

pytestmark = pytest.mark.django_db
D = Decimal


def test_closing_fails_who_did_not_pass_cancels_who_waits_and_reports(
    make_run, instructor, django_capture_on_commit_callbacks
):
    run = make_run(capacity=3, grading_scheme="numeric_1_5")
    exam = AssessmentFactory(run=run, weight=D("100"), pass_mark=D("50"))
    passed, failing, silent = enrol(run), enrol(run), enrol(run)
    waiting = enrol(run)
    result_record(enrollment=passed, assessment=exam, score=D("90"), actor=instructor)
    result_record(enrollment=failing, assessment=exam, score=D("30"), actor=instructor)
    left = enrol(run)  # waits behind `waiting`
    enrollment_withdraw(enrollment=silent, actor=silent.learner, reason="")  # `waiting` gets the seat
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        summary = run_close(run=run, actor=instructor)

    outcomes = {
        e.pk: (e.status, e.final_score, e.final_grade) for e in Enrollment.objects.filter(run=run)
    }
    assert outcomes == {
        passed.pk: (EnrollmentStatus.COMPLETED, D("90.00"), "1"),
        failing.pk: (EnrollmentStatus.FAILED, D("30.00"), "5"),
        silent.pk: (EnrollmentStatus.WITHDRAWN, None, ""),
        waiting.pk: (EnrollmentStatus.FAILED, D("0.00"), "5"),
        left.pk: (EnrollmentStatus.CANCELLED, None, ""),
    }
    assert (summary.completed, summary.failed, summary.cancelled, summary.already_final) == (0, 2, 1, 2)
    run.refresh_from_db()
    assert run.closed_at is not None
    assert_seats_consistent(run)
    failed = AuditEvent.objects.get(action="enrollment.failed", target_id=str(failing.pk))
    assert failed.reason == (
        f"“{exam.title}” is required: 30 % is below its pass mark of 50 %. "
        "The weighted score of 30 % is below the pass threshold of 50 %."
    )
    closed = AuditEvent.objects.get(action="course_run.closed")
    assert (closed.actor, closed.data) == (instructor, {"completed": 0, "failed": 2, "cancelled": 1})
    assert [m.to for m in mail.outbox] == [[left.learner.email]]
    assert "Reason: The run has closed." in mail.outbox[0].body


def test_closing_frees_the_seats_of_pending_enrolments_without_promoting_anyone(make_run, instructor):
    run = make_run(capacity=1, price=D("40.00"))
    AssessmentFactory(run=run, weight=D("100"))
    pending, waiting = enrol(run), enrol(run)

    run_close(run=run, actor=instructor)

    assert set(Enrollment.objects.filter(run=run).values_list("status", flat=True)) == {"cancelled"}
    assert not AuditEvent.objects.filter(action="enrollment.promoted").exists()
    run.refresh_from_db()
    assert run.seats_taken == 0
    assert {pending.pk, waiting.pk} == set(Enrollment.objects.values_list("pk", flat=True))


def test_closing_is_refused_while_the_weights_are_short_of_100(make_run, instructor):
    run = make_run()
    AssessmentFactory(run=run, weight=D("70"))
    enrollment = enrol(run)

    with pytest.raises(ValidationFailed) as refused:
        run_close(run=run, actor=instructor)

    assert "70, not 100" in refused.value.message
    run.refresh_from_db()
    assert run.closed_at is None
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_a_run_is_closed_once_and_a_cancelled_run_not_at_all(make_run, instructor, registrar):
    closed, cancelled = make_run(), make_run()
    run_close(run=closed, actor=instructor)
    course_run_cancel(run=cancelled, actor=registrar, reason="No lecturer")

    with pytest.raises(Conflict) as again:
        run_close(run=closed, actor=instructor)
    with pytest.raises(Conflict) as on_cancelled:
        run_close(run=cancelled, actor=instructor)

    assert again.value.problems[0].code == "run_closed"
    assert on_cancelled.value.problems[0].code == "run_cancelled"
    assert AuditEvent.objects.filter(action="course_run.closed").count() == 1


@pytest.mark.parametrize("who", ["finance", "learner", "other_registrar"])
def test_only_instructors_and_registrars_of_the_institution_close_a_run(
    who, free_run, finance, other_registrar
):
    enrollment = enrol(free_run)
    actor = {"finance": finance, "learner": enrollment.learner, "other_registrar": other_registrar}[who]

    with pytest.raises(PermissionDenied):
        run_close(run=free_run, actor=actor)

    free_run.refresh_from_db()
    assert free_run.closed_at is None
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_a_registrar_closes_a_run(free_run, registrar):
    AssessmentFactory(run=free_run, weight=D("100"))
    enrol(free_run)

    summary = run_close(run=free_run, actor=registrar)

    assert summary.failed == 1
    assert AuditEvent.objects.get(action="course_run.closed").actor == registrar
