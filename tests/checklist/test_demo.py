"""seed_demo gives leadership a meaningful dashboard: both institutions filled in, an alliance."""

import io

import pytest
from django.core.management import call_command

from checklist.models import ActivityAssessment, ActivityChange, Alliance
from checklist.selectors import readiness_get
from mcportal.core.models import Institution, User

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_both_institutions_and_a_second_run_changes_nothing(client_for):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (ActivityAssessment.objects.count(), ActivityChange.objects.count())
    call_command("seed_demo", stdout=io.StringIO())

    assert (ActivityAssessment.objects.count(), ActivityChange.objects.count()) == counts
    muni = readiness_get(institution=Institution.objects.get(slug="muni"))
    tartu = readiness_get(institution=Institution.objects.get(slug="ut"))
    assert muni.overall.done > tartu.overall.done > 0
    assert muni.overdue and muni.upcoming and tartu.overdue
    assert set(Alliance.objects.get(slug="alliance4life").institutions.values_list("slug", flat=True)) == {
        "muni",
        "ut",
    }
    leadership = User.objects.get(email="leadership@demo.test")
    page = client_for(leadership).get("/staff/checklist/")
    assert page.status_code == 200  # leadership has an alliance too: the index lists both
    assert "/staff/checklist/alliances/alliance4life/" in page.content.decode()
    assert client_for(leadership).get("/staff/checklist/muni/").status_code == 200
