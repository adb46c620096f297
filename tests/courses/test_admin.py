"""Tests of the course admin: actions through the services, scoping per institution, guarded edits."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.forms import MultiWidget
from django.urls import reverse

from courses.choices import CourseStatus
from courses.models import Course, CourseRun
from courses.services import course_publish
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory, UserFactory
from tests.factories.courses import CourseFactory, CourseRunFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:courses_course_changelist"


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _staff_member(institution, role):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, institution=institution, role=role)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="courses",
            codename__in=["view_course", "change_course", "view_courserun", "change_courserun"],
        )
    )
    return user


@pytest.fixture
def staff_registrar(institution):
    return _staff_member(institution, "registrar")


@pytest.fixture
def staff_instructor(institution):
    return _staff_member(institution, "instructor")


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _action(client, action, courses):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [str(c.pk) for c in courses]},
        follow=True,
    )


def _form_values(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        key, value = form.add_prefix(name), form[name].value()
        if isinstance(field.widget, MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{key}_{index}"] = "" if part is None else str(part)
            continue
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        data[key] = [str(v) for v in value] if isinstance(value, list) else value
    return data


def _change_form_data(client, course, **overrides) -> dict:
    """The admin change form as the browser would submit it unchanged, plus overrides."""
    response = client.get(reverse("admin:courses_course_change", args=[course.pk]))
    data = _form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.forms:
            data.update(_form_values(form))
    data.update(overrides)
    return data


# ----------------------------------------------------------------------------- actions


def test_publish_action_reports_each_success_and_each_failure_exactly(client_for, superuser):
    ready = CourseFactory(title="Ready course")
    lacking = CourseFactory(title="Lacking course", outcomes=[], quality_assurance_type="")

    response = _action(client_for(superuser), "publish_courses", [ready, lacking])

    assert _messages(response) == [
        "“Lacking course” was not published. Missing or inconsistent: "
        "Learning outcomes: State at least one learning outcome; "
        "Type of quality assurance: Choose the type of quality assurance behind the course.",
        "“Ready course” is published.",
    ]
    ready.refresh_from_db()
    lacking.refresh_from_db()
    assert ready.status == CourseStatus.PUBLISHED
    assert lacking.status == CourseStatus.DRAFT
    assert list(AuditEvent.objects.values_list("action", "target_id")) == [
        ("course.published", str(ready.pk))
    ]


def test_publish_action_on_a_published_course_warns_and_changes_nothing(client_for, superuser):
    course = CourseFactory(title="Live course")
    course_publish(course=course, actor=superuser)

    response = _action(client_for(superuser), "publish_courses", [course])

    assert _messages(response) == [
        "“Live course” was not published: it is published, and only a draft can be published."
    ]
    assert AuditEvent.objects.count() == 1


def test_withdraw_and_archive_actions_call_the_services(client_for, superuser):
    published = CourseFactory(title="Published course")
    course_publish(course=published, actor=superuser)
    draft = CourseFactory(title="Draft course")
    client = client_for(superuser)

    withdrawn = _action(client, "withdraw_courses", [published, draft])
    archived = _action(client, "archive_courses", [draft])

    assert _messages(withdrawn) == [
        "“Draft course” was left unchanged: it is draft.",
        "“Published course” is a draft again.",
    ]
    assert _messages(archived) == ["“Draft course” is archived."]
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, draft.status) == (CourseStatus.DRAFT, CourseStatus.ARCHIVED)
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "reason")) == [
        ("course.published", ""),
        ("course.withdrawn", "Admin action"),
        ("course.archived", "Admin action"),
    ]


def test_publish_action_needs_the_registrar_role(client_for, staff_instructor, institution):
    course = CourseFactory(institution=institution, title="Ready course")

    response = _action(client_for(staff_instructor), "publish_courses", [course])

    assert _messages(response) == [
        f"“Ready course” was not published: only a registrar of {institution} may publish it."
    ]
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert AuditEvent.objects.count() == 0


def test_publish_action_as_a_staff_registrar(client_for, staff_registrar, institution):
    course = CourseFactory(institution=institution, title="Ready course")

    response = _action(client_for(staff_registrar), "publish_courses", [course])

    assert _messages(response) == ["“Ready course” is published."]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


# ----------------------------------------------------------------------------- scoping


def test_staff_member_sees_only_courses_of_their_institutions(
    client_for, staff_registrar, institution, other_institution
):
    mine = CourseFactory(institution=institution, title="Mine")
    CourseFactory(institution=other_institution, title="Theirs")

    response = client_for(staff_registrar).get(reverse(CHANGELIST))

    assert [c.title for c in response.context["cl"].result_list] == [mine.title]


def test_staff_member_cannot_open_or_change_another_institutions_course(
    client_for, staff_registrar, other_institution
):
    theirs = CourseFactory(institution=other_institution, title="Theirs")
    client = client_for(staff_registrar)
    url = reverse("admin:courses_course_change", args=[theirs.pk])

    opened = client.get(url)
    posted = client.post(url, {"title": "Hijacked"})

    assert opened.status_code == 302
    assert posted.status_code == 302
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"


def test_staff_member_cannot_act_on_another_institutions_course(
    client_for, staff_registrar, other_institution
):
    theirs = CourseFactory(institution=other_institution, title="Theirs")

    _action(client_for(staff_registrar), "publish_courses", [theirs])

    theirs.refresh_from_db()
    assert theirs.status == CourseStatus.DRAFT
    assert AuditEvent.objects.count() == 0


def test_staff_member_sees_only_runs_of_their_institutions(
    client_for, staff_registrar, institution, other_institution
):
    mine = CourseRunFactory(course=CourseFactory(institution=institution), label="Mine")
    CourseRunFactory(course=CourseFactory(institution=other_institution), label="Theirs")

    response = client_for(staff_registrar).get(reverse("admin:courses_courserun_changelist"))

    assert [r.label for r in response.context["cl"].result_list] == [mine.label]


def test_superuser_sees_every_course(client_for, superuser, institution, other_institution):
    CourseFactory(institution=institution)
    CourseFactory(institution=other_institution)

    response = client_for(superuser).get(reverse(CHANGELIST))

    assert response.context["cl"].result_count == 2


# ----------------------------------------------------------------------------- change form


def test_change_form_saves_a_draft_and_ignores_status(client_for, superuser):
    course = CourseFactory(title="Old title")
    client = client_for(superuser)

    response = client.post(
        reverse("admin:courses_course_change", args=[course.pk]),
        _change_form_data(client, course, title="New title", status="published"),
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.status, course.published_at) == (
        "New title", CourseStatus.DRAFT, None
    )


def test_change_form_refuses_to_strip_a_published_course(client_for, superuser):
    course = CourseFactory(title="Live course")
    course_publish(course=course, actor=superuser)
    client = client_for(superuser)
    data = _change_form_data(client, course, title="Renamed")
    data.update({"outcomes-0-DELETE": "on", "outcomes-1-DELETE": "on"})

    response = client.post(
        reverse("admin:courses_course_change", args=[course.pk]), data, follow=True
    )

    assert _messages(response) == [
        "Nothing was saved: a published course must keep every mandatory element. "
        "Withdraw it to draft first, or fix:",
        "Learning outcomes: State at least one learning outcome.",
    ]
    course.refresh_from_db()
    assert (course.title, course.status) == ("Live course", CourseStatus.PUBLISHED)
    assert course.outcomes.count() == 2
    assert AuditEvent.objects.count() == 1


def test_change_form_refuses_inconsistent_workload_on_a_published_course(client_for, superuser):
    course = CourseFactory()
    course_publish(course=course, actor=superuser)
    client = client_for(superuser)

    client.post(
        reverse("admin:courses_course_change", args=[course.pk]),
        _change_form_data(client, course, workload_hours="40"),
    )

    course.refresh_from_db()
    assert course.workload_hours == 125


def test_change_form_accepts_a_harmless_edit_of_a_published_course(client_for, superuser):
    course = CourseFactory()
    course_publish(course=course, actor=superuser)
    client = client_for(superuser)

    response = client.post(
        reverse("admin:courses_course_change", args=[course.pk]),
        _change_form_data(client, course, summary="Sharper summary."),
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.summary, course.status) == ("Sharper summary.", CourseStatus.PUBLISHED)


def test_change_form_shows_the_check_and_a_publish_button(client_for, superuser):
    course = CourseFactory(outcomes=[])

    body = client_for(superuser).get(
        reverse("admin:courses_course_change", args=[course.pk])
    ).content.decode()

    assert "State at least one learning outcome." in body
    assert 'name="_publish"' in body


def test_save_and_publish_button(client_for, superuser):
    course = CourseFactory(title="Ready course")
    client = client_for(superuser)

    response = client.post(
        reverse("admin:courses_course_change", args=[course.pk]),
        _change_form_data(client, course, _publish="1"),
        follow=True,
    )

    assert _messages(response) == ["The changes are saved.", "“Ready course” is published."]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_save_and_publish_of_an_incomplete_course_saves_but_does_not_publish(
    client_for, superuser
):
    course = CourseFactory(title="Draft course", quality_assurance_type="")
    client = client_for(superuser)

    response = client.post(
        reverse("admin:courses_course_change", args=[course.pk]),
        _change_form_data(client, course, summary="Edited.", _publish="1"),
        follow=True,
    )

    assert _messages(response) == [
        "The changes are saved.",
        "“Draft course” was not published. Missing or inconsistent: "
        "Type of quality assurance: Choose the type of quality assurance behind the course.",
    ]
    course.refresh_from_db()
    assert (course.summary, course.status) == ("Edited.", CourseStatus.DRAFT)
    # The edit itself is audited; no publication is.
    assert list(AuditEvent.objects.values_list("action", "data")) == [
        ("course.updated", {"fields": ["summary"], "via": "admin"})
    ]


def test_search_finds_courses_by_outcome(client_for, superuser):
    CourseFactory(title="Genomics", outcomes=["Assemble a genome."])
    CourseFactory(title="Ecology", outcomes=["Survey a meadow."])

    response = client_for(superuser).get(reverse(CHANGELIST), {"q": "meadow"})

    assert [c.title for c in response.context["cl"].result_list] == ["Ecology"]


@pytest.mark.parametrize(
    "query",
    [
        {"status__exact": "draft"},
        {"eqf_level__exact": "7"},
        {"participation_form__exact": "online"},
        {"field_of_study__exact": "051"},
    ],
)
def test_course_list_filters(client_for, superuser, query):
    CourseFactory(title="Matching")

    response = client_for(superuser).get(reverse(CHANGELIST), query)

    assert [c.title for c in response.context["cl"].result_list] == ["Matching"]


def test_run_admin_keeps_seats_taken_and_cancellation_read_only(client_for, superuser):
    run = CourseRunFactory(capacity=30, seats_taken=4)
    client = client_for(superuser)
    url = reverse("admin:courses_courserun_change", args=[run.pk])
    data = _form_values(client.get(url).context["adminform"].form)
    data.update({"seats_taken": "0", "is_cancelled": "on", "price_amount": "99.00"})

    response = client.post(url, data)

    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.seats_taken, run.is_cancelled, run.price_amount) == (4, False, Decimal("99.00"))


def test_run_admin_list_filters(client_for, superuser):
    CourseRunFactory(label="Open run")

    response = client_for(superuser).get(
        reverse("admin:courses_courserun_changelist"), {"is_cancelled__exact": "0"}
    )

    assert [r.label for r in response.context["cl"].result_list] == ["Open run"]
    assert CourseRun.objects.count() == 1


def test_course_cannot_be_deleted_by_a_staff_member(client_for, staff_registrar, institution):
    course = CourseFactory(institution=institution)

    response = client_for(staff_registrar).post(
        reverse("admin:courses_course_delete", args=[course.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Course.objects.filter(pk=course.pk).exists()
