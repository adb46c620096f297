"""Tests of the CSV results import: formats accepted, every bad row reported, nothing imported on error."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from enrollment.choices import EnrollmentStatus
from enrollment.models import AssessmentResult, AssessmentResultRevision, Enrollment
from enrollment.results_import import ResultsImportRejected, results_csv_parse, score_parse
from enrollment.services import result_record, results_import, run_close
from mcportal.core.exceptions import Conflict
from mcportal.core.models import AuditEvent
from tests.factories.enrollment import AssessmentFactory, LearnerFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def run(make_run):
    run = make_run(pass_threshold=D("50"))
    AssessmentFactory(run=run, position=1, title="Written exam", weight=D("70"), pass_mark=D("50"))
    AssessmentFactory(run=run, position=2, title="Project", weight=D("30"), pass_mark=D("40"),
                      is_required=False)
    return run


@pytest.fixture
def ada(run):
    return enrol(run, LearnerFactory(email="ada@example.org", full_name="Ada Lovelace"))


@pytest.fixture
def alan(run):
    return enrol(run, LearnerFactory(email="alan@example.org", full_name="Alan Turing"))


def _row_counts():
    return (AssessmentResult.objects.count(), AssessmentResultRevision.objects.count(),
            AuditEvent.objects.count())


def _nothing_imported():
    assert not AssessmentResult.objects.exists()
    assert not AssessmentResultRevision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="result").exists()


# ----------------------------------------------------------------------------- accepted files


def test_a_semicolon_file_with_bom_decimal_commas_titles_and_positions_is_imported(
    run, ada, alan, instructor
):
    content = (
        "\ufeffE-mail;Name;Assessment;Score\r\n"
        "ADA@example.org;Ada Lovelace;written exam;85,5\r\n"
        "ada@example.org;Ada Lovelace;2;70 %\r\n"
        "\r\n"
        "alan@example.org;Alan Turing;Written Exam;40\r\n"
    ).encode()

    report = results_import(run=run, csv_file=content, actor=instructor)

    counts = (report.rows, report.created, report.corrected, report.unchanged, report.completed)
    assert counts == (3, 3, 0, 0, 1)
    scores = {
        (r.enrollment_id, r.assessment.title): (r.score, r.passed)
        for r in AssessmentResult.objects.select_related("assessment")
    }
    assert scores == {
        (ada.pk, "Written exam"): (D("85.50"), True),
        (ada.pk, "Project"): (D("70.00"), True),
        (alan.pk, "Written exam"): (D("40.00"), False),
    }
    assert AssessmentResultRevision.objects.count() == 3
    completed = Enrollment.objects.get(pk=ada.pk)
    # 85.5 × 0.7 + 70 × 0.3 = 80.85 → B
    assert (completed.status, completed.final_score, completed.final_grade) == ("completed", D("80.85"), "B")
    assert Enrollment.objects.get(pk=alan.pk).status == EnrollmentStatus.ACTIVE
    # One audit event for the import (the revisions keep who/when/why per result).
    event = AuditEvent.objects.get(action__startswith="result")
    assert (event.action, event.actor, event.target_id) == ("results.imported", instructor, str(run.pk))
    assert {k: v for k, v in event.data.items() if k != "sha256"} == {
        "rows": 3, "created": 3, "corrected": 0, "unchanged": 0, "completed": 1
    }
    assert len(event.data["sha256"]) == 64
    assert set(AssessmentResultRevision.objects.values_list("recorded_by", flat=True)) == {instructor.pk}


def test_a_comma_file_with_quoted_decimal_commas_and_a_tab_file_are_read():
    comma_rows, comma_problems = results_csv_parse('email,assessment,score\nada@example.org,1,"85,5"\n')
    tab_rows, tab_problems = results_csv_parse("email\tassessment\tscore\nada@example.org\t1\t85.5\n")

    assert comma_problems == tab_problems == []
    assert [(r.line, r.email, r.assessment, r.score) for r in comma_rows + tab_rows] == [
        (2, "ada@example.org", "1", "85,5"), (2, "ada@example.org", "1", "85.5")
    ]


@pytest.mark.parametrize(
    ("text", "score", "problem"),
    [
        ("85", D("85.00"), None), ("85,25", D("85.25"), None), (" 99.5 % ", D("99.50"), None),
        ("0", D("0.00"), None), ("100", D("100.00"), None),
        ("", None, "The score is missing."), ("abc", None, "“abc” is not a number."),
        ("101", None, "The score must be between 0 and 100."),
        ("-3", None, "The score must be between 0 and 100."),
        ("1,000.5", None, "“1,000.5” is not a number."),
        ("7.125", None, "The score may have at most two decimals."),
        ("NaN", None, "The score must be a number."),
    ],
)
def test_score_parse(text, score, problem):
    assert score_parse(text) == (score, problem)


def test_importing_the_same_file_twice_changes_nothing_the_second_time(run, ada, instructor):
    content = "email;assessment;score\nada@example.org;Project;55\n"
    results_import(run=run, csv_file=content, actor=instructor)

    report = results_import(run=run, csv_file=content, actor=instructor)

    assert (report.created, report.corrected, report.unchanged) == (0, 0, 1)
    assert AssessmentResultRevision.objects.count() == 1


def test_corrections_take_the_reason_of_the_row_or_of_the_import(run, ada, alan, instructor):
    results_import(run=run, csv_file="email;assessment;score\nada@example.org;2;30\nalan@example.org;2;30\n",
                   actor=instructor)

    report = results_import(
        run=run,
        csv_file="email;assessment;score;reason\nada@example.org;2;35;Recounted\nalan@example.org;2;45;\n",
        actor=instructor, reason="Second marker",
    )

    assert report.corrected == 2
    assert sorted(AssessmentResultRevision.objects.exclude(reason="").values_list("reason", flat=True)) == [
        "Recounted", "Second marker"
    ]


def test_a_dry_run_validates_and_counts_without_saving(run, ada, instructor):
    report = results_import(run=run, csv_file="email;assessment;score\nada@example.org;1;90\n",
                            actor=instructor, dry_run=True)

    assert (report.dry_run, report.rows, report.created) == (True, 1, 1)
    _nothing_imported()
    assert Enrollment.objects.get(pk=ada.pk).status == EnrollmentStatus.ACTIVE


# ----------------------------------------------------------------------------- rejected files


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    make_run, run, ada, alan, instructor
):
    pending = enrol(make_run(price=D("10")), LearnerFactory(email="pending@example.org"))
    enrol(pending.run, LearnerFactory(email="elsewhere@example.org"))
    enrol(run, LearnerFactory(email="carol@example.org"))
    result_record(enrollment=alan, assessment=run.assessments.get(position=2), score=D("50"),
                  actor=instructor)
    before = _row_counts()
    content = "\n".join([
        "email;assessment;score",
        "ada@example.org;Written exam;88",          # 2 fine
        "nobody@example.org;Written exam;50",       # 3 unknown e-mail
        "elsewhere@example.org;Project;50",         # 4 not enrolled in this run
        "ada@example.org;Oral exam;50",             # 5 unknown assessment
        "ada@example.org;Project;lots",             # 6 score not a number
        "ada@example.org;Written exam;77",          # 7 duplicate of line 2
        ";Project;101",                             # 8 missing e-mail, score out of range
        "alan@example.org;2;65",                    # 9 correction without a reason
        "carol@example.org;1;",                     # 10 missing score
    ]) + "\n"

    with pytest.raises(ResultsImportRejected) as rejected:
        results_import(run=run, csv_file=content.encode(), actor=instructor)

    problems = [(p.line, p.column, p.code) for p in rejected.value.report.problems]
    assert problems == [
        (3, "email", "unknown_email"),
        (4, "email", "not_enrolled"),
        (5, "assessment", "unknown_assessment"),
        (6, "score", "invalid_score"),
        (7, None, "duplicate"),
        (8, "email", "required"),
        (8, "score", "invalid_score"),
        (9, "reason", "reason_required"),
        (10, "score", "invalid_score"),
    ]
    messages = {p.line: p.message for p in rejected.value.report.problems}
    assert messages[3] == "No account has the e-mail nobody@example.org."
    assert messages[7] == "Line 2 already gives this learner a result in “Written exam”."
    assert messages[9] == "This learner already has 50 % in “Project”; a correction needs a reason."
    assert rejected.value.status_code == 422
    assert rejected.value.problems[0].message == "Line 3: No account has the e-mail nobody@example.org."
    assert _row_counts() == before


def test_a_learner_who_is_not_active_is_reported(make_run, instructor):
    run = make_run(price=D("99"))
    AssessmentFactory(run=run, position=1, weight=D("100"))
    enrol(run, LearnerFactory(email="pending@example.org"))

    with pytest.raises(ResultsImportRejected) as rejected:
        results_import(run=run, csv_file="email,assessment,score\npending@example.org,1,80\n",
                       actor=instructor)

    [problem] = rejected.value.report.problems
    assert (problem.line, problem.code) == (2, "not_active")
    assert problem.message == (
        "pending@example.org's enrolment is “Awaiting payment”; "
        "results are recorded for active learners only."
    )


def test_a_row_that_would_take_a_pass_away_is_reported(run, ada, instructor):
    results_import(run=run, csv_file="email;assessment;score\nada@example.org;1;90\nada@example.org;2;90\n",
                   actor=instructor)
    assert Enrollment.objects.get(pk=ada.pk).status == EnrollmentStatus.COMPLETED

    with pytest.raises(ResultsImportRejected) as rejected:
        results_import(run=run, csv_file="email;assessment;score\nada@example.org;1;20\n", actor=instructor,
                       reason="Mixed up sheets")

    assert [(p.line, p.code) for p in rejected.value.report.problems] == [(2, "would_undo_completion")]
    assert AssessmentResult.objects.get(enrollment=ada, assessment__position=1).score == D("90")


@pytest.mark.parametrize(
    ("content", "line", "code"),
    [
        (b"email;assessment;score\nb\xe9a@example.org;1;80\n", 2, "encoding"),
        ("email;score\nada@example.org;80\n", 1, "header"),
        ("", None, "empty"),
        ("email;assessment;score\n\n", None, "empty"),
        ("email;assessment;score\n" + "x@example.org;1;1\n" * 20_001, None, "too_many_rows"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(content, line, code, run, ada, instructor):
    with pytest.raises(ResultsImportRejected) as rejected:
        results_import(run=run, csv_file=content, actor=instructor)

    assert [(p.line, p.code) for p in rejected.value.report.problems] == [(line, code)]
    _nothing_imported()


def test_a_closed_run_takes_no_results(run, instructor):
    run.assessments.update(weight=D("50"))
    run_close(run=run, actor=instructor)

    with pytest.raises(Conflict):
        results_import(run=run, csv_file="email;assessment;score\nada@example.org;1;80\n", actor=instructor)


def test_only_results_recorders_of_the_institution_import(run, ada, finance, other_registrar):
    for actor in (finance, other_registrar, ada.learner):
        with pytest.raises(PermissionDenied):
            results_import(run=run, csv_file="email;assessment;score\nada@example.org;1;80\n", actor=actor)
    _nothing_imported()


def test_line_numbers_follow_the_file_even_with_quoted_line_breaks():
    rows, problems = results_csv_parse(
        'email;assessment;score;reason\n\na@x.org;1;5;"two\nlines"\nb@x.org;1;6;\n'
    )

    assert problems == []
    assert [(row.line, row.email, row.reason) for row in rows] == [
        (4, "a@x.org", "two\nlines"), (5, "b@x.org", "")
    ]
