"""E-mail verification: the link, its failure modes, the resend button and the reminder banner."""
import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail, signing
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from mcportal.core import clock
from mcportal.core.models import AuditEvent, User
from mcportal.core.users import (
    EmailVerificationResendTooSoon,
    email_verification_token_make,
    user_email_is_verified,
    user_verification_resend,
)
from tests.factories.core import UserFactory

from .conftest import verification_path_from

RESEND = reverse("accounts:verification_resend")
SENT = reverse("accounts:verification_sent")


def _actions(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(user.pk)).order_by("pk").values_list("action", flat=True)
    )


def test_valid_link_verifies_the_address_and_audits_it(client, settable_clock, signed_up, verification_path):
    moment = clock.now() + dt.timedelta(hours=5)
    settable_clock.set(moment)

    response = client.get(verification_path)

    signed_up.refresh_from_db()
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Your e-mail address is verified</h1>" in content
    assert content.count("<h1>") == 1
    assert signed_up.email_verified_at == moment
    assert user_email_is_verified(signed_up) is True
    event = AuditEvent.objects.get(action="user.email_verified")
    assert (event.actor_id, event.target_id) == (signed_up.pk, str(signed_up.pk))


@pytest.mark.parametrize(
    ("age", "status", "verified", "_case"),
    [
        (dt.timedelta(days=3), 200, True, "last moment of validity"),
        (dt.timedelta(days=3, seconds=1), 410, False, "one second too late"),
    ],
)
def test_link_is_valid_for_three_days(client, settable_clock, signed_up, verification_path, age, status,
                                      verified, _case):
    # The token records the whole second it was made in.
    issued_at = clock.now().replace(microsecond=0)
    settable_clock.set(issued_at + age)

    response = client.get(verification_path)

    signed_up.refresh_from_db()
    assert response.status_code == status
    assert (signed_up.email_verified_at is not None) is verified
    assert AuditEvent.objects.filter(action="user.email_verified").exists() is verified


def test_expired_link_offers_a_new_one_and_changes_nothing(
    client, settable_clock, signed_up, verification_path
):
    settable_clock.set(clock.now() + dt.timedelta(days=4))
    client.force_login(signed_up)

    response = client.get(verification_path)

    content = response.content.decode()
    signed_up.refresh_from_db()
    assert response.status_code == 410
    assert "<h1>This link has expired</h1>" in content
    assert "Verification links are valid for 3 days." in content
    assert f'action="{RESEND}"' in content
    assert signed_up.email_verified_at is None
    assert _actions(signed_up) == ["user.registered", "user.email_verification_sent"]


def _tampered(path: str) -> str:
    token = path.split("/")[-2]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return reverse("accounts:verify_email", kwargs={"token": flipped})


@pytest.mark.parametrize(
    ("make_path", "_case"),
    [
        (_tampered, "last signature character changed"),
        (lambda path: reverse("accounts:verify_email", kwargs={"token": "abc"}), "garbage"),
        (lambda path: reverse("accounts:verify_email", kwargs={"token": "a:b:c:d"}), "colons"),
        (
            lambda path: reverse(
                "accounts:verify_email", kwargs={"token": signing.dumps({"u": 1}, salt="something else")}
            ),
            "signed for another purpose",
        ),
        (
            lambda path: reverse(
                "accounts:verify_email",
                kwargs={"token": signing.dumps([1, 2], salt="mcportal.core.users.email_verification")},
            ),
            "well signed, wrong shape",
        ),
    ],
)
def test_invalid_link_gets_a_friendly_page_and_changes_nothing(client, signed_up, verification_path,
                                                               make_path, _case):
    response = client.get(make_path(verification_path))

    content = response.content.decode()
    signed_up.refresh_from_db()
    assert response.status_code == 400
    assert "<h1>This link is not valid</h1>" in content
    assert "Log in to get a new link" in content
    assert signed_up.email_verified_at is None
    assert _actions(signed_up) == ["user.registered", "user.email_verification_sent"]


def test_used_link_says_already_verified_and_changes_nothing(client, signed_up, verification_path):
    client.get(verification_path)
    signed_up.refresh_from_db()
    verified_at = signed_up.email_verified_at

    response = client.get(verification_path)

    signed_up.refresh_from_db()
    assert response.status_code == 200
    assert "<h1>Your e-mail address is already verified</h1>" in response.content.decode()
    assert signed_up.email_verified_at == verified_at
    assert AuditEvent.objects.filter(action="user.email_verified").count() == 1


def test_link_stops_working_when_the_address_changed(client, signed_up, verification_path):
    User.objects.filter(pk=signed_up.pk).update(email="someone.else@example.org")

    response = client.get(verification_path)

    assert response.status_code == 400
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None


def test_link_of_a_deactivated_account_is_not_valid(client, signed_up, verification_path):
    User.objects.filter(pk=signed_up.pk).update(is_active=False)

    response = client.get(verification_path)

    assert response.status_code == 400
    assert User.objects.get(pk=signed_up.pk).email_verified_at is None


def test_verification_link_carries_no_readable_address(learner):
    token = email_verification_token_make(user=learner)

    assert learner.email not in signing.b64_decode(token.split(":")[0].encode()).decode()


def test_resend_right_after_sign_up_is_refused_with_the_wait(client, settable_clock, signed_up):
    client.force_login(signed_up)
    settable_clock.set(clock.now() + dt.timedelta(seconds=30))
    mail.outbox.clear()

    response = client.post(RESEND, follow=True)

    assert response.redirect_chain == [(SENT, 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "We sent you a verification e-mail moments ago. You can ask for another one in 30 seconds."
    ]
    assert mail.outbox == []
    assert _actions(signed_up) == ["user.registered", "user.email_verification_sent"]


def test_resend_after_a_minute_sends_a_new_link_that_works(client, settable_clock, signed_up,
                                                            django_capture_on_commit_callbacks):
    client.force_login(signed_up)
    settable_clock.set(clock.now() + dt.timedelta(seconds=61))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "We sent a new link to ana.novak@example.org. It is valid for 3 days."
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana.novak@example.org"]
    assert _actions(signed_up) == [
        "user.registered", "user.email_verification_sent", "user.email_verification_sent",
    ]
    # The next one waits a minute again.
    with pytest.raises(EmailVerificationResendTooSoon) as caught:
        user_verification_resend(user=signed_up)
    assert caught.value.retry_after_seconds == 60
    assert client.get(verification_path_from(mail.outbox[0])).status_code == 200


def test_resend_for_a_verified_address_sends_nothing(client, signed_up, verification_path):
    client.get(verification_path)
    client.force_login(signed_up)
    mail.outbox.clear()

    response = client.post(RESEND, {"next": "/courses/"})

    assert response["Location"] == "/courses/"
    assert [str(message) for message in client.get(SENT).context["messages"]] == [
        "Your e-mail address is already verified."
    ]
    assert mail.outbox == []
    assert _actions(signed_up).count("user.email_verification_sent") == 1


def test_resend_goes_back_only_to_this_site(client, settable_clock, signed_up):
    client.force_login(signed_up)

    response = client.post(RESEND, {"next": "https://evil.example/"})

    assert response["Location"] == SENT


def test_resend_needs_post_and_a_login(client, signed_up):
    assert client.post(RESEND)["Location"] == f"{reverse('accounts:login')}?next={SENT}"
    client.force_login(signed_up)
    assert client.get(RESEND).status_code == 405
    assert _actions(signed_up) == ["user.registered", "user.email_verification_sent"]


def test_inbox_page_shows_the_address_and_the_resend_button(client, signed_up):
    client.force_login(signed_up)

    content = client.get(SENT).content.decode()

    assert content.count("<h1>") == 1
    assert "<h1>Check your inbox</h1>" in content
    assert "We sent a link to <strong>ana.novak@example.org</strong>." in content
    assert f'<form method="post" action="{RESEND}">' in content
    assert "Please confirm your e-mail address" not in content


def test_inbox_page_needs_a_login(client, db):
    response = client.get(SENT)

    assert response["Location"] == f"{reverse('accounts:login')}?next={SENT}"


def _banner(user, **context) -> str:
    request = RequestFactory().get("/courses/?page=2")
    request.user = user
    return render_to_string(
        "accounts/_verification_banner.html", {"user": user, **context}, request=request
    ).strip()


def test_banner_reminds_an_unverified_user_and_offers_a_resend(signed_up):
    html = _banner(signed_up)

    assert (
        "Please confirm your e-mail address: open the link we sent to "
        "<strong>ana.novak@example.org</strong>."
    ) in html
    assert f'action="{RESEND}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/courses/?page=2">' in html


@pytest.mark.parametrize(
    ("who", "context", "_case"),
    [
        ("verified", {}, "verified user"),
        ("anonymous", {}, "anonymous visitor"),
        ("unverified", {"hide_verification_banner": True}, "page that says it itself"),
    ],
)
def test_banner_stays_away_when_not_needed(db, who, context, _case):
    user = {
        "verified": lambda: UserFactory(email_verified_at=clock.now()),
        "anonymous": AnonymousUser,
        "unverified": UserFactory,
    }[who]()

    assert _banner(user, **context) == ""


def test_verification_link_works_in_a_browser_without_a_session(signed_up, verification_path):
    # Links are opened from mail programs: a plain GET with no cookies must work.
    response = Client(enforce_csrf_checks=True).get(verification_path)

    assert response.status_code == 200
