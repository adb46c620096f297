"""Password change from the profile: knows the old password, stays logged in, audited, notified."""
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from mcportal.core.models import AuditEvent
from tests.factories.core import UserFactory

CHANGE = reverse("accounts:password_change")
PROFILE = reverse("accounts:profile")
OLD_PASSWORD = "correct horse battery staple"  # set by UserFactory
NEW_PASSWORD = "lantern meadow 7 quartz"


@pytest.fixture
def member(db):
    return UserFactory(email="ida.berg@example.org", full_name="Ida Berg")


def test_password_change_page_has_labelled_fields_and_one_heading(client_for, member):
    content = client_for(member).get(CHANGE).content.decode()

    assert content.count("<h1>") == 1
    for field_id in ("id_old_password", "id_new_password1", "id_new_password2"):
        assert f'<label for="{field_id}">' in content


def test_password_change_keeps_the_session_audits_and_notifies(client_for, member,
                                                               django_capture_on_commit_callbacks):
    client = client_for(member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGE,
            {"old_password": OLD_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

    member.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert member.check_password(NEW_PASSWORD)
    profile = client.get(PROFILE)
    assert profile.status_code == 200
    assert [str(message) for message in profile.context["messages"]] == ["Your password has been changed."]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.data) == ("user.password_changed", member.pk,
                                                          {"via": "password_change"})
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["ida.berg@example.org"], "Your mcportal password has been changed")
    ]


def test_password_change_with_a_wrong_old_password_changes_nothing(client_for, member):
    response = client_for(member).post(
        CHANGE, {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    member.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "old_password": ["Your old password was entered incorrectly. Please enter it again."]
    }
    assert member.check_password(OLD_PASSWORD)
    assert AuditEvent.objects.count() == 0
    assert mail.outbox == []


def test_password_change_needs_a_login(client, db):
    assert client.get(CHANGE)["Location"] == f"{reverse('accounts:login')}?next={CHANGE}"


@pytest.mark.parametrize(
    ("url_name", "_case"),
    [
        ("accounts:signup", "sign-up"),
        ("accounts:verification_resend", "resend"),
        ("accounts:password_reset", "reset request"),
        ("accounts:profile", "profile"),
        ("accounts:password_change", "password change"),
    ],
)
def test_account_forms_refuse_a_post_without_csrf_token(member, url_name, _case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post(reverse(url_name), {"full_name": "Changed", "email": member.email})

    member.refresh_from_db()
    assert response.status_code == 403
    assert member.full_name == "Ida Berg"
    assert AuditEvent.objects.count() == 0
    assert mail.outbox == []
