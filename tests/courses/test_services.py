"""Tests of courses.services: create, update, the status transitions and runs, with their audit rows."""
import datetime as dt
from decimal import Decimal

import pytest

from courses.choices import CourseStatus
from courses.models import Course, CourseLanguage, CourseRun
from courses.services import (
    course_archive,
    course_create,
    course_publish,
    course_run_cancel,
    course_run_create,
    course_run_update,
    course_update,
    course_withdraw_to_draft,
)
from courses.signals import run_cancelled
from mcportal.core.exceptions import InvalidTransition, ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.courses import CourseFactory, CourseRunFactory

pytestmark = pytest.mark.django_db

COMPLETE_ATTRIBUTES = {
    "title": "Single-cell RNA-seq analysis",
    "code": "BIO042",
    "eqf_level": 7,
    "qf_ehea_cycle": "second",
    "workload_hours": 150,
    "ects_credits": Decimal("6.0"),
    "assessment_type": "project",
    "participation_form": "blended",
    "quality_assurance_type": "internal",
}


def _audit_actions(target=None):
    events = AuditEvent.objects.order_by("pk")
    if target is not None:
        events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    return list(events.values_list("action", flat=True))


def _published(registrar, **attributes):
    course = CourseFactory(**attributes)
    return course_publish(course=course, actor=registrar)


# ----------------------------------------------------------------------------- course_create


def test_create_makes_a_draft_with_ordered_outcomes_languages_and_an_audit_row(
    institution, other_institution, instructor
):
    course = course_create(
        institution=institution,
        actor=instructor,
        attributes=COMPLETE_ATTRIBUTES,
        outcomes=["  Design an experiment. ", "", "Interpret clusters."],
        languages=["en", "cs", "en"],
        partner_institutions=[other_institution, institution],
    )

    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert course.published_at is None
    assert course.slug == "single-cell-rna-seq-analysis"
    assert list(course.outcomes.values_list("position", "statement")) == [
        (1, "Design an experiment."),
        (2, "Interpret clusters."),
    ]
    assert sorted(course.languages.values_list("language", flat=True)) == ["cs", "en"]
    # The lead institution is never its own joint awarder.
    assert list(course.partner_institutions.all()) == [other_institution]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.institution, event.target_id) == (
        "course.created", instructor, institution, str(course.pk)
    )


def test_create_gives_a_unique_slug_when_the_title_repeats(institution, instructor):
    first = course_create(institution=institution, actor=instructor, attributes={"title": "Genomics"})
    second = course_create(institution=institution, actor=instructor, attributes={"title": "Genomics"})

    assert (first.slug, second.slug) == ("genomics", "genomics-2")


def test_create_never_takes_a_reserved_address(institution, instructor):
    derived = course_create(institution=institution, actor=instructor, attributes={"title": "New"})

    with pytest.raises(ValidationFailed) as caught:
        course_create(
            institution=institution, actor=instructor, attributes={"title": "Other"}, slug="new"
        )

    assert derived.slug == "new-2"
    assert [p.field for p in caught.value.problems] == ["slug"]
    assert Course.objects.count() == 1


def test_create_refuses_eqf_level_9_and_saves_nothing(institution, instructor):
    with pytest.raises(ValidationFailed) as caught:
        course_create(
            institution=institution, actor=instructor,
            attributes={**COMPLETE_ATTRIBUTES, "eqf_level": 9, "qf_ehea_cycle": ""},
        )

    assert [p.field for p in caught.value.problems] == ["eqf_level"]
    assert Course.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_create_refuses_a_taken_slug(institution, instructor):
    CourseFactory(slug="genomics")

    with pytest.raises(ValidationFailed) as caught:
        course_create(
            institution=institution, actor=instructor, attributes={"title": "Genomics"},
            slug="genomics",
        )

    assert [p.field for p in caught.value.problems] == ["slug"]
    assert Course.objects.count() == 1
    assert AuditEvent.objects.count() == 0


def test_create_with_an_unknown_language_rolls_back_the_course(institution, instructor):
    with pytest.raises(ValidationFailed) as caught:
        course_create(
            institution=institution, actor=instructor, attributes=COMPLETE_ATTRIBUTES,
            outcomes=["Design an experiment."], languages=["en", "xx"],
        )

    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("languages", "'xx' is not a language we offer.")
    ]
    assert Course.objects.count() == 0
    assert CourseLanguage.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_create_refuses_the_status_as_an_attribute(institution, instructor):
    with pytest.raises(ValidationFailed) as caught:
        course_create(
            institution=institution, actor=instructor,
            attributes={"title": "Genomics", "status": CourseStatus.PUBLISHED},
        )

    assert [p.field for p in caught.value.problems] == ["status"]
    assert Course.objects.count() == 0


# ----------------------------------------------------------------------------- course_update


def test_update_changes_fields_and_audits_which(instructor):
    course = CourseFactory()

    course_update(
        course=course, actor=instructor, changes={"title": "New title", "workload_hours": 140},
        outcomes=["Only one outcome."],
    )

    course.refresh_from_db()
    assert (course.title, course.workload_hours) == ("New title", 140)
    assert list(course.outcomes.values_list("statement", flat=True)) == ["Only one outcome."]
    event = AuditEvent.objects.get()
    assert event.action == "course.updated"
    assert event.data == {"fields": ["outcomes", "title", "workload_hours"]}


def test_update_of_a_draft_may_drop_mandatory_elements(instructor):
    course = CourseFactory()

    course_update(course=course, actor=instructor, changes={"assessment_type": ""}, outcomes=[])

    course.refresh_from_db()
    assert course.assessment_type == ""
    assert course.outcomes.count() == 0
    assert course.status == CourseStatus.DRAFT


def test_update_refuses_the_status(instructor):
    course = CourseFactory()

    with pytest.raises(ValidationFailed):
        course_update(course=course, actor=instructor, changes={"status": CourseStatus.PUBLISHED})

    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("_case", "arguments", "element"),
    [
        ("drop_outcomes", {"outcomes": []}, "learning_outcomes"),
        ("drop_eqf_level", {"changes": {"eqf_level": None, "qf_ehea_cycle": ""}}, "level"),
        ("drop_assessment", {"changes": {"assessment_type": ""}}, "assessment_type"),
        ("inconsistent_ects", {"changes": {"workload_hours": 40}}, "notional_workload"),
    ],
)
def test_update_of_a_published_course_that_breaks_it_is_refused_and_saves_nothing(
    registrar, _case, arguments, element
):
    course = _published(registrar)
    before = Course.objects.get(pk=course.pk)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        course_update(course=course, actor=registrar, **{"changes": {}, **arguments})

    assert [p.code for p in caught.value.problems] == [element]
    after = Course.objects.get(pk=course.pk)
    assert after.status == CourseStatus.PUBLISHED
    assert (after.eqf_level, after.assessment_type, after.workload_hours, after.updated_at) == (
        before.eqf_level, before.assessment_type, before.workload_hours, before.updated_at
    )
    assert list(after.outcomes.values_list("statement", flat=True)) == [
        "Design a differential expression analysis.",
        "Interpret results in a biological context.",
    ]
    assert AuditEvent.objects.count() == audit_before


def test_update_of_a_published_course_that_keeps_it_complete_is_saved(registrar):
    course = _published(registrar)

    course_update(course=course, actor=registrar, changes={"summary": "Sharper summary."})

    course.refresh_from_db()
    assert (course.status, course.summary) == (CourseStatus.PUBLISHED, "Sharper summary.")
    assert _audit_actions(course) == ["course.published", "course.updated"]


# ----------------------------------------------------------------------------- transitions


def test_publish_a_complete_draft(registrar):
    course = CourseFactory()

    course_publish(course=course, actor=registrar)

    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.data) == (
        "course.published", registrar, {"from": "draft"}
    )


@pytest.mark.parametrize(
    ("_case", "attributes", "element", "field"),
    [
        ("title", {"title": " "}, "title", "title"),
        ("issuer_country", {"institution__country": ""}, "issuer_country", "institution"),
        ("learning_outcomes", {"outcomes": []}, "learning_outcomes", "outcomes"),
        ("workload_hours", {"workload_hours": None}, "notional_workload", "workload_hours"),
        ("ects_credits", {"ects_credits": None}, "notional_workload", "ects_credits"),
        ("eqf_level", {"eqf_level": None, "qf_ehea_cycle": ""}, "level", "eqf_level"),
        ("assessment_type", {"assessment_type": ""}, "assessment_type", "assessment_type"),
        (
            "participation_form", {"participation_form": ""},
            "participation_form", "participation_form",
        ),
        (
            "quality_assurance", {"quality_assurance_type": ""},
            "quality_assurance", "quality_assurance_type",
        ),
    ],
)
def test_publish_lacking_a_mandatory_element_names_exactly_it_and_changes_nothing(
    registrar, _case, attributes, element, field
):
    course = CourseFactory(**attributes)

    with pytest.raises(ValidationFailed) as caught:
        course_publish(course=course, actor=registrar)

    assert [(p.code, p.field) for p in caught.value.problems] == [(element, field)]
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert course.published_at is None
    assert AuditEvent.objects.count() == 0


def test_publish_with_ects_contradicting_hours_is_refused(registrar):
    course = CourseFactory(ects_credits=Decimal(5), workload_hours=40)

    with pytest.raises(ValidationFailed) as caught:
        course_publish(course=course, actor=registrar)

    assert [(p.code, p.field) for p in caught.value.problems] == [
        ("notional_workload", "ects_credits")
    ]
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert AuditEvent.objects.count() == 0


def test_publish_with_ects_mildly_off_hours_goes_through(registrar):
    course = CourseFactory(ects_credits=Decimal(5), workload_hours=160)

    course_publish(course=course, actor=registrar)

    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_publish_with_qf_ehea_cycle_contradicting_eqf_is_refused(registrar):
    course = CourseFactory(eqf_level=6, qf_ehea_cycle="second")

    with pytest.raises(ValidationFailed) as caught:
        course_publish(course=course, actor=registrar)

    assert [(p.code, p.field) for p in caught.value.problems] == [("level", "qf_ehea_cycle")]
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert AuditEvent.objects.count() == 0


def test_withdraw_a_published_course_to_draft_keeps_the_reason(registrar):
    course = _published(registrar)

    course_withdraw_to_draft(course=course, actor=registrar, reason="Outcomes need review.")

    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    event = AuditEvent.objects.get(action="course.withdrawn")
    assert (event.reason, event.data) == ("Outcomes need review.", {"from": "published"})


def test_archive_a_published_course(registrar):
    course = _published(registrar)

    course_archive(course=course, actor=registrar, reason="Replaced by a new course.")

    course.refresh_from_db()
    assert course.status == CourseStatus.ARCHIVED
    event = AuditEvent.objects.get(action="course.archived")
    assert (event.reason, event.data) == ("Replaced by a new course.", {"from": "published"})


def test_archive_a_draft(registrar):
    course = CourseFactory()

    course_archive(course=course, actor=registrar, reason="Never ran.")

    course.refresh_from_db()
    assert course.status == CourseStatus.ARCHIVED
    assert AuditEvent.objects.get().data == {"from": "draft"}


def test_withdraw_an_archived_course_to_draft(registrar):
    course = CourseFactory()
    course_archive(course=course, actor=registrar, reason="Paused.")

    course_withdraw_to_draft(course=course, actor=registrar, reason="Running again.")

    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert _audit_actions(course) == ["course.archived", "course.withdrawn"]


def test_publish_after_withdrawal_sets_a_new_publication_date(registrar):
    course = _published(registrar)
    first_published_at = course.published_at
    course_withdraw_to_draft(course=course, actor=registrar, reason="Fix a typo.")

    course_publish(course=course, actor=registrar)

    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at >= first_published_at


def _to_status(course, status, registrar):
    if status == CourseStatus.PUBLISHED:
        course_publish(course=course, actor=registrar)
    elif status == CourseStatus.ARCHIVED:
        course_archive(course=course, actor=registrar, reason="Setup.")
    course.refresh_from_db()
    return course


@pytest.mark.parametrize(
    ("_case", "status", "service"),
    [
        ("publish_published", CourseStatus.PUBLISHED, "publish"),
        ("publish_archived", CourseStatus.ARCHIVED, "publish"),
        ("withdraw_draft", CourseStatus.DRAFT, "withdraw"),
        ("archive_archived", CourseStatus.ARCHIVED, "archive"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(registrar, _case, status, service):
    course = _to_status(CourseFactory(), status, registrar)
    audit_before = AuditEvent.objects.count()
    published_at = course.published_at
    calls = {
        "publish": lambda: course_publish(course=course, actor=registrar),
        "withdraw": lambda: course_withdraw_to_draft(course=course, actor=registrar, reason="x"),
        "archive": lambda: course_archive(course=course, actor=registrar, reason="x"),
    }

    with pytest.raises(InvalidTransition):
        calls[service]()

    course.refresh_from_db()
    assert course.status == status
    assert course.published_at == published_at
    assert AuditEvent.objects.count() == audit_before


def test_publish_of_an_archived_incomplete_course_reports_the_transition_first(registrar):
    course = CourseFactory()
    course_archive(course=course, actor=registrar, reason="Setup.")
    course.outcomes.all().delete()

    with pytest.raises(InvalidTransition):
        course_publish(course=course, actor=registrar)


# ----------------------------------------------------------------------------- runs

RUN_ATTRIBUTES = {
    "label": "Spring 2027",
    "starts_on": dt.date(2027, 3, 1),
    "ends_on": dt.date(2027, 5, 31),
    "enrolment_opens_at": dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC),
    "enrolment_closes_at": dt.datetime(2027, 2, 28, 23, 59, tzinfo=dt.UTC),
    "capacity": 24,
    "price_amount": Decimal("450.00"),
    "currency": "EUR",
    "location": "Brno",
}


def test_run_create_schedules_a_run_and_audits_it(instructor):
    course = CourseFactory()

    run = course_run_create(course=course, actor=instructor, attributes=RUN_ATTRIBUTES)

    run.refresh_from_db()
    assert (run.course, run.label, run.capacity, run.price_amount, run.seats_taken) == (
        course, "Spring 2027", 24, Decimal("450.00"), 0
    )
    assert _audit_actions(run) == ["course_run.created"]


@pytest.mark.parametrize(
    ("_case", "changes", "expected_fields"),
    [
        ("ends_before_start", {"ends_on": dt.date(2027, 2, 1)}, [None]),
        (
            "enrolment_closes_before_opening",
            {"enrolment_closes_at": dt.datetime(2027, 1, 1, tzinfo=dt.UTC)},
            [None],
        ),
        ("negative_price", {"price_amount": Decimal("-1.00")}, ["price_amount"]),
        ("unknown_currency", {"currency": "XYZ"}, ["currency"]),
    ],
)
def test_run_create_refuses_bad_input_and_saves_nothing(instructor, _case, changes, expected_fields):
    course = CourseFactory()

    with pytest.raises(ValidationFailed) as caught:
        course_run_create(course=course, actor=instructor, attributes={**RUN_ATTRIBUTES, **changes})

    assert {p.field for p in caught.value.problems} == set(expected_fields)
    assert CourseRun.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_run_update_changes_fields_and_audits_which(instructor):
    run = CourseRunFactory()

    course_run_update(run=run, actor=instructor, changes={"capacity": 40, "location": "Online"})

    run.refresh_from_db()
    assert (run.capacity, run.location) == (40, "Online")
    event = AuditEvent.objects.get()
    assert (event.action, event.data) == ("course_run.updated", {"fields": ["capacity", "location"]})


def test_run_update_refuses_capacity_below_seats_taken(instructor):
    run = CourseRunFactory(capacity=30, seats_taken=12)

    with pytest.raises(ValidationFailed) as caught:
        course_run_update(run=run, actor=instructor, changes={"capacity": 10})

    assert [p.field for p in caught.value.problems] == ["capacity"]
    run.refresh_from_db()
    assert run.capacity == 30
    assert AuditEvent.objects.count() == 0


def test_run_update_refuses_the_seats_taken(instructor):
    run = CourseRunFactory()

    with pytest.raises(ValidationFailed):
        course_run_update(run=run, actor=instructor, changes={"seats_taken": 5})

    run.refresh_from_db()
    assert run.seats_taken == 0


def test_run_cancel_keeps_the_reason(instructor):
    run = CourseRunFactory()

    course_run_cancel(run=run, actor=instructor, reason="Too few enrolments.")

    run.refresh_from_db()
    assert run.is_cancelled
    event = AuditEvent.objects.get()
    assert (event.action, event.reason) == ("course_run.cancelled", "Too few enrolments.")


def test_run_cancel_without_a_reason_is_refused(instructor):
    run = CourseRunFactory()

    with pytest.raises(ValidationFailed) as caught:
        course_run_cancel(run=run, actor=instructor, reason="   ")

    assert [p.field for p in caught.value.problems] == ["reason"]
    run.refresh_from_db()
    assert not run.is_cancelled
    assert AuditEvent.objects.count() == 0


def test_run_cancel_twice_is_refused(instructor):
    run = CourseRunFactory()
    course_run_cancel(run=run, actor=instructor, reason="Too few enrolments.")

    with pytest.raises(InvalidTransition):
        course_run_cancel(run=run, actor=instructor, reason="Again.")

    assert _audit_actions(run) == ["course_run.cancelled"]



def test_run_cancel_announces_run_cancelled_once_it_commits(instructor, django_capture_on_commit_callbacks):
    run = CourseRunFactory()
    received = []
    run_cancelled.connect(lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="t-run")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            course_run_cancel(run=run, actor=instructor, reason="Too few enrolments.")
        assert received == []  # nothing is announced before the commit
        for callback in callbacks:
            callback()
    finally:
        run_cancelled.disconnect(dispatch_uid="t-run")

    assert len(received) == 1
    assert (received[0]["run"].pk, received[0]["actor"], received[0]["reason"]) == (
        run.pk, instructor, "Too few enrolments."
    )


def test_a_refused_run_cancel_announces_nothing(instructor, django_capture_on_commit_callbacks):
    run = CourseRunFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(ValidationFailed):
        course_run_cancel(run=run, actor=instructor, reason="")

    assert callbacks == []
