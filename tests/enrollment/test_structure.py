"""Tests of a run's structure services: units and assessments, weights, supervision, what freezes when."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from enrollment.choices import EnrollmentStatus
from enrollment.models import Assessment, AssessmentResult, Enrollment, Unit
from enrollment.services import (
    result_record,
    run_assessment_delete,
    run_assessment_save,
    run_assessments_reorder,
    run_close,
    run_unit_delete,
    run_unit_save,
    run_units_reorder,
    unit_progress_mark,
)
from mcportal.core.exceptions import Conflict, ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db
D = Decimal


def _assessment(run, actor, **attributes):
    values = {"title": "Exam", "kind": "exam", "weight": D("100"), "pass_mark": D("50"), **attributes}
    return run_assessment_save(run=run, actor=actor, attributes=values)


def test_units_are_added_last_edited_reordered_and_audited(free_run, instructor):
    first = run_unit_save(run=free_run, actor=instructor, attributes={"title": "Reads and quality"})
    second = run_unit_save(run=free_run, actor=instructor, attributes={"title": "Alignment"})

    run_unit_save(run=free_run, actor=instructor, unit=first, attributes={"title": "Reads and QC"})
    run_units_reorder(run=free_run, actor=instructor, unit_ids=[second.pk, first.pk])

    assert list(Unit.objects.filter(run=free_run).order_by("position").values_list("title", "position")) == [
        ("Alignment", 1), ("Reads and QC", 2)
    ]
    assert [e.action for e in AuditEvent.objects.order_by("pk") if e.action.startswith("unit")] == [
        "unit.created", "unit.created", "unit.updated", "units.reordered"
    ]


def test_a_taken_position_an_unknown_field_or_a_bad_order_is_refused(free_run, instructor):
    unit = run_unit_save(run=free_run, actor=instructor, attributes={"title": "One"})

    with pytest.raises(ValidationFailed) as taken:
        run_unit_save(run=free_run, actor=instructor, attributes={"title": "Two", "position": 1})
    with pytest.raises(ValidationFailed) as unknown:
        run_unit_save(run=free_run, actor=instructor, attributes={"title": "Two", "run": 5})
    with pytest.raises(ValidationFailed) as bad_order:
        run_units_reorder(run=free_run, actor=instructor, unit_ids=[unit.pk, unit.pk])
    with pytest.raises(ValidationFailed) as blank:
        run_unit_save(run=free_run, actor=instructor, attributes={"title": ""})

    assert (taken.value.problems[0].field, unknown.value.problems[0].field,
            bad_order.value.problems[0].field, blank.value.problems[0].field) == (
        "position", "run", "order", "title"
    )
    assert list(Unit.objects.values_list("title", flat=True)) == ["One"]


def test_a_unit_with_progress_is_not_deleted(free_run, instructor):
    kept = run_unit_save(run=free_run, actor=instructor, attributes={"title": "Attended"})
    empty = run_unit_save(run=free_run, actor=instructor, attributes={"title": "Nobody yet"})
    unit_progress_mark(enrollments=[enrol(free_run)], unit=kept, actor=instructor)

    with pytest.raises(Conflict):
        run_unit_delete(unit=kept, actor=instructor)
    run_unit_delete(unit=empty, actor=instructor)

    assert list(Unit.objects.values_list("title", flat=True)) == ["Attended"]
    assert AuditEvent.objects.get(action="unit.deleted").data["title"] == "Nobody yet"


def test_weights_may_not_exceed_100(free_run, instructor):
    _assessment(free_run, instructor, title="Exam", weight=D("70"))

    with pytest.raises(ValidationFailed) as refused:
        _assessment(free_run, instructor, title="Project", weight=D("40"))

    assert refused.value.problems[0].field == "weight"
    assert "110" in refused.value.message
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize(
    ("declared", "attributes", "fields"),
    [
        ("supervised_no_id", {"is_supervised": False}, ["is_supervised"]),
        ("supervised_with_id", {"is_supervised": True, "identity_verified": False}, ["identity_verified"]),
        ("supervised_with_id", {}, ["is_supervised", "identity_verified"]),
    ],
)
def test_a_required_assessment_matches_the_courses_declared_supervision(
    declared, attributes, fields, make_run, instructor
):
    run = make_run(supervision=declared)

    with pytest.raises(ValidationFailed) as refused:
        _assessment(run, instructor, **attributes)

    assert [p.field for p in refused.value.problems] == fields
    assert not Assessment.objects.exists()
    # An optional assessment may be unsupervised; a matching required one is accepted.
    _assessment(run, instructor, title="Quiz", weight=D("10"), is_required=False)
    _assessment(run, instructor, title="Exam", weight=D("90"), is_supervised=True, identity_verified=True)
    assert Assessment.objects.count() == 2


def test_an_assessment_with_results_is_not_deleted(free_run, instructor):
    exam = _assessment(free_run, instructor, weight=D("80"))
    quiz = _assessment(free_run, instructor, title="Quiz", weight=D("20"), is_required=False)
    result_record(enrollment=enrol(free_run), assessment=exam, score=D("30"), actor=instructor)

    with pytest.raises(Conflict) as refused:
        run_assessment_delete(assessment=exam, actor=instructor)
    run_assessment_delete(assessment=quiz, actor=instructor)

    assert refused.value.problems[0].code == "results_exist"
    assert list(Assessment.objects.values_list("title", flat=True)) == ["Exam"]


def test_changing_a_pass_mark_refreshes_passed_flags_and_completes_who_now_passes(free_run, instructor):
    exam = _assessment(free_run, instructor, pass_mark=D("70"))
    enrollment = enrol(free_run)
    result_record(enrollment=enrollment, assessment=exam, score=D("60"), actor=instructor)
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE

    run_assessment_save(run=free_run, actor=instructor, assessment=exam, attributes={"pass_mark": D("55")})

    assert AssessmentResult.objects.get().passed is True
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.final_grade) == (EnrollmentStatus.COMPLETED, "D")


def test_weights_reaching_100_complete_learners_who_already_meet_the_rules(free_run, instructor):
    exam = _assessment(free_run, instructor, weight=D("60"))
    enrollment = enrol(free_run)
    result_record(enrollment=enrollment, assessment=exam, score=D("100"), actor=instructor)

    _assessment(free_run, instructor, title="Quiz", weight=D("40"), is_required=False)

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.final_score) == (EnrollmentStatus.COMPLETED, D("60.00"))


def test_grading_freezes_once_anyone_completed_but_titles_and_dates_stay_editable(free_run, instructor):
    exam = _assessment(free_run, instructor)
    result_record(enrollment=enrol(free_run), assessment=exam, score=D("90"), actor=instructor)

    for attributes in ({"weight": D("90")}, {"pass_mark": D("95")}, {"is_required": False}):
        with pytest.raises(Conflict) as refused:
            run_assessment_save(run=free_run, actor=instructor, assessment=exam, attributes=attributes)
        assert refused.value.problems[0].code == "outcomes_exist"
    run_assessment_save(run=free_run, actor=instructor, assessment=exam, attributes={"title": "Final exam"})

    exam.refresh_from_db()
    assert (exam.title, exam.weight, exam.pass_mark, exam.is_required) == (
        "Final exam", D("100"), D("50"), True
    )


def test_a_closed_run_has_a_final_structure(free_run, instructor):
    exam = _assessment(free_run, instructor)
    run_close(run=free_run, actor=instructor)

    with pytest.raises(Conflict):
        run_assessment_save(run=free_run, actor=instructor, assessment=exam, attributes={"title": "Renamed"})
    with pytest.raises(Conflict):
        run_unit_save(run=free_run, actor=instructor, attributes={"title": "Late unit"})


def test_assessments_are_reordered(free_run, instructor):
    exam = _assessment(free_run, instructor, weight=D("50"))
    quiz = _assessment(free_run, instructor, title="Quiz", weight=D("50"))

    run_assessments_reorder(run=free_run, actor=instructor, assessment_ids=[quiz.pk, exam.pk])

    assert list(Assessment.objects.order_by("position").values_list("title", flat=True)) == ["Quiz", "Exam"]


@pytest.mark.parametrize("who", ["finance", "auditor", "other_instructor"])
def test_only_course_editors_of_the_institution_change_the_structure(who, free_run, finance, auditor,
                                                                     other_institution):
    actor = {"finance": finance, "auditor": auditor,
             "other_instructor": MembershipFactory(institution=other_institution,
                                                   role="instructor").user}[who]

    with pytest.raises(PermissionDenied):
        run_unit_save(run=free_run, actor=actor, attributes={"title": "Intro"})
    with pytest.raises(PermissionDenied):
        _assessment(free_run, actor)

    assert not Unit.objects.exists()
    assert not Assessment.objects.exists()


def test_an_item_of_another_run_is_refused(free_run, make_run, instructor):
    foreign = run_unit_save(run=make_run(), actor=instructor, attributes={"title": "Elsewhere"})

    with pytest.raises(ValidationFailed) as refused:
        run_unit_save(run=free_run, actor=instructor, unit=foreign, attributes={"title": "Mine now"})

    assert refused.value.problems[0].code == "other_run"
    foreign.refresh_from_db()
    assert foreign.title == "Elsewhere"


def test_form_strings_are_compared_after_conversion(free_run, instructor):
    exam = _assessment(free_run, instructor)
    result_record(enrollment=enrol(free_run), assessment=exam, score=D("90"), actor=instructor)

    # The same weight, as a form posts it, is no grading change once learners completed.
    run_assessment_save(run=free_run, actor=instructor, assessment=exam,
                        attributes={"weight": "100.00", "title": "Exam (written)", "position": "1"})

    exam.refresh_from_db()
    assert (exam.title, exam.weight, exam.position) == ("Exam (written)", D("100.00"), 1)
    assert AuditEvent.objects.filter(action="assessment.updated").get().data["fields"] == ["title"]
