"""Admin of name-change requests: read-only, scoped, and without the learner's names or reasons."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from credentials.models import NameChangeRequest
from credentials.services.correction import name_change_request_create
from credentials.services.issuance import credential_issue
from enrollment.models import Enrollment
from tests.factories.core import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

REQUESTED_NAME = "Zdeňka Nováková-Přibylová"
EXPLANATION = "Married in June; the certificate is attached."


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def name_change(completed_run, registrar):
    run = completed_run(1)
    enrollment = Enrollment.objects.select_related("learner").get(run=run)
    credential = credential_issue(enrollment=enrollment, actor=registrar).credential
    return name_change_request_create(
        credential=credential,
        learner=enrollment.learner,
        requested_name=REQUESTED_NAME,
        explanation=EXPLANATION,
    )


def _staff_with_view_permission(institution, role="registrar"):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, institution=institution, role=role)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="credentials",
            codename__in=["view_namechangerequest", "change_namechangerequest", "delete_namechangerequest"],
        )
    )
    return user


def _changelist():
    return reverse("admin:credentials_namechangerequest_changelist")


def _change(name_change):
    return reverse("admin:credentials_namechangerequest_change", args=[name_change.pk])


def test_the_admin_shows_where_a_request_stands_but_no_personal_details(name_change, superuser, client_for):
    client = client_for(superuser)

    pages = [client.get(_changelist()), client.get(_change(name_change))]

    for response in pages:
        assert response.status_code == 200
        content = response.content.decode()
        assert name_change.credential.verification_code in content
        for private in (REQUESTED_NAME, EXPLANATION, name_change.current_name):
            assert private not in content
    detail = pages[1].content.decode()
    staff_url = reverse("credentials_staff:name_change", kwargs={"request_id": name_change.pk})
    assert f'href="{staff_url}"' in detail
    assert pages[1].context["adminform"].form.fields == {}


def test_the_admin_neither_adds_changes_nor_deletes(name_change, superuser, client_for):
    client = client_for(superuser)

    detail = client.get(_change(name_change))
    add = client.get(reverse("admin:credentials_namechangerequest_add"))
    delete = client.get(reverse("admin:credentials_namechangerequest_delete", args=[name_change.pk]))
    posted = client.post(_change(name_change), {"requested_name": "Someone Else"})

    assert detail.context["has_change_permission"] is False
    assert detail.context["has_delete_permission"] is False
    assert (add.status_code, delete.status_code, posted.status_code) == (403, 403, 403)
    stored = NameChangeRequest.objects.get(pk=name_change.pk)
    assert (stored.requested_name, stored.status) == (REQUESTED_NAME, "pending")


def test_the_names_are_not_searchable(name_change, superuser, client_for):
    response = client_for(superuser).get(_changelist(), {"q": "Přibylová"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    found = client_for(superuser).get(_changelist(), {"q": name_change.credential.verification_code})
    assert list(found.context["cl"].result_list) == [name_change]


def test_staff_see_only_requests_of_institutions_where_they_correct_credentials(
    name_change, institution, other_institution, client_for
):
    own = client_for(_staff_with_view_permission(institution)).get(_changelist())
    other = client_for(_staff_with_view_permission(other_institution)).get(_changelist())
    other_detail = client_for(_staff_with_view_permission(other_institution)).get(_change(name_change))
    instructor = client_for(_staff_with_view_permission(institution, role="instructor")).get(_changelist())

    assert list(own.context["cl"].result_list) == [name_change]
    assert list(other.context["cl"].result_list) == []
    assert other_detail.status_code == 302  # the admin's "does not exist" redirect
    assert list(instructor.context["cl"].result_list) == []
