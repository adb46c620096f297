"""Staff run pages: roster, CSV, bulk progress, closing, results (form and CSV), structure, payments."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollment.choices import EnrollmentStatus
from enrollment.models import (
    Assessment,
    AssessmentResult,
    AssessmentResultRevision,
    Enrollment,
    Unit,
    UnitProgress,
)
from enrollment.services import result_record
from mcportal.core.models import AuditEvent
from tests.enrollment.conftest import enrol
from tests.factories.enrollment import AssessmentFactory, LearnerFactory, UnitFactory


def _url(name, run, **kwargs):
    return reverse(f"enrollment_staff:{name}", kwargs={"run_id": run.pk, **kwargs})


@pytest.fixture
def course_run(make_run):
    """A free run with two units, a quiz (40, optional) and an exam (60, required)."""
    run = make_run(capacity=None)
    UnitFactory(run=run, position=1, title="Reads")
    UnitFactory(run=run, position=2, title="Alignment")
    AssessmentFactory(run=run, position=1, title="Quiz", weight=Decimal("40"), is_required=False)
    AssessmentFactory(run=run, position=2, title="Exam", weight=Decimal("60"))
    return run


def _learner(name, email):
    return LearnerFactory(full_name=name, email=email)


def _messages(response):
    return [str(message) for message in response.context["messages"]]


# ----------------------------------------------------------------------------- who may


@pytest.fixture
def people(learner, instructor, registrar, finance, other_registrar):
    return {
        "anonymous": None,
        "learner": learner,
        "instructor": instructor,
        "registrar": registrar,
        "finance": finance,
        "other_registrar": other_registrar,
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("learner", 403),
        ("other_registrar", 404),
        ("finance", 403),
        ("instructor", 200),
        ("registrar", 200),
    ],
)
def test_roster_is_for_instructors_and_registrars_of_the_institution(
    client_for, people, course_run, who, expected
):
    enrol(course_run, _learner("Ana Novak", "ana@example.org"))

    response = client_for(people[who]).get(_url("roster", course_run))

    assert response.status_code == expected
    if expected == 200:
        assert "Ana Novak" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("learner", 403), ("other_registrar", 404), ("finance", 403)],
)
def test_denied_staff_actions_change_nothing(client_for, people, course_run, who, expected):
    enrollment = enrol(course_run)
    unit = course_run.units.get(position=1)
    exam = course_run.assessments.get(title="Exam")
    client = client_for(people[who])
    audit_before = AuditEvent.objects.count()

    responses = [
        client.post(_url("close", course_run)),
        client.post(_url("progress_mark", course_run), {"enrollments": [enrollment.pk], "unit": unit.pk}),
        client.post(
            _url("learner_results", course_run, enrollment_id=enrollment.pk),
            {"assessment": exam.pk, "score": "90", "reason": ""},
        ),
        client.post(
            _url("results_import", course_run),
            {
                "file": SimpleUploadedFile(
                    "r.csv", f"email,assessment,score\n{enrollment.learner.email},Exam,90\n".encode()
                )
            },
        ),
        client.post(
            _url("assessment_create", course_run),
            {"title": "Extra", "kind": "quiz", "weight": "0", "pass_mark": "50"},
        ),
        client.get(_url("roster_csv", course_run)),
    ]

    assert [response.status_code for response in responses] == [expected] * len(responses)
    course_run.refresh_from_db()
    assert course_run.closed_at is None
    assert not UnitProgress.objects.exists()
    assert not AssessmentResult.objects.exists()
    assert course_run.assessments.count() == 2
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert AuditEvent.objects.count() == audit_before


# ----------------------------------------------------------------------------- roster


@pytest.mark.parametrize("enrolments", [3, 30])
def test_roster_costs_a_fixed_number_of_queries(
    client_for, instructor, course_run, django_assert_num_queries, enrolments
):
    quiz = course_run.assessments.get(title="Quiz")
    for number in range(enrolments):
        enrollment = enrol(course_run)
        if number % 2:
            result_record(enrollment=enrollment, assessment=quiz, score=Decimal("70"), actor=instructor)
    client = client_for(instructor)

    # session, user, staff-area check, the run, the capability, units, assessments, the unit
    # count, the page count, the status counts, the rows, their results, the header's staff check
    with django_assert_num_queries(13):
        response = client.get(_url("roster", course_run))

    assert len(response.context["rows"]) == enrolments


def test_roster_filters_searches_sorts_and_paginates(client_for, instructor, make_run):
    run = make_run(capacity=None)
    enrol(run, _learner("Zoe Adams", "zoe@example.org"))
    enrol(run, _learner("Ana Brown", "ana@example.org"))
    for number in range(50):
        enrol(run, _learner(f"Learner {number:02d}", f"l{number:02d}@example.org"))
    withdrawn = enrol(run, _learner("Max Left", "max@example.org"))
    client_for(withdrawn.learner).post(
        reverse("enrollment:leave", kwargs={"enrollment_id": withdrawn.pk}), {"reason": ""}
    )
    client = client_for(instructor)

    page_one = client.get(_url("roster", run))
    page_two = client.get(_url("roster", run), {"page": 2})
    found = client.get(_url("roster", run), {"q": "brown"})
    by_status = client.get(_url("roster", run), {"status": "withdrawn"})
    reversed_names = client.get(_url("roster", run), {"sort": "-name"})

    def names(response):
        return [row.enrollment.learner.full_name for row in response.context["rows"]]

    assert len(names(page_one)) == 50
    assert names(page_one)[0] == "Ana Brown"
    assert names(page_two) == ["Learner 49", "Max Left", "Zoe Adams"]
    assert "Page 1 of 2" in page_one.content.decode()
    assert names(found) == ["Ana Brown"]
    assert names(by_status) == ["Max Left"]
    assert names(reversed_names)[:2] == ["Zoe Adams", "Max Left"]


def test_roster_csv_export_lists_every_learner_with_scores(client_for, instructor, course_run):
    ana = enrol(course_run, _learner("Ana Novak", "ana@example.org"))
    enrol(course_run, _learner("=cmd|evil", "eve@example.org"))
    quiz = course_run.assessments.get(title="Quiz")
    result_record(enrollment=ana, assessment=quiz, score=Decimal("80"), actor=instructor)

    response = client_for(instructor).get(_url("roster_csv", course_run))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="roster-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        [
            "email",
            "name",
            "status",
            "progress_percent",
            "weighted_score",
            "final_score",
            "final_grade",
            "Quiz",
            "Exam",
        ],
        ["eve@example.org", "'=cmd|evil", "active", "0", "0.00", "", "", "", ""],
        ["ana@example.org", "Ana Novak", "active", "0", "32.00", "", "", "80.00", ""],
    ]


def test_bulk_mark_records_the_unit_for_the_ticked_learners(client_for, instructor, course_run):
    first, second, third = enrol(course_run), enrol(course_run), enrol(course_run)
    unit = course_run.units.get(position=2)

    response = client_for(instructor).post(
        _url("progress_mark", course_run), {"enrollments": [first.pk, third.pk], "unit": unit.pk}, follow=True
    )

    assert set(UnitProgress.objects.values_list("enrollment_id", flat=True)) == {first.pk, third.pk}
    assert _messages(response) == ["“Alignment” is marked done for 2 more learners."]
    assert second.pk not in {
        row.enrollment.pk for row in response.context["rows"] if row.enrollment.units_done
    }


def test_bulk_mark_without_learners_says_so(client_for, instructor, course_run):
    enrol(course_run)
    unit = course_run.units.get(position=1)

    response = client_for(instructor).post(_url("progress_mark", course_run), {"unit": unit.pk}, follow=True)

    assert _messages(response) == ["Tick at least one learner."]
    assert not UnitProgress.objects.exists()


# ----------------------------------------------------------------------------- closing


def test_closing_the_run_asks_first_then_completes_and_fails(client_for, instructor, course_run):
    passing, failing = enrol(course_run), enrol(course_run)
    exam = course_run.assessments.get(title="Exam")
    quiz = course_run.assessments.get(title="Quiz")
    result_record(enrollment=passing, assessment=quiz, score=Decimal("60"), actor=instructor)
    result_record(enrollment=failing, assessment=exam, score=Decimal("30"), actor=instructor)
    client = client_for(instructor)

    page = client.get(_url("close", course_run))
    response = client.post(_url("close", course_run), follow=True)

    assert "Closing makes the run's results final." in page.content.decode()
    course_run.refresh_from_db()
    assert course_run.closed_at is not None
    assert _messages(response) == [
        "The run is closed: 0 completed, 2 did not pass, 0 waiting or unpaid enrolments were cancelled."
    ]
    assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.FAILED}


def test_closing_a_closed_run_is_refused_on_the_page(client_for, instructor, course_run):
    client = client_for(instructor)
    client.post(_url("close", course_run))

    response = client.post(_url("close", course_run))

    assert response.status_code == 200
    assert response.context["errors"] == ["This run is already closed."]


# ----------------------------------------------------------------------------- results


def test_results_are_recorded_and_corrected_with_history(client_for, instructor, course_run):
    enrollment = enrol(course_run, _learner("Ana Novak", "ana@example.org"))
    exam = course_run.assessments.get(title="Exam")
    client = client_for(instructor)
    url = _url("learner_results", course_run, enrollment_id=enrollment.pk)

    recorded = client.post(url, {"assessment": exam.pk, "score": "45", "reason": ""}, follow=True)
    refused = client.post(url, {"assessment": exam.pk, "score": "55", "reason": ""})
    corrected = client.post(
        url, {"assessment": exam.pk, "score": "55", "reason": "Marking error"}, follow=True
    )

    assert _messages(recorded) == ["The score in “Exam” is saved."]
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "reason": ["A correction needs a reason; the learner's history shows it."]
    }
    result = AssessmentResult.objects.get(enrollment=enrollment, assessment=exam)
    assert result.score == Decimal("55.00")
    assert list(AssessmentResultRevision.objects.filter(result=result).values_list("score", "reason")) == [
        (Decimal("55.00"), "Marking error"),
        (Decimal("45.00"), ""),
    ]
    content = " ".join(corrected.content.decode().split())
    assert "Reason: Marking error" in content
    assert content.index("<strong>55 %</strong>") < content.index("<strong>45 %</strong>")


def test_result_form_rejects_a_score_out_of_range(client_for, instructor, course_run):
    enrollment = enrol(course_run)
    exam = course_run.assessments.get(title="Exam")

    response = client_for(instructor).post(
        _url("learner_results", course_run, enrollment_id=enrollment.pk),
        {"assessment": exam.pk, "score": "120", "reason": ""},
    )

    assert response.status_code == 200
    assert "score" in response.context["form"].errors
    assert not AssessmentResult.objects.exists()


def test_results_page_of_an_enrolment_of_another_run_is_404(client_for, instructor, course_run, make_run):
    other = enrol(make_run())

    response = client_for(instructor).get(_url("learner_results", course_run, enrollment_id=other.pk))

    assert response.status_code == 404


def test_csv_import_with_bad_rows_imports_nothing_and_lists_each_row(client_for, instructor, course_run):
    ana = enrol(course_run, _learner("Ana Novak", "ana@example.org"))
    csv_file = (
        b"email,assessment,score\n"
        b"ana@example.org,Exam,88\n"
        b"nobody@example.org,Exam,70\n"
        b"ana@example.org,Quiz,abc\n"
    )
    audit_before = AuditEvent.objects.count()

    response = client_for(instructor).post(
        _url("results_import", course_run), {"file": SimpleUploadedFile("results.csv", csv_file)}
    )

    assert response.status_code == 200
    assert not AssessmentResult.objects.filter(enrollment=ana).exists()
    assert AuditEvent.objects.count() == audit_before
    problems = [(problem.line, problem.column) for problem in response.context["rejected"].problems]
    assert problems == [(3, "email"), (4, "score")]
    content = " ".join(response.content.decode().split())
    assert "Nothing was imported: 2 problems were found." in content
    assert '<td class="num">3</td>' in content
    assert "“abc” is not a number." in content


def test_csv_import_of_a_good_file_shows_a_summary(client_for, instructor, course_run):
    ana = enrol(course_run, _learner("Ana Novak", "ana@example.org"))
    csv_file = b"email;assessment;score\nana@example.org;Quiz;70\nana@example.org;2;80\n"

    response = client_for(instructor).post(
        _url("results_import", course_run), {"file": SimpleUploadedFile("results.csv", csv_file)}
    )

    report = response.context["report"]
    assert (report.rows, report.created, report.completed) == (2, 2, 1)
    assert "2 rows imported." in response.content.decode()
    ana.refresh_from_db()
    assert ana.status == EnrollmentStatus.COMPLETED


def test_csv_import_dry_run_saves_nothing(client_for, instructor, course_run):
    enrol(course_run, _learner("Ana Novak", "ana@example.org"))

    response = client_for(instructor).post(
        _url("results_import", course_run),
        {
            "file": SimpleUploadedFile("r.csv", b"email,assessment,score\nana@example.org,Quiz,70\n"),
            "dry_run": "on",
        },
    )

    assert "The file is fine: 1 row checked, nothing imported yet." in response.content.decode()
    assert not AssessmentResult.objects.exists()


# ----------------------------------------------------------------------------- structure


def test_structure_lists_units_and_assessments_with_the_weight_check(client_for, instructor, course_run):
    content = client_for(instructor).get(_url("structure", course_run)).content.decode()

    assert "The weights add up to 100 %." in content
    assert "Reads" in content and "Alignment" in content


def test_adding_an_assessment_over_100_is_refused_on_the_weight_field(client_for, instructor, course_run):
    response = client_for(instructor).post(
        _url("assessment_create", course_run),
        {"title": "Essay", "kind": "assignment", "weight": "10", "pass_mark": "50", "is_required": "on"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "weight": ["The weights of the run's assessments would add up to 110; they must add up to 100."]
    }
    assert course_run.assessments.count() == 2


def test_units_are_added_edited_and_deleted(client_for, instructor, course_run):
    client = client_for(instructor)

    client.post(_url("unit_create", course_run), {"title": "Counts", "description": "", "due_on": ""})
    unit = Unit.objects.get(run=course_run, title="Counts")
    client.post(_url("unit_edit", course_run, item_id=unit.pk), {"title": "Counting", "due_on": "2031-05-01"})
    unit.refresh_from_db()
    deleted = client.post(_url("unit_delete", course_run, item_id=unit.pk), follow=True)

    assert (unit.title, unit.position, str(unit.due_on)) == ("Counting", 3, "2031-05-01")
    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert _messages(deleted)[-1] == "“Counting” is deleted."


def test_an_assessment_with_results_cannot_be_deleted(client_for, instructor, course_run):
    enrollment = enrol(course_run)
    quiz = course_run.assessments.get(title="Quiz")
    result_record(enrollment=enrollment, assessment=quiz, score=Decimal("50"), actor=instructor)

    response = client_for(instructor).post(
        _url("assessment_delete", course_run, item_id=quiz.pk), follow=True
    )

    assert _messages(response) == ["1 results are recorded in this assessment; it cannot be deleted."]
    assert Assessment.objects.filter(pk=quiz.pk).exists()


# ----------------------------------------------------------------------------- payments


def test_finance_confirms_a_pending_payment_with_a_reason(client_for, finance, priced_run):
    enrollment = enrol(priced_run, _learner("Ana Novak", "ana@example.org"))
    client = client_for(finance)
    url = _url("payment_confirm", priced_run, enrollment_id=enrollment.pk)

    page = client.get(_url("payments", priced_run))
    without_reason = client.post(url, {"reason": ""}, follow=True)
    enrollment.refresh_from_db()
    status_without_reason = enrollment.status
    confirmed = client.post(url, {"reason": "Bank transfer 2031-04-02 ref 1234"}, follow=True)

    assert "Ana Novak" in page.content.decode()
    assert status_without_reason == EnrollmentStatus.PENDING_PAYMENT
    assert _messages(without_reason) == ["Say how Ana Novak paid before confirming."]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert _messages(confirmed) == ["The payment of Ana Novak is confirmed; the enrolment is active."]
    event = AuditEvent.objects.get(action="enrollment.payment_confirmed_manually")
    assert event.reason == "Bank transfer 2031-04-02 ref 1234"


@pytest.mark.parametrize(
    ("who", "expected"), [("instructor", 403), ("registrar", 403), ("other_registrar", 404)]
)
def test_only_finance_confirms_payments(client_for, people, priced_run, who, expected):
    enrollment = enrol(priced_run)

    page = client_for(people[who]).get(_url("payments", priced_run))
    response = client_for(people[who]).post(
        _url("payment_confirm", priced_run, enrollment_id=enrollment.pk), {"reason": "Cash"}
    )

    assert (page.status_code, response.status_code) == (expected, expected)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert not AuditEvent.objects.filter(action="enrollment.payment_confirmed_manually").exists()


def test_staff_course_page_links_each_run_to_its_pages(client_for, instructor, finance, priced_run):
    course_url = reverse("courses_staff:detail", kwargs={"slug": priced_run.course.slug})

    for_instructor = client_for(instructor).get(course_url).content.decode()
    for_finance = client_for(finance).get(course_url).content.decode()

    roster, payments = f'href="{_url("roster", priced_run)}"', f'href="{_url("payments", priced_run)}"'
    assert roster in for_instructor
    assert payments not in for_instructor
    assert payments in for_finance
    assert roster not in for_finance
