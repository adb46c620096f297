"""The catalogue API: filters, problem JSON, fixed query count, and the staff publish operation."""
from decimal import Decimal

import pytest
from django.test import Client

from courses.models import Course
from courses.services import course_publish
from mcportal.core.models import AuditEvent
from tests.factories.courses import CourseFactory, CourseRunFactory

pytestmark = pytest.mark.django_db


def _published(registrar, **attributes):
    course = CourseFactory(institution=registrar.memberships.get().institution, **attributes)
    return course_publish(course=course, actor=registrar)


def test_list_returns_only_published_courses_with_catalogue_fields(registrar):
    shown = _published(registrar, title="Proteomics")
    CourseRunFactory(course=shown, price_amount=Decimal("120.00"))
    CourseFactory(institution=shown.institution, title="Draft course")

    response = Client().get("/api/v1/courses/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    card = body["results"][0]
    assert card["slug"] == shown.slug
    assert card["institution"] == shown.institution.slug
    assert card["languages"] == ["en"]
    assert card["lowest_price"] == "120.00"
    assert card["ects_credits"] == "5.0"
    assert card["url"] == f"http://testserver/courses/{shown.slug}/"


def test_list_filters_by_eqf_language_and_price(registrar):
    free_level_six = _published(registrar, eqf_level=6, qf_ehea_cycle="first", languages=["cs"])
    CourseRunFactory(course=free_level_six)
    paid_level_seven = _published(registrar, eqf_level=7)
    CourseRunFactory(course=paid_level_seven, price_amount=Decimal("300.00"))

    by_level = Client().get("/api/v1/courses/", {"eqf": 6}).json()
    by_language = Client().get("/api/v1/courses/", {"lang": "en"}).json()
    free = Client().get("/api/v1/courses/", {"price": "free"}).json()

    assert [c["slug"] for c in by_level["results"]] == [free_level_six.slug]
    assert [c["slug"] for c in by_language["results"]] == [paid_level_seven.slug]
    assert [c["slug"] for c in free["results"]] == [free_level_six.slug]


def test_invalid_filter_gives_problem_json_with_field_errors(db):
    response = Client().get("/api/v1/courses/", {"eqf": "9", "ects_min": "lots"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert {error["field"] for error in body["errors"]} == {"eqf", "ects_min"}


def test_list_uses_a_fixed_number_of_queries(registrar, django_assert_num_queries):
    for _ in range(3):
        CourseRunFactory(course=_published(registrar))
    # institutions for the filter form, count, page, languages, joint institutions
    with django_assert_num_queries(5):
        first = Client().get("/api/v1/courses/")
    for _ in range(12):
        CourseRunFactory(course=_published(registrar))

    with django_assert_num_queries(5):
        second = Client().get("/api/v1/courses/")

    assert first.json()["count"] == 3
    assert second.json()["count"] == 15


def test_detail_shows_every_element_and_upcoming_runs(registrar):
    course = _published(registrar, prerequisites="A bachelor's degree.")
    run = CourseRunFactory(course=course, capacity=20)

    body = Client().get(f"/api/v1/courses/{course.slug}/").json()

    assert body["title"] == course.title
    assert body["institution"]["country"] == "CZ"
    assert [o["statement"] for o in body["learning_outcomes"]] == [
        "Design a differential expression analysis.",
        "Interpret results in a biological context.",
    ]
    assert body["workload_hours"] == 125
    assert body["eqf_level"] == 7
    assert body["assessment_type"] == "project"
    assert body["participation_form"] == "online"
    assert body["quality_assurance_type"] == "internal"
    assert body["prerequisites"] == "A bachelor's degree."
    assert [r["id"] for r in body["runs"]] == [run.pk]
    assert body["runs"][0]["seats_left"] == 20


def test_detail_of_a_draft_is_404_problem_json(institution):
    draft = CourseFactory(institution=institution)

    response = Client().get(f"/api/v1/courses/{draft.slug}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Not found"


def test_unknown_api_url_is_404_problem_json(db):
    response = Client().get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_publish_lists_each_missing_element_and_changes_nothing(registrar, client_for):
    course = CourseFactory(
        institution=registrar.memberships.get().institution,
        assessment_type="", quality_assurance_type="", outcomes=[],
    )

    response = client_for(registrar).post(f"/api/v1/courses/{course.slug}/publish/")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("learning_outcomes", "outcomes"),
        ("assessment_type", "assessment_type"),
        ("quality_assurance", "quality_assurance_type"),
    ]
    course.refresh_from_db()
    assert course.status == "draft"
    assert not AuditEvent.objects.filter(action="course.published").exists()


def test_publication_check_reports_the_same_problems(registrar, client_for):
    course = CourseFactory(institution=registrar.memberships.get().institution, eqf_level=None)

    body = client_for(registrar).get(f"/api/v1/courses/{course.slug}/publication-check/").json()

    assert body["is_publishable"] is False
    assert body["problems"] == [
        {"element": "level", "field": "eqf_level", "message": "Choose the EQF level (1–8)."}
    ]
    assert body["present"]["level"] is False


@pytest.mark.parametrize(
    ("actor_fixture", "expected_status"),
    [
        ("anonymous", 403),
        ("learner", 403),
        ("other_registrar", 404),
        ("instructor", 403),
        ("finance", 403),
    ],
)
def test_publish_is_refused_without_the_registrar_role_in_the_institution(
    request, actor_fixture, expected_status, institution, client_for
):
    course = CourseFactory(institution=institution)
    actor = None if actor_fixture == "anonymous" else request.getfixturevalue(actor_fixture)

    response = client_for(actor).post(f"/api/v1/courses/{course.slug}/publish/")

    assert response.status_code == expected_status
    assert response["Content-Type"] == "application/problem+json"
    assert Course.objects.get(pk=course.pk).status == "draft"
    assert not AuditEvent.objects.filter(action="course.published").exists()


def test_registrar_publishes_through_the_api(registrar, client_for):
    course = CourseFactory(institution=registrar.memberships.get().institution)

    response = client_for(registrar).post(f"/api/v1/courses/{course.slug}/publish/")

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    event = AuditEvent.objects.get(action="course.published")
    assert (event.actor, event.target_id) == (registrar, str(course.pk))


def test_openapi_schema_builds_and_docs_are_served_locally(db):
    schema = Client().get("/api/schema/")
    docs = Client().get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/courses/" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
