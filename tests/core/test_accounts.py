"""Log in with an e-mail address and log out (POST only)."""
import pytest
from django.urls import reverse

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PASSWORD = "correct horse battery staple"  # set by UserFactory


def test_login_page_asks_for_e_mail_and_password(client, settings, db):
    settings.MCPORTAL_SITE_NAME = "Alliance Portal"

    response = client.get(LOGIN)

    content = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">E-mail</label>' in content
    assert '<label for="id_password">Password</label>' in content
    assert 'type="email" name="username"' in content
    assert content.count("<h1>") == 1
    assert "<title>Log in · Alliance Portal</title>" in content
    assert "<span>Alliance Portal</span>" in content


@pytest.mark.parametrize(
    ("typed_email", "_case"),
    [("exact", "as stored"), ("upper", "e-mail addresses are case-insensitive")],
)
def test_login_with_e_mail_and_password_logs_the_user_in(client, learner, typed_email, _case):
    email = learner.email if typed_email == "exact" else learner.email.upper()

    response = client.post(LOGIN, {"username": email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_login_follows_a_safe_next_url_only(client, learner):
    response = client.post(
        f"{LOGIN}?next=/courses/", {"username": learner.email, "password": PASSWORD}
    )
    assert response["Location"] == "/courses/"

    client.logout()
    response = client.post(
        f"{LOGIN}?next=https://evil.example/", {"username": learner.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("email", "password", "_case"),
    [
        ("learner", "wrong password", "wrong password"),
        ("nobody@example.org", PASSWORD, "unknown e-mail"),
    ],
)
def test_login_with_wrong_credentials_shows_an_error(client, learner, email, password, _case):
    email = learner.email if email == "learner" else email

    response = client.post(LOGIN, {"username": email, "password": password})

    content = response.content.decode()
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        '<div class="notice notice--error" role="alert">\n        '
        "<p>The e-mail address and password do not match an account. "
        "Check them and try again.</p>"
    ) in content
    assert f'value="{email}"' in content


def test_inactive_user_cannot_log_in(client, learner):
    learner.is_active = False
    learner.save()

    response = client.post(LOGIN, {"username": learner.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client_for, learner):
    client = client_for(learner)

    response = client.get(LOGOUT)

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_logout_by_post_ends_the_session(client_for, learner):
    client = client_for(learner)

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session


def test_header_offers_log_out_to_a_logged_in_learner(client_for, learner):
    response = client_for(learner).get(reverse("courses:catalogue"))

    content = response.content.decode()
    assert f'action="{LOGOUT}"' in content
    assert 'type="submit" class="link-button">Log out</button>' in content
    assert f'href="{LOGIN}' not in content
