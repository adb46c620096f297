"""Tests of enrolling, paying, withdrawing, cancelling and the waiting list: seats, audit, e-mails."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from courses.services import course_run_cancel, course_run_update, course_withdraw_to_draft
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import (
    enrollment_activate_after_payment,
    enrollment_cancel,
    enrollment_confirm_payment_manually,
    enrollment_enrol,
    enrollment_withdraw,
    run_close,
    run_waitlist_fill,
)
from mcportal.core import clock
from mcportal.core.exceptions import Conflict, InvalidTransition, ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory, UserFactory
from tests.factories.enrollment import LearnerFactory

from .conftest import assert_seats_consistent, enrol

pytestmark = pytest.mark.django_db


def _actions(target=None) -> list[str]:
    events = AuditEvent.objects.order_by("pk")
    if target is not None:
        events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    return list(events.values_list("action", flat=True))


def _enrolment_audit_count() -> int:
    return AuditEvent.objects.filter(action__startswith="enrollment.").count()


# ----------------------------------------------------------------------------- enrol


def test_enrol_in_a_free_run_activates_takes_a_seat_audits_and_emails_after_commit(
    free_run, django_capture_on_commit_callbacks
):
    learner = LearnerFactory(full_name="Ada Lovelace")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollment = enrollment_enrol(learner=learner, run=free_run, actor=learner)
        assert mail.outbox == []  # nothing leaves before the commit

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.activated_at is not None
    assert enrollment.waitlisted_at is None
    free_run.refresh_from_db()
    assert free_run.seats_taken == 1
    event = AuditEvent.objects.get(action="enrollment.created")
    assert (event.actor, event.institution, event.target_id, event.data) == (
        learner, free_run.course.institution, str(enrollment.pk), {"status": "active", "learner": learner.pk}
    )
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [[learner.email]]
    assert mail.outbox[0].subject == f"You are enrolled in {free_run.course.title}"
    assert "Hello Ada Lovelace," in mail.outbox[0].body
    assert "https://portal.test/learning/" in mail.outbox[0].body
    html, _ = mail.outbox[0].alternatives[0]
    assert '<a href="https://portal.test/learning/">' in html


def test_enrol_in_a_priced_run_holds_a_seat_pending_payment(priced_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrol(priced_run)

    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert enrollment.activated_at is None
    assert_seats_consistent(priced_run)
    assert priced_run.seats_taken == 1
    assert mail.outbox[0].subject == f"Your seat in {priced_run.course.title} is held: payment needed"
    assert "€250.00" in mail.outbox[0].body


def test_enrol_in_a_full_run_joins_the_waiting_list_without_a_seat(
    make_run, django_capture_on_commit_callbacks
):
    run = make_run(capacity=1)
    enrol(run)

    with django_capture_on_commit_callbacks(execute=True):
        waiting = enrol(run)

    assert waiting.status == EnrollmentStatus.WAITLISTED
    assert waiting.waitlisted_at is not None
    assert_seats_consistent(run)
    assert run.seats_taken == 1
    assert mail.outbox[-1].subject == f"You are on the waiting list for {run.course.title}"


def test_a_run_without_capacity_never_fills(make_run):
    run = make_run(capacity=None)

    statuses = {enrol(run).status for _ in range(5)}

    assert statuses == {EnrollmentStatus.ACTIVE}
    assert_seats_consistent(run)


def _make_unpublished(run, registrar):
    course_withdraw_to_draft(course=run.course, actor=registrar)


def _make_cancelled(run, registrar):
    course_run_cancel(run=run, actor=registrar, reason="Lecturer ill")


def _make_closed(run, instructor):
    run_close(run=run, actor=instructor)


@pytest.mark.parametrize(
    ("_case", "prepare", "code", "field"),
    [
        ("course not published", lambda run, users: _make_unpublished(run, users["registrar"]),
         "course_not_published", "run"),
        ("run cancelled", lambda run, users: _make_cancelled(run, users["registrar"]),
         "run_cancelled", "run"),
        ("run closed", lambda run, users: _make_closed(run, users["instructor"]), "run_closed", "run"),
        ("already enrolled", lambda run, users: enrol(run, users["learner"]), "already_enrolled", "run"),
    ],
)
def test_enrol_is_refused_with_a_reason_and_changes_nothing(
    _case, prepare, code, field, free_run, registrar, instructor, django_capture_on_commit_callbacks
):
    learner = LearnerFactory()
    prepare(free_run, {"registrar": registrar, "instructor": instructor, "learner": learner})
    free_run.refresh_from_db()
    before = (Enrollment.objects.count(), free_run.seats_taken, _enrolment_audit_count())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        enrollment_enrol(learner=learner, run=free_run, actor=learner)

    assert [(p.code, p.field) for p in refused.value.problems] == [(code, field)]
    free_run.refresh_from_db()
    assert (Enrollment.objects.count(), free_run.seats_taken, _enrolment_audit_count()) == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("_case", "opens", "closes", "code"),
    [
        ("window not open yet", dt.timedelta(days=2), dt.timedelta(days=9), "enrolment_not_open"),
        ("window closed", -dt.timedelta(days=9), -dt.timedelta(days=1), "enrolment_closed"),
    ],
)
def test_enrol_outside_the_enrolment_window_is_refused(_case, opens, closes, code, make_run):
    now = clock.now()
    run = make_run(enrolment_opens_at=now + opens, enrolment_closes_at=now + closes)
    learner = LearnerFactory()

    with pytest.raises(Conflict) as refused:
        enrollment_enrol(learner=learner, run=run, actor=learner)

    assert refused.value.problems[0].code == code
    assert not Enrollment.objects.exists()


def test_enrol_with_an_unverified_email_is_refused(free_run):
    learner = UserFactory(email_verified_at=None)

    with pytest.raises(Conflict) as refused:
        enrollment_enrol(learner=learner, run=free_run, actor=learner)

    assert [(p.code, p.field) for p in refused.value.problems] == [("email_unverified", "email")]
    assert learner.email in refused.value.message
    assert not Enrollment.objects.exists()
    free_run.refresh_from_db()
    assert free_run.seats_taken == 0


def test_a_registrar_may_enrol_a_learner_but_nobody_else_may(free_run, registrar, instructor):
    learner, other = LearnerFactory(), LearnerFactory()

    for intruder in (other, instructor):
        with pytest.raises(PermissionDenied):
            enrollment_enrol(learner=learner, run=free_run, actor=intruder)
    assert not Enrollment.objects.exists()

    enrollment = enrollment_enrol(learner=learner, run=free_run, actor=registrar)

    assert (enrollment.learner, enrollment.status) == (learner, EnrollmentStatus.ACTIVE)
    assert AuditEvent.objects.get(action="enrollment.created").actor == registrar


def test_a_learner_who_withdrew_may_enrol_again(free_run):
    learner = LearnerFactory()
    first = enrol(free_run, learner)
    enrollment_withdraw(enrollment=first, actor=learner, reason="")

    second = enrol(free_run, learner)

    assert second.pk != first.pk
    assert second.status == EnrollmentStatus.ACTIVE
    assert_seats_consistent(free_run)


# ----------------------------------------------------------------------------- waiting list


def test_freed_seats_go_to_the_waiting_list_in_order(make_run, django_capture_on_commit_callbacks):
    run = make_run(capacity=1)
    holder = enrol(run)
    first, second, third = enrol(run), enrol(run), enrol(run)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enrollment_withdraw(enrollment=holder, actor=holder.learner, reason="Moved abroad")

    statuses = dict(Enrollment.objects.filter(run=run).values_list("pk", "status"))
    assert statuses == {
        holder.pk: "withdrawn", first.pk: "active", second.pk: "waitlisted", third.pk: "waitlisted",
    }
    assert_seats_consistent(run)
    promoted = AuditEvent.objects.get(action="enrollment.promoted")
    assert (promoted.actor, promoted.target_id, promoted.data) == (
        None, str(first.pk), {"to": "active", "cause": "withdrawal"}
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([holder.learner.email, first.learner.email])
    assert f"A seat in {run.course.title} is yours" in [m.subject for m in mail.outbox]

    first.refresh_from_db()
    enrollment_withdraw(enrollment=first, actor=first.learner, reason="")

    assert Enrollment.objects.get(pk=second.pk).status == EnrollmentStatus.ACTIVE
    assert Enrollment.objects.get(pk=third.pk).status == EnrollmentStatus.WAITLISTED
    assert_seats_consistent(run)


def test_in_a_priced_run_the_promoted_learner_must_pay_and_a_cancelled_pending_seat_is_passed_on(make_run):
    run = make_run(capacity=1, price=Decimal("90.00"))
    pending = enrol(run)
    first, second = enrol(run), enrol(run)

    enrollment_cancel(enrollment=pending, actor=pending.learner, reason="")

    first.refresh_from_db()
    assert first.status == EnrollmentStatus.PENDING_PAYMENT
    assert first.activated_at is None
    assert Enrollment.objects.get(pk=second.pk).status == EnrollmentStatus.WAITLISTED
    assert_seats_consistent(run)


def test_cancelling_a_waiting_enrolment_frees_no_seat(make_run):
    run = make_run(capacity=1)
    holder = enrol(run)
    waiting, behind = enrol(run), enrol(run)

    enrollment_cancel(enrollment=waiting, actor=waiting.learner, reason="")

    assert Enrollment.objects.get(pk=behind.pk).status == EnrollmentStatus.WAITLISTED
    assert Enrollment.objects.get(pk=holder.pk).status == EnrollmentStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="enrollment.promoted").exists()
    assert_seats_consistent(run)


def test_after_the_capacity_is_raised_the_waiting_list_is_served_before_newcomers(make_run, registrar):
    run = make_run(capacity=1)
    enrol(run)
    waiting = enrol(run)
    course_run_update(run=run, actor=registrar, changes={"capacity": 2})

    newcomer = enrol(run)

    assert Enrollment.objects.get(pk=waiting.pk).status == EnrollmentStatus.ACTIVE
    assert newcomer.status == EnrollmentStatus.WAITLISTED
    assert_seats_consistent(run)


def test_a_registrar_fills_the_waiting_list_after_raising_the_capacity(make_run, registrar, instructor):
    run = make_run(capacity=1)
    enrol(run)
    first, second, third = enrol(run), enrol(run), enrol(run)
    course_run_update(run=run, actor=registrar, changes={"capacity": 3})

    with pytest.raises(PermissionDenied):
        run_waitlist_fill(run=run, actor=instructor)
    promoted = run_waitlist_fill(run=run, actor=registrar)

    assert [e.pk for e in promoted] == [first.pk, second.pk]
    assert Enrollment.objects.get(pk=third.pk).status == EnrollmentStatus.WAITLISTED
    assert {e.actor for e in AuditEvent.objects.filter(action="enrollment.promoted")} == {registrar}
    assert_seats_consistent(run)


# ----------------------------------------------------------------------------- payment


def test_finance_confirms_a_payment_by_hand_with_a_reason(
    priced_run, finance, django_capture_on_commit_callbacks
):
    enrollment = enrol(priced_run)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = enrollment_confirm_payment_manually(
            enrollment=enrollment, actor=finance, reason="Bank transfer 2026/118"
        )

    assert confirmed.status == EnrollmentStatus.ACTIVE
    assert confirmed.activated_at is not None
    event = AuditEvent.objects.get(action="enrollment.payment_confirmed_manually")
    assert (event.actor, event.reason) == (finance, "Bank transfer 2026/118")
    assert mail.outbox[0].subject == f"Payment received: you are enrolled in {priced_run.course.title}"
    assert_seats_consistent(priced_run)


@pytest.mark.parametrize("who", ["registrar", "instructor", "learner", "other_finance"])
def test_only_finance_of_the_institution_confirms_payments(
    who, priced_run, registrar, instructor, other_institution
):
    enrollment = enrol(priced_run)
    actor = {
        "registrar": registrar,
        "instructor": instructor,
        "learner": enrollment.learner,
        "other_finance": MembershipFactory(institution=other_institution, role="finance").user,
    }[who]

    with pytest.raises(PermissionDenied):
        enrollment_confirm_payment_manually(enrollment=enrollment, actor=actor, reason="Paid")

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert not AuditEvent.objects.filter(action="enrollment.payment_confirmed_manually").exists()


def test_a_manual_confirmation_needs_a_reason(priced_run, finance):
    enrollment = enrol(priced_run)

    with pytest.raises(ValidationFailed) as refused:
        enrollment_confirm_payment_manually(enrollment=enrollment, actor=finance, reason="  ")

    assert refused.value.problems[0].field == "reason"
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT


def test_activation_after_payment_is_idempotent(priced_run, django_capture_on_commit_callbacks):
    enrollment = enrol(priced_run)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = enrollment_activate_after_payment(enrollment_id=enrollment.pk)
        again = enrollment_activate_after_payment(enrollment_id=enrollment.pk)

    assert first.status == again.status == EnrollmentStatus.ACTIVE
    assert first.activated_at == again.activated_at
    assert _actions(enrollment) == ["enrollment.created", "enrollment.activated_after_payment"]
    assert AuditEvent.objects.get(action="enrollment.activated_after_payment").actor is None
    assert len(mail.outbox) == 1


def test_a_payment_for_a_cancelled_enrolment_is_refused_so_that_it_is_refunded(priced_run):
    enrollment = enrol(priced_run)
    enrollment_cancel(enrollment=enrollment, actor=enrollment.learner, reason="")

    with pytest.raises(InvalidTransition):
        enrollment_activate_after_payment(enrollment_id=enrollment.pk)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED


# ----------------------------------------------------------------------------- withdraw and cancel


def test_a_registrar_withdraws_a_learner_with_a_reason_the_learner_reads(
    free_run, registrar, django_capture_on_commit_callbacks
):
    enrollment = enrol(free_run)
    mail.outbox.clear()

    with pytest.raises(ValidationFailed):
        enrollment_withdraw(enrollment=enrollment, actor=registrar, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = enrollment_withdraw(enrollment=enrollment, actor=registrar, reason="Did not attend")

    assert withdrawn.status == EnrollmentStatus.WITHDRAWN
    assert withdrawn.ended_at is not None
    event = AuditEvent.objects.get(action="enrollment.withdrawn")
    assert (event.actor, event.reason, event.data) == (registrar, "Did not attend", {"by_learner": False})
    assert "Reason: Did not attend" in mail.outbox[0].body
    assert_seats_consistent(free_run)


@pytest.mark.parametrize("who", ["other_learner", "instructor", "finance", "other_registrar"])
def test_nobody_but_the_learner_or_a_registrar_withdraws_or_cancels(
    who, free_run, priced_run, instructor, finance, other_registrar
):
    active, pending = enrol(free_run), enrol(priced_run)
    actor = {"other_learner": LearnerFactory(), "instructor": instructor, "finance": finance,
             "other_registrar": other_registrar}[who]

    with pytest.raises(PermissionDenied):
        enrollment_withdraw(enrollment=active, actor=actor, reason="No")
    with pytest.raises(PermissionDenied):
        enrollment_cancel(enrollment=pending, actor=actor, reason="No")

    assert Enrollment.objects.get(pk=active.pk).status == EnrollmentStatus.ACTIVE
    assert Enrollment.objects.get(pk=pending.pk).status == EnrollmentStatus.PENDING_PAYMENT
    assert not AuditEvent.objects.filter(action__in=["enrollment.withdrawn", "enrollment.cancelled"]).exists()
