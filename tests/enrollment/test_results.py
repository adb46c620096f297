"""Tests of result_record (record, correct with history, completion that follows) and unit progress."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from enrollment.choices import EnrollmentStatus
from enrollment.models import AssessmentResult, AssessmentResultRevision, Enrollment, UnitProgress
from enrollment.services import (
    enrollment_complete,
    result_record,
    run_close,
    unit_progress_clear,
    unit_progress_mark,
)
from enrollment.signals import enrollment_completed, enrollment_regraded
from mcportal.core.exceptions import Conflict, ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory
from tests.factories.enrollment import AssessmentFactory, UnitFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def graded_run(make_run):
    """A run graded on ECTS grades: a required exam (60 %) and an optional project (40 %)."""
    run = make_run(grading_scheme="ects_grades", pass_threshold=D("50"))
    AssessmentFactory(run=run, position=1, title="Exam", weight=D("60"), pass_mark=D("50"), is_required=True)
    AssessmentFactory(run=run, position=2, title="Project", weight=D("40"), pass_mark=D("50"),
                      is_required=False)
    return run


def _assessment(run, title):
    return run.assessments.get(title=title)


@pytest.fixture
def signals_received():
    received = []

    def on_completed(sender, enrollment, **kwargs):
        received.append(("completed", enrollment.pk, connection.in_atomic_block))

    def on_regraded(sender, enrollment, previous_final_score, previous_final_grade, **kwargs):
        received.append(("regraded", enrollment.pk, previous_final_score, previous_final_grade))

    enrollment_completed.connect(on_completed)
    enrollment_regraded.connect(on_regraded)
    yield received
    enrollment_completed.disconnect(on_completed)
    enrollment_regraded.disconnect(on_regraded)


def test_recording_a_result_keeps_a_revision_and_an_audit_row(graded_run, instructor):
    enrollment = enrol(graded_run)

    result = result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Project"),
                           score=D("45.50"), actor=instructor)

    result.refresh_from_db()
    assert (result.score, result.passed, result.recorded_by) == (D("45.50"), False, instructor)
    assert list(result.revisions.values_list("score", "passed", "recorded_by", "reason")) == [
        (D("45.50"), False, instructor.pk, "")
    ]
    event = AuditEvent.objects.get(action="result.recorded")
    assert (event.actor, event.target_id, event.data) == (
        instructor, str(result.pk),
        {"enrollment": enrollment.pk, "assessment": result.assessment_id, "score": "45.50"},
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_a_correction_needs_a_reason_and_every_value_stays_in_the_history(graded_run, instructor, registrar):
    enrollment = enrol(graded_run)
    project = _assessment(graded_run, "Project")
    result_record(enrollment=enrollment, assessment=project, score=D("45"), actor=instructor)

    with pytest.raises(ValidationFailed) as refused:
        result_record(enrollment=enrollment, assessment=project, score=D("55"), actor=registrar)
    assert refused.value.problems[0].field == "reason"
    assert AssessmentResult.objects.get().score == D("45")

    result_record(enrollment=enrollment, assessment=project, score=D("55"), actor=registrar,
                  reason="Page 3 was not marked")
    result_record(enrollment=enrollment, assessment=project, score=D("58"), actor=instructor,
                  reason="Re-marked after appeal")

    result = AssessmentResult.objects.get()
    assert (result.score, result.passed, result.recorded_by) == (D("58"), True, instructor)
    assert list(result.revisions.order_by("pk").values_list("score", "recorded_by", "reason")) == [
        (D("45"), instructor.pk, ""),
        (D("55"), registrar.pk, "Page 3 was not marked"),
        (D("58"), instructor.pk, "Re-marked after appeal"),
    ]
    corrected = AuditEvent.objects.filter(action="result.corrected").order_by("pk")
    assert [(e.actor, e.reason, e.data["previous_score"], e.data["score"]) for e in corrected] == [
        (registrar, "Page 3 was not marked", "45.00", "55.00"),
        (instructor, "Re-marked after appeal", "55.00", "58.00"),
    ]


def test_recording_the_same_score_again_changes_nothing(graded_run, instructor):
    enrollment = enrol(graded_run)
    exam = _assessment(graded_run, "Exam")
    result_record(enrollment=enrollment, assessment=exam, score=D("40"), actor=instructor)
    before = (AssessmentResultRevision.objects.count(), AuditEvent.objects.count())

    result_record(enrollment=enrollment, assessment=exam, score=D("40.00"), actor=instructor)

    assert (AssessmentResultRevision.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.smoke
def test_the_result_that_meets_the_rules_completes_the_enrolment_and_signals_inside_the_transaction(
    graded_run, instructor, signals_received
):
    enrollment = enrol(graded_run)
    result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Project"), score=D("90"),
                  actor=instructor)
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE  # exam missing

    result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Exam"), score=D("70"),
                  actor=instructor)

    enrollment.refresh_from_db()
    # 70 × 0.6 + 90 × 0.4 = 78 → C (band 70–79.99 with a threshold of 50)
    assert (enrollment.status, enrollment.final_score, enrollment.final_grade) == (
        EnrollmentStatus.COMPLETED, D("78.00"), "C"
    )
    assert enrollment.completed_at == enrollment.ended_at
    assert signals_received == [("completed", enrollment.pk, True)]
    event = AuditEvent.objects.get(action="enrollment.completed")
    assert (event.actor, event.data) == (instructor, {"final_score": "78.00", "final_grade": "C"})


def test_a_failed_required_assessment_keeps_the_learner_active_until_the_run_closes(graded_run, instructor):
    enrollment = enrol(graded_run)
    result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Exam"), score=D("45"),
                  actor=instructor)
    result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Project"), score=D("100"),
                  actor=instructor)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE  # 67 % weighted, but the exam is required
    run_close(run=graded_run, actor=instructor)

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.final_score, enrollment.final_grade) == (
        EnrollmentStatus.FAILED, D("67.00"), "F"
    )


def test_nobody_completes_while_the_weights_do_not_add_up_to_100(make_run, instructor):
    run = make_run()
    exam = AssessmentFactory(run=run, weight=D("80"))
    enrollment = enrol(run)

    result_record(enrollment=enrollment, assessment=exam, score=D("100"), actor=instructor)

    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_a_correction_that_keeps_the_pass_regrades_the_completed_enrolment(
    graded_run, instructor, signals_received
):
    enrollment = enrol(graded_run)
    exam, project = _assessment(graded_run, "Exam"), _assessment(graded_run, "Project")
    result_record(enrollment=enrollment, assessment=exam, score=D("70"), actor=instructor)
    result_record(enrollment=enrollment, assessment=project, score=D("90"), actor=instructor)

    result_record(enrollment=enrollment, assessment=project, score=D("100"), actor=instructor,
                  reason="Bonus task counted")

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.final_score, enrollment.final_grade) == (
        EnrollmentStatus.COMPLETED, D("82.00"), "B"
    )
    assert signals_received == [
        ("completed", enrollment.pk, True), ("regraded", enrollment.pk, D("78.00"), "C")
    ]
    event = AuditEvent.objects.get(action="enrollment.regraded")
    assert event.data == {"from": {"final_score": "78.00", "final_grade": "C"},
                          "to": {"final_score": "82.00", "final_grade": "B"}}


def test_a_correction_that_would_take_the_pass_away_is_refused_and_changes_nothing(graded_run, instructor):
    enrollment = enrol(graded_run)
    exam = _assessment(graded_run, "Exam")
    result_record(enrollment=enrollment, assessment=exam, score=D("90"), actor=instructor)
    result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Project"), score=D("60"),
                  actor=instructor)
    completed = Enrollment.objects.get(pk=enrollment.pk)
    before = (AssessmentResultRevision.objects.count(), AuditEvent.objects.count())

    with pytest.raises(Conflict) as refused:
        result_record(enrollment=enrollment, assessment=exam, score=D("40"), actor=instructor,
                      reason="Wrong sheet")

    assert refused.value.problems[0].code == "would_undo_completion"
    assert "“Exam” is required: 40 % is below its pass mark of 50 %." in refused.value.message
    assert AssessmentResult.objects.get(assessment=exam).score == D("90")
    after = Enrollment.objects.get(pk=enrollment.pk)
    assert (after.status, after.final_score, after.final_grade) == (
        completed.status, completed.final_score, completed.final_grade
    )
    assert (AssessmentResultRevision.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("status", ["waitlisted", "pending_payment", "withdrawn", "cancelled", "failed"])
def test_results_are_recorded_only_for_active_or_completed_learners(status, enrollment_in, instructor):
    enrollment = enrollment_in(status)
    assessment = AssessmentFactory(run=enrollment.run, weight=D("0"))

    with pytest.raises(Conflict) as refused:
        result_record(enrollment=enrollment, assessment=assessment, score=D("80"), actor=instructor)

    expected = "run_closed" if status == "failed" else "not_active"
    assert refused.value.problems[0].code == expected
    assert not AssessmentResult.objects.filter(assessment=assessment).exists()


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (D("100.01"), "The score must be between 0 and 100."),
        (D("-1"), "The score must be between 0 and 100."),
        (D("55.555"), "The score may have at most two decimals."),
        (D("NaN"), "The score must be a number."),
        (55.5, "The score must be a number."),
    ],
)
def test_a_score_out_of_range_is_refused(score, message, graded_run, instructor):
    enrollment = enrol(graded_run)

    with pytest.raises(ValidationFailed) as refused:
        result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Exam"), score=score,
                      actor=instructor)

    assert [(p.field, p.message) for p in refused.value.problems] == [("score", message)]
    assert not AssessmentResult.objects.exists()


def test_an_assessment_of_another_run_is_refused(graded_run, make_run, instructor):
    enrollment = enrol(graded_run)
    foreign = AssessmentFactory(run=make_run())

    with pytest.raises(ValidationFailed) as refused:
        result_record(enrollment=enrollment, assessment=foreign, score=D("80"), actor=instructor)

    assert refused.value.problems[0].field == "assessment"
    assert not AssessmentResult.objects.exists()


@pytest.mark.parametrize("who", ["finance", "leadership", "learner", "other_instructor"])
def test_only_instructors_and_registrars_of_the_institution_record_results(
    who, graded_run, finance, leadership, other_institution
):
    enrollment = enrol(graded_run)
    actor = {
        "finance": finance, "leadership": leadership, "learner": enrollment.learner,
        "other_instructor": MembershipFactory(institution=other_institution, role="instructor").user,
    }[who]

    with pytest.raises(PermissionDenied):
        result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Exam"), score=D("99"),
                      actor=actor)

    assert not AssessmentResult.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="result.").exists()


def test_explicit_completion_lists_each_unmet_rule(graded_run, instructor):
    enrollment = enrol(graded_run)
    result_record(enrollment=enrollment, assessment=_assessment(graded_run, "Project"), score=D("20"),
                  actor=instructor)

    with pytest.raises(ValidationFailed) as refused:
        enrollment_complete(enrollment=enrollment, actor=instructor)

    assert [p.message for p in refused.value.problems] == [
        "“Exam” is required and has no result yet.",
        "The weighted score of 8 % is below the pass threshold of 50 %.",
    ]
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


# ----------------------------------------------------------------------------- unit progress


def test_marking_a_unit_for_many_learners_is_idempotent_and_audited_once_per_batch(free_run, instructor):
    unit = UnitFactory(run=free_run)
    first, second = enrol(free_run), enrol(free_run)

    assert unit_progress_mark(enrollments=[first], unit=unit, actor=instructor) == 1
    assert unit_progress_mark(enrollments=[first, second], unit=unit, actor=instructor) == 1

    assert sorted(UnitProgress.objects.values_list("enrollment_id", flat=True)) == [first.pk, second.pk]
    events = AuditEvent.objects.filter(action="unit_progress.marked").order_by("pk")
    assert [e.data for e in events] == [{"enrollments": [first.pk]}, {"enrollments": [second.pk]}]


def test_marking_refuses_the_whole_batch_if_one_learner_does_not_fit(make_run, instructor):
    run = make_run(capacity=1)
    unit = UnitFactory(run=run)
    active, waiting = enrol(run), enrol(run)
    elsewhere = enrol(make_run())

    with pytest.raises(ValidationFailed) as refused:
        unit_progress_mark(enrollments=[active, waiting, elsewhere], unit=unit, actor=instructor)

    assert [(p.code, p.message) for p in refused.value.problems] == [
        ("not_in_run", f"Enrolment {elsewhere.pk} is not in this run."),
        ("not_active", f"{waiting.learner.full_name} is “On the waiting list”; "
                       "progress is recorded for active learners only."),
    ]
    assert not UnitProgress.objects.exists()


def test_a_mistaken_mark_is_cleared_with_a_reason(free_run, instructor):
    unit = UnitFactory(run=free_run)
    enrollment = enrol(free_run)
    unit_progress_mark(enrollments=[enrollment], unit=unit, actor=instructor)

    with pytest.raises(ValidationFailed):
        unit_progress_clear(enrollments=[enrollment], unit=unit, actor=instructor, reason="")
    assert unit_progress_clear(enrollments=[enrollment], unit=unit, actor=instructor,
                               reason="Marked the wrong group") == 1

    assert not UnitProgress.objects.exists()
    assert AuditEvent.objects.get(action="unit_progress.cleared").reason == "Marked the wrong group"
