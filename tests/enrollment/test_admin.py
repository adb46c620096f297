"""Tests of the enrolment admin: read-only state, no add or delete, scoping, actions through services."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory, UserFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _admin_staff(institution, role):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, institution=institution, role=role)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="enrollment", codename__startswith="view_")
    )
    return user


def test_the_enrolment_change_page_shows_every_field_read_only(free_run, superuser, client_for):
    enrollment = enrol(free_run)

    response = client_for(superuser).get(reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "status" in response.context["adminform"].readonly_fields


def test_enrolments_are_neither_added_nor_deleted_in_the_admin(free_run, superuser, client_for):
    enrollment = enrol(free_run)
    client = client_for(superuser)

    add = client.get(reverse("admin:enrollment_enrollment_add"))
    delete = client.post(reverse("admin:enrollment_enrollment_delete", args=[enrollment.pk]), {"post": "yes"})
    change = client.post(reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]),
                         {"status": "completed"})

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_staff_see_only_enrolments_of_their_institutions(
    free_run, institution, other_institution, client_for
):
    enrollment = enrol(free_run)
    own = _admin_staff(institution, "registrar")
    foreign = _admin_staff(other_institution, "registrar")
    url = reverse("admin:enrollment_enrollment_changelist")

    assert list(client_for(own).get(url).context["cl"].result_list) == [enrollment]
    assert list(client_for(foreign).get(url).context["cl"].result_list) == []


def test_the_confirm_payment_action_calls_the_service_and_respects_its_permission(
    make_run, institution, client_for
):
    pending = enrol(make_run(price=Decimal("80.00")))
    finance = _admin_staff(institution, "finance")
    registrar = _admin_staff(institution, "registrar")
    url = reverse("admin:enrollment_enrollment_changelist")
    data = {"action": "confirm_payment", "_selected_action": [str(pending.pk)]}

    refused = client_for(registrar).post(url, data, follow=True)
    assert Enrollment.objects.get(pk=pending.pk).status == EnrollmentStatus.PENDING_PAYMENT
    assert any("Manage payments" in str(m) for m in refused.context["messages"])

    client_for(finance).post(url, data, follow=True)

    assert Enrollment.objects.get(pk=pending.pk).status == EnrollmentStatus.ACTIVE
    event = AuditEvent.objects.get(action="enrollment.payment_confirmed_manually")
    assert (event.actor, event.reason) == (finance, "Confirmed in the admin")
