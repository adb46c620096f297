"""Password reset: the request (e-mailed by the task after commit, no enumeration) and the new password."""
import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from mcportal.core import clock
from mcportal.core.models import AuditEvent, User
from tests.factories.core import UserFactory

RESET = reverse("accounts:password_reset")
DONE = reverse("accounts:password_reset_done")
COMPLETE = reverse("accounts:password_reset_complete")
LOGIN = reverse("accounts:login")
OLD_PASSWORD = "correct horse battery staple"  # set by UserFactory
NEW_PASSWORD = "lantern meadow 7 quartz"
RESET_LINK = re.compile(r"https://portal\.test(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def member(db):
    return UserFactory(email="eva.kral@example.org", full_name="Eva Král")


def _request_reset(client, capture, email: str):
    with capture(execute=True):
        return client.post(RESET, {"email": email})


def _reset_path(message) -> str:
    (path,) = set(RESET_LINK.findall(message.body))
    assert set(RESET_LINK.findall(message.alternatives[0][0])) == {path}
    return path


def test_reset_page_has_a_labelled_field_and_one_heading(client, db):
    content = client.get(RESET).content.decode()

    assert content.count("<h1>") == 1
    assert '<label for="id_email">E-mail</label>' in content
    assert 'name="csrfmiddlewaretoken"' in content


def test_login_page_links_to_reset_and_sign_up(client, db):
    content = client.get(f"{LOGIN}?next=/courses/").content.decode()

    assert f'<a href="{RESET}">Forgotten your password?</a>' in content
    assert f'<a href="{reverse("accounts:signup")}?next=/courses/">Create a learner account</a>' in content


def test_reset_request_is_e_mailed_by_the_task_after_commit(
    client, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(RESET, {"email": "Eva.Kral@Example.org"})
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()

    assert response.status_code == 302
    assert response["Location"] == DONE
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["eva.kral@example.org"]
    assert message.subject == "Choose a new password for mcportal"
    assert "Hello Eva Král," in message.body
    assert "The link works once, within 3 days." in message.body
    assert _reset_path(message).startswith("/accounts/password/reset/")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.target_id) == (
        "user.password_reset_sent", None, str(member.pk),
    )


def test_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing(
    client, member, django_capture_on_commit_callbacks
):
    known = _request_reset(client, django_capture_on_commit_callbacks, member.email)
    mail.outbox.clear()
    AuditEvent.objects.all().delete()

    unknown = _request_reset(client, django_capture_on_commit_callbacks, "nobody@example.org")

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"]) == (302, DONE)
    assert mail.outbox == []
    assert AuditEvent.objects.count() == 0
    page = client.get(DONE).content.decode()
    assert "If an account uses the address you entered, we have sent it a link" in page


def test_reset_request_for_a_deactivated_account_sends_nothing(
    client, member, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=member.pk).update(is_active=False)

    response = _request_reset(client, django_capture_on_commit_callbacks, member.email)

    assert response["Location"] == DONE
    assert mail.outbox == []
    assert AuditEvent.objects.count() == 0


def test_repeated_reset_requests_within_a_minute_send_one_e_mail(
    client, member, settable_clock, django_capture_on_commit_callbacks
):
    _request_reset(client, django_capture_on_commit_callbacks, member.email)
    settable_clock.set(clock.now() + dt.timedelta(seconds=59))
    second = _request_reset(client, django_capture_on_commit_callbacks, member.email)
    settable_clock.set(clock.now() + dt.timedelta(seconds=2))
    _request_reset(client, django_capture_on_commit_callbacks, member.email)

    assert second["Location"] == DONE
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="user.password_reset_sent").count() == 2


def test_reset_link_sets_a_new_password_once(client, member, django_capture_on_commit_callbacks):
    _request_reset(client, django_capture_on_commit_callbacks, member.email)
    path = _reset_path(mail.outbox[0])
    mail.outbox.clear()

    form_page = client.get(path, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )

    member.refresh_from_db()
    assert form_page.status_code == 200
    assert form_page.content.decode().count("<h1>") == 1
    assert response.status_code == 302
    assert response["Location"] == COMPLETE
    assert member.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="user.password_changed")
    assert (event.actor_id, event.data) == (member.pk, {"via": "reset_link"})
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["eva.kral@example.org"], "Your mcportal password has been changed")
    ]
    assert "https://portal.test/accounts/password/reset/" in mail.outbox[0].body

    reused = client.get(path, follow=True)
    assert reused.status_code == 200
    assert "<h1>This link is not valid any more</h1>" in reused.content.decode()
    assert client.login(username=member.email, password=NEW_PASSWORD)


def test_reset_link_refuses_a_weak_password_and_keeps_the_old_one(
    client, member, django_capture_on_commit_callbacks
):
    _request_reset(client, django_capture_on_commit_callbacks, member.email)
    set_password_url = client.get(_reset_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]

    response = client.post(set_password_url, {"new_password1": "12345678", "new_password2": "12345678"})

    member.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_password2": ["This password is too common.", "This password is entirely numeric."]
    }
    assert member.check_password(OLD_PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_changed").exists()


def test_tampered_reset_link_gets_a_friendly_page(client, member, django_capture_on_commit_callbacks):
    _request_reset(client, django_capture_on_commit_callbacks, member.email)
    path = _reset_path(mail.outbox[0])

    response = client.get(path[:-3] + "xx/", follow=True)

    assert response.status_code == 200
    assert "<h1>This link is not valid any more</h1>" in response.content.decode()
    assert f'href="{RESET}"' in response.content.decode()
