"""Tests of enrollment.selectors: learner dashboard, roster (fixed query counts), CSV rows, scoping."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from enrollment.choices import EnrollmentStatus
from enrollment.selectors import (
    enrollment_get_for_learner,
    enrollment_get_for_staff,
    enrollment_list_for_learner,
    enrollment_live_by_run_for_learner,
    run_get_for_staff,
    run_roster,
    run_roster_csv_rows,
    run_roster_status_counts,
    run_structure_get,
    run_waitlist,
)
from enrollment.services import enrollment_withdraw, result_record, unit_progress_mark
from mcportal.core import clock
from mcportal.core.roles import Capability
from tests.factories.enrollment import AssessmentFactory, LearnerFactory, UnitFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def structured_run(make_run):
    run = make_run(capacity=None)
    today = clock.today()
    UnitFactory(run=run, position=1, title="Reads", due_on=today - dt.timedelta(days=3))
    UnitFactory(run=run, position=2, title="Alignment", due_on=today + dt.timedelta(days=10))
    UnitFactory(run=run, position=3, title="Counts", due_on=today + dt.timedelta(days=20))
    UnitFactory(run=run, position=4, title="Report")
    AssessmentFactory(run=run, position=1, title="Quiz", weight=D("40"), due_on=today + dt.timedelta(days=5),
                      is_required=False)
    AssessmentFactory(run=run, position=2, title="Exam", weight=D("60"), due_on=today + dt.timedelta(days=30))
    return run


def _unit(run, title):
    return run.units.get(title=title)


def _assessment(run, title):
    return run.assessments.get(title=title)


def test_the_dashboard_shows_progress_next_due_date_results_and_unmet_rules(structured_run, instructor):
    learner = LearnerFactory()
    enrollment = enrol(structured_run, learner)
    unit_progress_mark(enrollments=[enrollment], unit=_unit(structured_run, "Reads"), actor=instructor)
    unit_progress_mark(enrollments=[enrollment], unit=_unit(structured_run, "Alignment"), actor=instructor)
    result_record(enrollment=enrollment, assessment=_assessment(structured_run, "Quiz"), score=D("80"),
                  actor=instructor)

    [row] = enrollment_list_for_learner(learner=learner)

    assert row.enrollment == enrollment
    assert (row.units_total, row.units_done, row.progress_percent) == (4, 2, 50)
    # Quiz (day 5) has a result and Alignment (day 10) is done: Counts (day 20) is next.
    assert (row.next_due_on, row.next_due_title) == (clock.today() + dt.timedelta(days=20), "Counts")
    assert [(line.assessment.title, line.result.score if line.result else None) for line in row.results] == [
        ("Quiz", D("80.00")), ("Exam", None)
    ]
    assert row.outcome.unmet == (
        "“Exam” is required and has no result yet.",
        "The weighted score of 32 % is below the pass threshold of 50 %.",
    )


def test_the_dashboard_costs_five_queries_whatever_the_number_of_enrolments(
    make_run, structured_run, django_assert_num_queries
):
    learner = LearnerFactory()
    enrol(structured_run, learner)
    with django_assert_num_queries(5):
        assert len(enrollment_list_for_learner(learner=learner)) == 1
    for _ in range(4):
        run = make_run()
        UnitFactory(run=run)
        AssessmentFactory(run=run)
        enrol(run, learner)

    with django_assert_num_queries(5):
        rows = enrollment_list_for_learner(learner=learner)

    assert len(rows) == 5
    assert rows[-1].enrollment.run == structured_run  # newest first


def test_the_dashboard_of_a_run_without_units_has_no_progress(free_run):
    learner = LearnerFactory()
    enrol(free_run, learner)

    [row] = enrollment_list_for_learner(learner=learner)

    assert (row.progress_percent, row.next_due_on, row.outcome) == (None, None, None)


def test_a_learner_sees_only_their_own_enrolments(free_run):
    mine, theirs = enrol(free_run), enrol(free_run)

    assert [row.enrollment for row in enrollment_list_for_learner(learner=mine.learner)] == [mine]
    assert enrollment_get_for_learner(learner=mine.learner, enrollment_id=theirs.pk) is None
    assert enrollment_get_for_learner(learner=mine.learner, enrollment_id=mine.pk) == mine


def _populate(run, count, instructor):
    exam = _assessment(run, "Exam")
    enrollments = [enrol(run) for _ in range(count)]
    unit_progress_mark(enrollments=enrollments[::2], unit=_unit(run, "Reads"), actor=instructor)
    for enrollment in enrollments[::3]:
        result_record(enrollment=enrollment, assessment=exam, score=D("55"), actor=instructor)
    return enrollments


def test_the_roster_costs_a_fixed_number_of_queries(structured_run, instructor, django_assert_num_queries):
    _populate(structured_run, 5, instructor)
    # the unit count, the rows, their results
    with django_assert_num_queries(3):
        small = list(run_roster(run=structured_run))
    _populate(structured_run, 45, instructor)

    with django_assert_num_queries(3):
        large = list(run_roster(run=structured_run))
        for enrollment in large:
            assert enrollment.learner.email
            list(enrollment.results.all())

    assert (len(small), len(large)) == (5, 50)


def test_the_roster_annotates_progress_and_weighted_score(structured_run, instructor):
    first, second = enrol(structured_run, LearnerFactory(full_name="Ann")), enrol(
        structured_run, LearnerFactory(full_name="Bob")
    )
    unit_progress_mark(enrollments=[first], unit=_unit(structured_run, "Reads"), actor=instructor)
    unit_progress_mark(enrollments=[first], unit=_unit(structured_run, "Alignment"), actor=instructor)
    unit_progress_mark(enrollments=[first], unit=_unit(structured_run, "Counts"), actor=instructor)
    result_record(enrollment=first, assessment=_assessment(structured_run, "Quiz"), score=D("55.50"),
                  actor=instructor)
    result_record(enrollment=first, assessment=_assessment(structured_run, "Exam"), score=D("40"),
                  actor=instructor)

    rows = {e.pk: e for e in run_roster(run=structured_run)}

    assert (rows[first.pk].units_done, rows[first.pk].progress_percent) == (3, 75)
    assert rows[first.pk].weighted_score.quantize(D("0.01")) == D("46.20")  # 55.5 × .4 + 40 × .6
    assert (rows[second.pk].units_done, rows[second.pk].progress_percent, rows[second.pk].weighted_score) == (
        0, 0, D("0")
    )
    assert [r.score for r in rows[first.pk].results.all()] == [D("55.50"), D("40.00")]


def test_the_roster_filters_searches_and_sorts(make_run, instructor):
    run = make_run(capacity=2)
    exam = AssessmentFactory(run=run, title="Exam", weight=D("100"))
    ann = enrol(run, LearnerFactory(full_name="Ann Smith", email="ann@uni.example"))
    bob = enrol(run, LearnerFactory(full_name="Bob Jones", email="bob@mail.example"))
    cid = enrol(run, LearnerFactory(full_name="Cid Smith", email="cid@uni.example"))
    result_record(enrollment=bob, assessment=exam, score=D("20"), actor=instructor)
    result_record(enrollment=ann, assessment=exam, score=D("30"), actor=instructor)

    assert list(run_roster(run=run, status=EnrollmentStatus.WAITLISTED)) == [cid]
    assert list(run_roster(run=run, search="smith")) == [ann, cid]
    assert list(run_roster(run=run, search="uni smi")) == [ann, cid]
    assert list(run_roster(run=run, ordering="-name")) == [cid, bob, ann]
    assert list(run_roster(run=run, ordering="-score")) == [ann, bob, cid]
    assert list(run_roster(run=run, ordering="no-such-ordering")) == [ann, bob, cid]  # by name
    assert run_roster_status_counts(run=run) == {
        "waitlisted": 1, "pending_payment": 0, "active": 2, "completed": 0, "failed": 0, "withdrawn": 0,
        "cancelled": 0,
    }
    assert list(run_waitlist(run=run)) == [cid]


def test_roster_csv_rows_have_a_column_per_assessment_and_neutralise_formulas(
    structured_run, instructor, django_assert_num_queries
):
    learner = LearnerFactory(full_name="=HYPERLINK(\"http://evil\")", email="eve@example.org")
    enrollment = enrol(structured_run, learner)
    result_record(enrollment=enrollment, assessment=_assessment(structured_run, "Exam"), score=D("72.5"),
                  actor=instructor)

    with django_assert_num_queries(4):
        rows = list(run_roster_csv_rows(run=structured_run))

    assert rows == [
        ["email", "name", "status", "progress_percent", "weighted_score", "final_score", "final_grade",
         "Quiz", "Exam"],
        ["eve@example.org", "'=HYPERLINK(\"http://evil\")", "active", "0", "43.50", "", "", "", "72.50"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert buffer.getvalue().count("\n") == 2


def test_staff_get_runs_and_enrolments_only_in_their_institutions(
    free_run, instructor, finance, other_registrar
):
    enrollment = enrol(free_run)

    assert run_get_for_staff(user=instructor, run_id=free_run.pk,
                             capability=Capability.RESULTS_RECORD) == free_run
    assert run_get_for_staff(user=finance, run_id=free_run.pk, capability=Capability.RESULTS_RECORD) is None
    assert run_get_for_staff(user=other_registrar, run_id=free_run.pk,
                             capability=Capability.COURSE_VIEW_DRAFTS) is None
    assert run_get_for_staff(user=enrollment.learner, run_id=free_run.pk,
                             capability=Capability.COURSE_VIEW_DRAFTS) is None
    assert enrollment_get_for_staff(user=finance, enrollment_id=enrollment.pk,
                                    capability=Capability.PAYMENTS_MANAGE) == enrollment
    assert enrollment_get_for_staff(user=other_registrar, enrollment_id=enrollment.pk,
                                    capability=Capability.COURSE_VIEW_DRAFTS) is None


def test_run_structure_says_whether_the_weights_are_complete(structured_run, make_run):
    structure = run_structure_get(run=structured_run)
    partial = make_run()
    AssessmentFactory(run=partial, weight=D("35"))

    assert [u.title for u in structure.units] == ["Reads", "Alignment", "Counts", "Report"]
    assert (structure.weights_total, structure.weights_complete) == (D("100"), True)
    assert run_structure_get(run=partial).weights_complete is False


def test_live_enrolment_by_run_maps_each_run_to_the_learners_own_live_enrolment(make_run):
    learner = LearnerFactory()
    live_run, left_run, other_run = make_run(), make_run(), make_run()
    live = enrol(live_run, learner)
    enrollment_withdraw(enrollment=enrol(left_run, learner), actor=learner, reason="Changed my mind")
    enrol(other_run)  # somebody else's enrolment is never the visitor's

    mine = enrollment_live_by_run_for_learner(
        learner=learner, run_ids=[live_run.pk, left_run.pk, other_run.pk]
    )

    assert mine == {live_run.pk: live}


def test_live_enrolment_by_run_is_empty_for_a_visitor_or_no_runs(make_run):
    learner = LearnerFactory()
    run = make_run()
    enrol(run, learner)

    assert enrollment_live_by_run_for_learner(learner=AnonymousUser(), run_ids=[run.pk]) == {}
    assert enrollment_live_by_run_for_learner(learner=None, run_ids=[run.pk]) == {}
    assert enrollment_live_by_run_for_learner(learner=learner, run_ids=[]) == {}
