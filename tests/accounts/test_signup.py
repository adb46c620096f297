"""Sign-up: the page, a new account with its verification e-mail, and refusals that change nothing."""
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.models import AuditEvent, User
from mcportal.core.users import user_email_verify, user_register
from tests.factories.core import UserFactory

from .conftest import SIGNUP_PASSWORD, verification_path_from

SIGNUP = reverse("accounts:signup")
SENT = reverse("accounts:verification_sent")


def _form(**overrides) -> dict:
    data = {
        "email": "Marek.Dvorak@Example.org",
        "full_name": "Marek Dvořák",
        "password1": SIGNUP_PASSWORD,
        "password2": SIGNUP_PASSWORD,
        "date_of_birth": "1994-05-17",
        "preferred_language": "cs",
    }
    data.update(overrides)
    return data


def _assert_nothing_created(client, users_before: int) -> None:
    assert User.objects.count() == users_before
    assert AuditEvent.objects.count() == 0
    assert mail.outbox == []
    assert "_auth_user_id" not in client.session


def test_signup_page_has_labelled_fields_csrf_and_one_heading(client, db):
    response = client.get(SIGNUP)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1>") == 1
    assert "<h1>Create an account</h1>" in content
    assert 'name="csrfmiddlewaretoken"' in content
    for field_id, label in [
        ("id_email", "E-mail"),
        ("id_full_name", "Full name"),
        ("id_password1", "Password"),
        ("id_password2", "Password again"),
        ("id_date_of_birth", "Date of birth (optional)"),
        ("id_preferred_language", "Preferred language"),
    ]:
        assert f'<label for="{field_id}">{label}</label>' in content
    assert 'type="email" name="email"' in content
    assert 'autocomplete="new-password"' in content
    assert '<option value="mt">Malti (Maltese)</option>' in content
    assert '<option value="en" selected>English</option>' in content
    assert content.count("<option ") == 24


def test_signup_creates_an_unverified_account_logs_in_and_sends_the_link_after_commit(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.MCPORTAL_SITE_NAME = "Alliance Portal"

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(SIGNUP, _form())
        # Nothing leaves before the transaction commits.
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()

    user = User.objects.get()
    assert response.status_code == 302
    assert response["Location"] == SENT
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.email, user.full_name, user.date_of_birth, user.preferred_language) == (
        "marek.dvorak@example.org", "Marek Dvořák", dt.date(1994, 5, 17), "cs",
    )
    assert user.email_verified_at is None
    assert user.check_password(SIGNUP_PASSWORD)
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "actor_id", "target_id")) == [
        ("user.registered", user.pk, str(user.pk)),
        ("user.email_verification_sent", user.pk, str(user.pk)),
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marek.dvorak@example.org"]
    assert message.subject == "Confirm your e-mail address for Alliance Portal"
    assert "Hello Marek Dvořák," in message.body
    assert "The link is valid for 3 days." in message.body
    assert user_email_verify(token=verification_path_from(message).split("/")[-2]).pk == user.pk


def test_signup_keeps_a_safe_next_address_for_after_the_inbox_page(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{SIGNUP}?next=/courses/", _form(next="/courses/"))

    assert response["Location"] == f"{SENT}?next=%2Fcourses%2F"
    page = client.get(response["Location"]).content.decode()
    assert '<a href="/courses/">Continue where you were</a>' in page


def test_signup_ignores_a_next_address_on_another_site(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, _form(next="https://evil.example/"))

    assert response["Location"] == SENT


def test_signup_with_a_registered_address_in_another_case_is_a_field_error(client, db):
    UserFactory(email="marek.dvorak@example.org")
    users_before = User.objects.count()

    response = client.post(SIGNUP, _form(email="MAREK.Dvorak@example.ORG"))

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": [
            "This e-mail address is already registered. Log in, or reset your password if you "
            "have forgotten it."
        ]
    }
    assert 'value="MAREK.Dvorak@example.ORG"' in content
    assert 'value="Marek Dvořák"' in content
    assert 'value="1994-05-17"' in content
    assert '<option value="cs" selected>' in content
    # A password is never sent back to the browser.
    assert SIGNUP_PASSWORD not in content
    _assert_nothing_created(client, users_before)


@pytest.mark.parametrize(
    ("password", "errors", "_case"),
    [
        (
            "12345678",
            ["This password is too common.", "This password is entirely numeric."],
            "common, numeric",
        ),
        ("a7#kQ", ["This password is too short. It must contain at least 8 characters."], "short"),
    ],
)
def test_signup_with_a_weak_password_is_a_field_error(client, db, password, errors, _case):
    response = client.post(SIGNUP, _form(password1=password, password2=password))

    assert response.status_code == 200
    assert response.context["form"].errors == {"password1": errors}
    _assert_nothing_created(client, 0)


def test_signup_reports_a_weak_password_together_with_other_errors(client, db):
    response = client.post(SIGNUP, _form(full_name="", password1="12345678", password2="12345678"))

    assert response.context["form"].errors == {
        "full_name": ["This field is required."],
        "password1": ["This password is too common.", "This password is entirely numeric."],
    }
    _assert_nothing_created(client, 0)


@pytest.mark.parametrize(
    ("overrides", "errors", "_case"),
    [
        ({"password2": "violet tapestry 4 harbor"}, {"password2": ["The two passwords differ."]}, "mismatch"),
        ({"email": "not-an-address"}, {"email": ["Enter a valid email address."]}, "bad e-mail"),
        ({"full_name": "   "}, {"full_name": ["This field is required."]}, "blank name"),
        (
            {"date_of_birth": "2999-01-01"},
            {"date_of_birth": ["The date of birth cannot be in the future."]},
            "future birth date",
        ),
        (
            {"preferred_language": "tlh"},
            {"preferred_language": ["Select a valid choice. tlh is not one of the available choices."]},
            "language not offered",
        ),
    ],
)
def test_signup_with_bad_input_is_a_field_error(client, db, overrides, errors, _case):
    response = client.post(SIGNUP, _form(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    _assert_nothing_created(client, 0)


def test_signup_without_date_of_birth_is_fine(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, _form(date_of_birth=""))

    assert response.status_code == 302
    assert User.objects.get().date_of_birth is None


def test_signup_page_sends_a_logged_in_user_to_the_profile(client_for, learner):
    response = client_for(learner).get(SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_user_register_reports_every_problem_at_once(db):
    UserFactory(email="taken@example.org")

    with pytest.raises(ValidationFailed) as caught:
        user_register(email="Taken@Example.org", password="password", full_name="", preferred_language="xx")

    assert sorted(caught.value.problems, key=lambda problem: problem.field) == [
        FieldProblem(
            "This e-mail address is already registered. Log in, or reset your password if you "
            "have forgotten it.",
            field="email", code="duplicate",
        ),
        FieldProblem("Enter your name as it should appear on your credentials.", field="full_name",
                     code="required"),
        FieldProblem("This password is too common.", field="password", code="weak"),
        FieldProblem("Choose one of the official languages of the EU.", field="preferred_language",
                     code="invalid_choice"),
    ]
    assert User.objects.count() == 1
    assert AuditEvent.objects.count() == 0


def test_user_register_tidies_the_address_and_the_name(signed_up):
    assert signed_up.email == "ana.novak@example.org"
    assert signed_up.full_name == "Ana Nováková"


def test_user_register_refuses_an_address_longer_than_the_column(db):
    long_address = f"{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.example.org"
    assert len(long_address) > 254

    with pytest.raises(ValidationFailed) as caught:
        user_register(email=long_address, password=SIGNUP_PASSWORD, full_name="Long Address")

    assert caught.value.problems == [FieldProblem("Enter a valid e-mail address.", field="email")]
    assert User.objects.count() == 0
