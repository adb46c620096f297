"""Profile: name on credentials, date of birth and language; audited; e-mail shown, not editable."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.models import AuditEvent
from mcportal.core.users import user_profile_update
from tests.factories.core import UserFactory

PROFILE = reverse("accounts:profile")


@pytest.fixture
def member(db):
    return UserFactory(
        email="jan.horak@example.org", full_name="Jan Horak", date_of_birth=dt.date(1990, 2, 3),
        preferred_language="en",
    )


def _state(user) -> tuple:
    user.refresh_from_db()
    return (user.full_name, user.date_of_birth, user.preferred_language, user.email)


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={PROFILE}"


def test_profile_page_shows_the_details_the_e_mail_and_the_password_link(client_for, member):
    response = client_for(member).get(PROFILE)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1>") == 1
    assert "<dd>jan.horak@example.org</dd>" in content
    assert "<dd>Not verified yet</dd>" in content
    assert "You cannot change your e-mail address yourself." in content
    assert 'name="email"' not in content
    assert f'href="{reverse("accounts:password_change")}"' in content
    assert 'value="Jan Horak"' in content
    assert 'value="1990-02-03"' in content
    assert '<option value="en" selected>English</option>' in content


def test_profile_update_saves_and_audits_the_change(client_for, member):
    client = client_for(member)

    response = client.post(
        PROFILE, {"full_name": " Jan  Horák ", "date_of_birth": "1990-02-13", "preferred_language": "cs"},
        follow=True,
    )

    assert response.redirect_chain == [(PROFILE, 302)]
    assert [str(message) for message in response.context["messages"]] == ["Your profile has been saved."]
    assert _state(member) == ("Jan Horák", dt.date(1990, 2, 13), "cs", "jan.horak@example.org")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.target_id) == (
        "user.profile_updated", member.pk, str(member.pk),
    )
    assert event.data == {
        "fields": ["date_of_birth", "full_name", "preferred_language"],
        "before": {"full_name": "Jan Horak", "preferred_language": "en"},
        "after": {"full_name": "Jan Horák", "preferred_language": "cs"},
    }


def test_profile_can_drop_the_date_of_birth(client_for, member):
    client_for(member).post(
        PROFILE, {"full_name": "Jan Horak", "date_of_birth": "", "preferred_language": "en"}
    )

    assert _state(member) == ("Jan Horak", None, "en", "jan.horak@example.org")
    assert AuditEvent.objects.get().data == {"fields": ["date_of_birth"], "before": {}, "after": {}}


def test_profile_saved_unchanged_writes_no_audit(client_for, member):
    client_for(member).post(
        PROFILE, {"full_name": "Jan Horak", "date_of_birth": "1990-02-03", "preferred_language": "en"}
    )

    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "errors", "_case"),
    [
        ({"full_name": ""}, {"full_name": ["This field is required."]}, "no name"),
        ({"date_of_birth": "2999-12-31"}, {"date_of_birth": ["The date of birth cannot be in the future."]},
         "future date of birth"),
        ({"date_of_birth": "1850-01-01"}, {"date_of_birth": ["Check the year of the date of birth."]},
         "implausible date of birth"),
        ({"date_of_birth": "31/12/1990"}, {"date_of_birth": ["Enter a valid date."]}, "unreadable date"),
        ({"preferred_language": "uk"},
         {"preferred_language": ["Select a valid choice. uk is not one of the available choices."]},
         "not an EU language"),
    ],
)
def test_profile_update_with_bad_input_changes_nothing(client_for, member, data, errors, _case):
    form = {"full_name": "Jan Novák", "date_of_birth": "1990-02-03", "preferred_language": "en", **data}

    response = client_for(member).post(PROFILE, form)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert _state(member) == ("Jan Horak", dt.date(1990, 2, 3), "en", "jan.horak@example.org")
    assert AuditEvent.objects.count() == 0
    if "full_name" not in data:
        assert 'value="Jan Novák"' in response.content.decode()


def test_profile_update_by_someone_else_is_refused(member):
    other = UserFactory()

    with pytest.raises(PermissionDenied):
        user_profile_update(user=member, actor=other, changes={"full_name": "Someone Else"})

    assert _state(member) == ("Jan Horak", dt.date(1990, 2, 3), "en", "jan.horak@example.org")
    assert AuditEvent.objects.count() == 0


def test_profile_update_by_a_superuser_is_audited_with_the_superuser(member):
    admin = UserFactory(is_superuser=True)

    user_profile_update(user=member, actor=admin, changes={"full_name": "Jan Horák"})

    assert _state(member)[0] == "Jan Horák"
    assert AuditEvent.objects.get().actor_id == admin.pk


def test_profile_update_cannot_change_the_e_mail(member):
    with pytest.raises(ValidationFailed) as caught:
        user_profile_update(
            user=member, actor=member, changes={"email": "new@example.org", "full_name": "X Y"}
        )

    assert caught.value.problems == [FieldProblem("This field cannot be changed here.", field="email")]
    assert _state(member) == ("Jan Horak", dt.date(1990, 2, 3), "en", "jan.horak@example.org")
    assert AuditEvent.objects.count() == 0
