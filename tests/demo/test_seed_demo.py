"""seed_demo builds the demo alliance, every demo course is publishable, and a second run changes nothing."""
import io

import pytest
from django.core.management import call_command

from courses.models import Course, CourseRun
from credentials.models import Credential
from mcportal.core.models import AuditEvent, Institution, Membership, User

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Institution.objects.count(), User.objects.count(), Membership.objects.count(),
        Course.objects.count(), CourseRun.objects.count(), AuditEvent.objects.count(),
        Credential.objects.count(),
    )


@pytest.mark.smoke
def test_seed_demo_creates_the_alliance_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())

    assert _counts() == first
    assert set(Institution.objects.values_list("slug", flat=True)) == {"muni", "ut"}
    assert set(Membership.objects.values_list("role", flat=True)) == {
        "instructor", "registrar", "finance", "leadership", "auditor",
    }
    levels = set(Course.objects.filter(status="published").values_list("eqf_level", flat=True))
    assert levels == {5, 6, 7, 8}
    assert Course.objects.filter(status="published").count() == 12
    assert Course.objects.filter(status="draft").count() == 1
    assert User.objects.filter(email="admin@demo.test", is_superuser=True).exists()
    assert sorted(
        Credential.objects.filter(enrollment__learner__email="learner@demo.test")
        .values_list("enrollment__run__course__slug", "enrollment__status")
    ) == [("biostatistics-with-r", "completed"), ("good-clinical-practice", "completed")]
