"""The enrolment API: who may read and do what (each denial changes nothing), problem JSON, query counts."""
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator

from enrollment.choices import EnrollmentStatus
from enrollment.models import AssessmentResult, Enrollment
from enrollment.services import result_record
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory, UserFactory
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import AssessmentFactory, LearnerFactory, UnitFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db
D = Decimal
PROBLEM = "application/problem+json"

ACTORS = ["anonymous", "learner", "other_learner", "other_instructor", "finance", "instructor", "registrar"]


@pytest.fixture
def other_instructor(other_institution):
    return MembershipFactory(institution=other_institution, role="instructor").user


@pytest.fixture
def run(make_run):
    run = make_run(capacity=5)
    AssessmentFactory(run=run, position=1, title="Exam", weight=D("100"))
    UnitFactory(run=run, position=1, title="Introduction")
    return run


@pytest.fixture
def enrollment(run):
    return enrol(run, LearnerFactory(email="owner@example.org"))


@pytest.fixture
def actors(enrollment, other_instructor, finance, instructor, registrar):
    return {
        "anonymous": None,
        "learner": enrollment.learner,
        "other_learner": LearnerFactory(),
        "other_instructor": other_instructor,
        "finance": finance,
        "instructor": instructor,
        "registrar": registrar,
    }


def _post(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)


def _status_and_problem(response):
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM
    return response.status_code


# ----------------------------------------------------------------------------- learner endpoints


def test_my_enrolments_list_only_mine_with_dashboard_figures(run, enrollment, client_for, instructor):
    enrol(run)  # someone else's
    result_record(enrollment=enrollment, assessment=run.assessments.get(), score=D("40"), actor=instructor)

    body = client_for(enrollment.learner).get("/api/v1/me/enrolments/").json()

    assert [row["id"] for row in body] == [enrollment.pk]
    row = body[0]
    assert (row["status"], row["status_label"], row["units_total"], row["progress_percent"]) == (
        "active", "Active", 1, 0
    )
    assert row["run"]["course_title"] == run.course.title
    assert row["results"][0]["assessment"]["title"] == "Exam"
    assert row["results"][0]["result"]["score"] == "40.00"
    assert row["unmet_rules"] == [
        "“Exam” is required: 40 % is below its pass mark of 50 %.",
        "The weighted score of 40 % is below the pass threshold of 50 %.",
    ]


def test_my_enrolments_cost_a_fixed_number_of_queries(make_run, client_for, django_assert_num_queries):
    learner = LearnerFactory()
    client = client_for(learner)
    enrol(make_run(), learner)
    # session, user, then the dashboard's five
    with django_assert_num_queries(7):
        client.get("/api/v1/me/enrolments/")
    for _ in range(6):
        enrol(make_run(), learner)

    with django_assert_num_queries(7):
        body = client.get("/api/v1/me/enrolments/").json()

    assert len(body) == 7


def test_someone_elses_enrolment_is_404(enrollment, client_for):
    response = client_for(LearnerFactory()).get(f"/api/v1/me/enrolments/{enrollment.pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_anonymous_cannot_read_enrolments(enrollment, client_for):
    assert _status_and_problem(client_for(None).get("/api/v1/me/enrolments/")) == 403


def test_a_learner_enrols_and_a_second_attempt_is_409_problem_json(run, client_for):
    learner = LearnerFactory()
    client = client_for(learner)

    created = _post(client, f"/api/v1/runs/{run.pk}/enrol/")
    again = _post(client, f"/api/v1/runs/{run.pk}/enrol/")

    assert created.status_code == 201
    assert (created.json()["status"], created.json()["learner"]["email"]) == ("active", learner.email)
    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again.json()["errors"] == [
        {"field": "run", "message": "You are already enrolled in this run (Active).",
         "code": "already_enrolled"}
    ]
    assert Enrollment.objects.filter(learner=learner).count() == 1


def test_an_unverified_learner_is_told_to_verify_and_nothing_is_created(run, client_for):
    response = _post(client_for(UserFactory()), f"/api/v1/runs/{run.pk}/enrol/")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "email_unverified"
    assert not Enrollment.objects.exists()


def test_enrolling_anonymously_or_in_a_draft_course_is_refused(client_for, institution):
    draft_run = CourseRunFactory(course=CourseFactory(institution=institution))

    assert _status_and_problem(_post(client_for(None), f"/api/v1/runs/{draft_run.pk}/enrol/")) == 403
    learner_response = _post(client_for(LearnerFactory()), f"/api/v1/runs/{draft_run.pk}/enrol/")
    assert _status_and_problem(learner_response) == 404
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "other_learner", "registrar", "owner"])
def test_only_the_learner_withdraws_through_me(who, enrollment, client_for, registrar):
    actor = {"anonymous": None, "other_learner": LearnerFactory(), "registrar": registrar,
             "owner": enrollment.learner}[who]

    response = _post(client_for(actor), f"/api/v1/me/enrolments/{enrollment.pk}/withdraw/")

    expected = {"anonymous": 403, "other_learner": 404, "registrar": 404, "owner": 200}[who]
    assert _status_and_problem(response) == expected
    status = Enrollment.objects.get(pk=enrollment.pk).status
    assert status == (EnrollmentStatus.WITHDRAWN if who == "owner" else EnrollmentStatus.ACTIVE)


def test_cancelling_an_active_enrolment_is_an_invalid_transition(enrollment, client_for):
    response = _post(client_for(enrollment.learner), f"/api/v1/me/enrolments/{enrollment.pk}/cancel/")

    assert response.status_code == 409
    assert response.json()["detail"] == "A course enrolment cannot go from 'active' to 'cancelled'."
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_a_waiting_learner_cancels(make_run, client_for):
    run = make_run(capacity=1)
    enrol(run)
    waiting = enrol(run)

    response = _post(client_for(waiting.learner), f"/api/v1/me/enrolments/{waiting.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


# ----------------------------------------------------------------------------- staff: record a result


@pytest.mark.parametrize("who", ACTORS)
def test_record_result_permissions(who, actors, enrollment, run, client_for):
    response = _post(client_for(actors[who]), f"/api/v1/enrolments/{enrollment.pk}/results/record/",
                     {"assessment": run.assessments.get().pk, "score": "88.5"})

    expected = {"anonymous": 403, "learner": 403, "other_learner": 403, "other_instructor": 404,
                "finance": 403, "instructor": 200, "registrar": 200}[who]
    assert _status_and_problem(response) == expected
    if expected == 200:
        assert response.json() == {**response.json(), "score": "88.50", "passed": True}
        assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.COMPLETED
    else:
        assert not AssessmentResult.objects.exists()
        assert not AuditEvent.objects.filter(action__startswith="result.").exists()
        assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_record_result_input_errors_are_problem_json(enrollment, run, client_for, instructor):
    client = client_for(instructor)
    url = f"/api/v1/enrolments/{enrollment.pk}/results/record/"

    bad_score = _post(client, url, {"assessment": run.assessments.get().pk, "score": "120"})
    unknown = _post(client, url, {"assessment": 999_999, "score": "50"})

    assert (bad_score.status_code, unknown.status_code) == (400, 400)
    assert [e["field"] for e in bad_score.json()["errors"]] == ["score"]
    assert [e["field"] for e in unknown.json()["errors"]] == ["assessment"]
    assert not AssessmentResult.objects.exists()


def test_a_correction_without_a_reason_is_422_and_the_history_is_readable(
    enrollment, run, client_for, instructor
):
    client = client_for(instructor)
    exam = run.assessments.get()
    url = f"/api/v1/enrolments/{enrollment.pk}/results/record/"
    _post(client, url, {"assessment": exam.pk, "score": "40"})

    refused = _post(client, url, {"assessment": exam.pk, "score": "45"})
    _post(client, url, {"assessment": exam.pk, "score": "45", "reason": "Appeal"})
    history = client.get(f"/api/v1/enrolments/{enrollment.pk}/results/").json()

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    assert [(r["score"], r["reason"]) for r in history[0]["revisions"]] == [
        ("45.00", "Appeal"), ("40.00", "")
    ]
    assert history[0]["recorded_by"] == instructor.email


# ----------------------------------------------------------------------------- staff: enrolment operations


@pytest.mark.parametrize("who", ACTORS)
def test_staff_withdraw_permissions(who, actors, enrollment, client_for):
    response = _post(client_for(actors[who]), f"/api/v1/enrolments/{enrollment.pk}/withdraw/",
                     {"reason": "Left the programme"})

    expected = {"anonymous": 403, "learner": 403, "other_learner": 403, "other_instructor": 404,
                "finance": 403, "instructor": 403, "registrar": 200}[who]
    assert _status_and_problem(response) == expected
    status = Enrollment.objects.get(pk=enrollment.pk).status
    assert status == (EnrollmentStatus.WITHDRAWN if expected == 200 else EnrollmentStatus.ACTIVE)
    assert AuditEvent.objects.filter(action="enrollment.withdrawn").count() == (1 if expected == 200 else 0)


def test_staff_withdraw_needs_a_reason(enrollment, client_for, registrar):
    response = _post(client_for(registrar), f"/api/v1/enrolments/{enrollment.pk}/withdraw/", {})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


@pytest.mark.parametrize("who", ACTORS)
def test_confirm_payment_permissions(who, make_run, actors, client_for):
    pending = enrol(make_run(price=D("300")))

    response = _post(client_for(actors[who]), f"/api/v1/enrolments/{pending.pk}/confirm-payment/",
                     {"reason": "Invoice 2026-77 paid"})

    expected = {"anonymous": 403, "learner": 403, "other_learner": 403, "other_instructor": 404,
                "finance": 200, "instructor": 403, "registrar": 403}[who]
    assert _status_and_problem(response) == expected
    status = Enrollment.objects.get(pk=pending.pk).status
    assert status == (EnrollmentStatus.ACTIVE if expected == 200 else EnrollmentStatus.PENDING_PAYMENT)


@pytest.mark.parametrize("who", ["learner", "other_instructor", "finance", "registrar"])
def test_staff_cancel_permissions(who, make_run, actors, client_for):
    pending = enrol(make_run(price=D("300")))

    response = _post(client_for(actors[who]), f"/api/v1/enrolments/{pending.pk}/cancel/",
                     {"reason": "Duplicate registration"})

    expected = {"learner": 403, "other_instructor": 404, "finance": 403, "registrar": 200}[who]
    assert _status_and_problem(response) == expected
    status = Enrollment.objects.get(pk=pending.pk).status
    assert status == (EnrollmentStatus.CANCELLED if expected == 200 else EnrollmentStatus.PENDING_PAYMENT)


# ----------------------------------------------------------------------------- staff: runs


@pytest.mark.parametrize("who", ACTORS)
def test_roster_permissions(who, actors, enrollment, run, client_for):
    response = client_for(actors[who]).get(f"/api/v1/runs/{run.pk}/enrolments/")

    expected = {"anonymous": 403, "learner": 403, "other_learner": 403, "other_instructor": 404,
                "finance": 200, "instructor": 200, "registrar": 200}[who]
    assert _status_and_problem(response) == expected
    if expected == 200:
        assert [row["id"] for row in response.json()["results"]] == [enrollment.pk]


def test_roster_rows_filters_and_fixed_query_count(run, instructor, client_for, django_assert_num_queries):
    client = client_for(instructor)
    exam = run.assessments.get()
    for _ in range(5):
        result_record(enrollment=enrol(run), assessment=exam, score=D("30"), actor=instructor)
    url = f"/api/v1/runs/{run.pk}/enrolments/?ordering=-score&page_size=100"
    # session, user, staff check, run scoped, capability, unit count, page count, rows, results
    with django_assert_num_queries(9):
        small = client.get(url).json()
    run.capacity = None
    run.save()
    for _ in range(45):
        enrol(run)

    with django_assert_num_queries(9):
        large = client.get(url).json()

    assert (small["count"], large["count"], len(large["results"])) == (5, 50, 50)
    row = large["results"][0]
    assert (row["weighted_score"], row["progress_percent"], row["results"][0]["score"]) == (
        "30.00", 0, "30.00"
    )
    bad = client.get(f"/api/v1/runs/{run.pk}/enrolments/?status=asleep&ordering=shoe-size")
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"status", "ordering"}


def test_structure_lists_units_and_assessments(run, client_for, finance):
    body = client_for(finance).get(f"/api/v1/runs/{run.pk}/structure/").json()

    assert [u["title"] for u in body["units"]] == ["Introduction"]
    assert [(a["title"], a["weight"]) for a in body["assessments"]] == [("Exam", "100.00")]
    assert (body["weights_total"], body["weights_complete"]) == ("100.00", True)


def _upload(content: bytes):
    return SimpleUploadedFile("results.csv", content, content_type="text/csv")


@pytest.mark.parametrize("who", ACTORS)
def test_import_permissions(who, actors, enrollment, run, client_for):
    content = b"email;assessment;score\nowner@example.org;1;70\n"

    url = f"/api/v1/runs/{run.pk}/results/import/"

    response = client_for(actors[who]).post(url, {"file": _upload(content)})

    expected = {"anonymous": 403, "learner": 403, "other_learner": 403, "other_instructor": 404,
                "finance": 403, "instructor": 200, "registrar": 200}[who]
    assert _status_and_problem(response) == expected
    assert AssessmentResult.objects.count() == (1 if expected == 200 else 0)
    if expected == 200:
        assert response.json() == {"rows": 1, "created": 1, "corrected": 0, "unchanged": 0, "completed": 1,
                                   "regraded": 0, "dry_run": False}


def test_import_with_bad_rows_is_422_with_each_line_and_imports_nothing(
    enrollment, run, client_for, instructor
):
    content = (
        "email;assessment;score\nowner@example.org;1;70\nghost@example.org;1;50\nowner@example.org;9;x\n"
    )

    response = client_for(instructor).post(f"/api/v1/runs/{run.pk}/results/import/",
                                           {"file": _upload(content.encode())})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["title"] == "The file was not imported"
    assert body["detail"] == "3 problems were found; nothing was imported."
    assert [(e["line"], e["field"], e["code"]) for e in body["errors"]] == [
        (3, "email", "unknown_email"), (4, "assessment", "unknown_assessment"), (4, "score", "invalid_score")
    ]
    assert not AssessmentResult.objects.exists()


@pytest.mark.parametrize("who", ACTORS)
def test_close_permissions(who, actors, enrollment, run, client_for):
    response = _post(client_for(actors[who]), f"/api/v1/runs/{run.pk}/close/")

    expected = {"anonymous": 403, "learner": 403, "other_learner": 403, "other_instructor": 404,
                "finance": 403, "instructor": 200, "registrar": 200}[who]
    assert _status_and_problem(response) == expected
    run.refresh_from_db()
    assert (run.closed_at is not None) == (expected == 200)
    status = Enrollment.objects.get(pk=enrollment.pk).status
    assert status == (EnrollmentStatus.FAILED if expected == 200 else EnrollmentStatus.ACTIVE)
    if expected == 200:
        assert response.json()["failed"] == 1


def test_the_api_schema_builds_with_the_enrolment_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    paths = schema["paths"]
    assert "/api/v1/me/enrolments/" in paths
    assert "/api/v1/runs/{run_id}/results/import/" in paths
    import_operation = paths["/api/v1/runs/{run_id}/results/import/"]["post"]
    assert "multipart/form-data" in import_operation["requestBody"]["content"]
