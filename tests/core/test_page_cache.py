"""Public pages are cached for anonymous visitors and go stale as soon as a course changes."""
import pytest
from django.test import Client

from courses.services import course_publish, course_update
from tests.factories.courses import CourseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_catalogue_is_served_from_cache_and_refreshed_after_a_change(registrar, django_assert_num_queries):
    course = course_publish(
        course=CourseFactory(institution=registrar.memberships.get().institution, title="Old title"),
        actor=registrar,
    )
    first = Client().get("/courses/")
    assert "Old title" in first.content.decode()

    with django_assert_num_queries(0):
        cached = Client().get("/courses/")
    course_update(course=course, actor=registrar, changes={"title": "New title"})
    refreshed = Client().get("/courses/")

    assert cached.content == first.content
    assert "New title" in refreshed.content.decode()


def test_logged_in_visitors_never_get_a_shared_page(registrar, client_for):
    course_publish(
        course=CourseFactory(institution=registrar.memberships.get().institution), actor=registrar
    )
    Client().get("/courses/")

    page = client_for(registrar).get("/courses/").content.decode()

    assert "Log out" in page
