"""The alliance comparison page: network scope for leadership and auditors of member institutions."""

import pytest
from django.urls import reverse

from checklist.services import assessment_update
from tests.factories.core import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_leadership_of_a_member_compares_every_member_per_area(
    alliance, institution, other_institution, leadership, client_for
):
    other_leader = MembershipFactory(institution=other_institution, role="leadership").user
    for key in ("gdpr", "legal-compliance", "data-security"):
        assessment_update(institution=other_institution, activity_key=key, actor=other_leader, status="done")

    page = (
        client_for(leadership).get(reverse("checklist:alliance", kwargs={"alliance": "a4l"})).content.decode()
    )

    assert "Readiness across Alliance4Life" in page
    row = page.split("5. Legal &amp; Data Security")[1].split("</tr>")[0]
    assert "0 %" in row and "100 %" in row  # MUNI, then UT (columns by short name)
    assert row.index("0 %") < row.index("100 %")


@pytest.mark.parametrize("role", ["instructor", "registrar", "finance"])
def test_other_roles_have_no_network_scope(role, request, alliance, client_for):
    response = client_for(request.getfixturevalue(role)).get(
        reverse("checklist:alliance", kwargs={"alliance": "a4l"})
    )

    assert response.status_code == 404


def test_leadership_outside_the_alliance_has_no_network_scope(alliance, client_for):
    from tests.factories.core import InstitutionFactory

    outsider = MembershipFactory(institution=InstitutionFactory(), role="leadership").user

    assert (
        client_for(outsider).get(reverse("checklist:alliance", kwargs={"alliance": "a4l"})).status_code == 404
    )


def test_superuser_sees_every_alliance(alliance, client_for):
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert client_for(admin).get(reverse("checklist:alliance", kwargs={"alliance": "a4l"})).status_code == 200


def test_dashboard_links_to_the_comparison_only_for_network_scope(
    alliance, institution, leadership, registrar, client_for
):
    link = reverse("checklist:alliance", kwargs={"alliance": "a4l"})
    dashboard = reverse("checklist:dashboard", kwargs={"institution": institution.slug})

    assert link in client_for(leadership).get(dashboard).content.decode()
    assert link not in client_for(registrar).get(dashboard).content.decode()
