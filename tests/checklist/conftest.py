"""Fixtures of the checklist tests: an alliance of the two test institutions."""

import pytest

from checklist.models import Alliance


@pytest.fixture
def alliance(institution, other_institution):
    alliance = Alliance.objects.create(name="Alliance4Life", slug="a4l")
    alliance.institutions.set([institution, other_institution])
    return alliance
