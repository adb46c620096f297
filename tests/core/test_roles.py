"""Roles grant capabilities only inside the institution where they are held."""
import pytest
from django.contrib.auth.models import AnonymousUser

from mcportal.core.choices import Role
from mcportal.core.roles import (
    Capability,
    institutions_for_capability,
    user_capabilities_anywhere,
    user_has_capability,
    user_is_staff_member,
)
from tests.factories.core import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role_fixture", "capability", "expected"),
    [
        ("registrar", Capability.COURSE_PUBLISH, True),
        ("registrar", Capability.CREDENTIAL_REVOKE, True),
        ("instructor", Capability.COURSE_EDIT, True),
        ("instructor", Capability.COURSE_PUBLISH, False),
        ("instructor", Capability.CREDENTIAL_ISSUE, False),
        ("finance", Capability.PAYMENTS_MANAGE, True),
        ("finance", Capability.COURSE_EDIT, False),
        ("leadership", Capability.CHECKLIST_VIEW, True),
        ("leadership", Capability.COURSE_PUBLISH, False),
        ("auditor", Capability.AUDIT_VIEW, True),
        ("auditor", Capability.COURSE_EDIT, False),
    ],
)
def test_capability_follows_the_role_in_the_own_institution(
    request, role_fixture, capability, expected, institution
):
    user = request.getfixturevalue(role_fixture)

    assert user_has_capability(user, capability, institution) is expected


def test_a_registrar_of_one_institution_holds_nothing_in_another(registrar, other_institution):
    for capability in Capability:
        assert user_has_capability(registrar, capability, other_institution) is False
    assert list(institutions_for_capability(registrar, Capability.COURSE_PUBLISH)) == [
        registrar.memberships.get().institution
    ]


def test_learners_and_anonymous_hold_no_capability(learner, institution):
    for user in (learner, AnonymousUser()):
        assert user_is_staff_member(user) is False
        assert user_has_capability(user, Capability.STAFF_AREA, institution) is False


def test_an_inactive_member_loses_every_capability(registrar, institution):
    registrar.is_active = False
    registrar.save()

    assert user_has_capability(registrar, Capability.COURSE_PUBLISH, institution) is False


def test_superusers_hold_every_capability(institution):
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert user_has_capability(admin, Capability.PAYMENTS_MANAGE, institution) is True


def test_email_login_is_case_insensitive_and_unique(db):
    from django.contrib.auth import authenticate
    from django.db import IntegrityError, transaction

    from mcportal.core.models import User

    User.objects.create_user("Ada@Example.org", "s3cret-pass-phrase")

    assert authenticate(username="ada@EXAMPLE.org", password="s3cret-pass-phrase") is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ADA@example.org")


def test_capabilities_anywhere_are_the_union_of_the_users_roles():
    finance = UserFactory()
    MembershipFactory(user=finance, role=Role.FINANCE)
    MembershipFactory(user=finance, role=Role.INSTRUCTOR)
    capabilities = user_capabilities_anywhere(finance)

    assert Capability.PAYMENTS_MANAGE in capabilities and Capability.STAFF_AREA in capabilities
    assert Capability.CHECKLIST_MANAGE not in capabilities
    assert user_capabilities_anywhere(UserFactory()) == frozenset()
