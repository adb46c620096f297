"""Ending an enrolment ends its open order; cancelling a run ends its enrolments, orders and flags refunds."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from courses.services import course_run_cancel
from enrollment.choices import EnrollmentStatus
from enrollment.services import (
    checkout_order_create,
    enrollment_cancel,
    enrollment_enrol,
    enrollment_withdraw,
    run_close,
    run_enrolments_end_after_cancellation,
    run_unit_save,
)
from mcportal.core.exceptions import Conflict
from mcportal.core.models import AuditEvent
from payments.choices import OrderStatus, PaymentStatus, PriceTier, ReviewReason
from payments.providers.sandbox import SandboxProvider
from payments.services import payment_start, provider_event_apply
from tests.factories.enrollment import LearnerFactory

from .conftest import buyer_details
from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db


def _status(instance):
    instance.refresh_from_db()
    return instance.status


def test_a_learner_cancelling_a_pending_enrolment_cancels_its_open_order(make_order, pending_enrollment):
    order = make_order()

    enrollment_cancel(enrollment=pending_enrollment, actor=pending_enrollment.learner, reason="")

    assert _status(order) == OrderStatus.CANCELLED
    event = AuditEvent.objects.get(action="order.cancelled")
    assert (event.actor_id, event.reason) == (None, "The enrolment was cancelled.")


def test_money_arriving_for_the_cancelled_order_is_flagged_not_kept(make_order, pending_enrollment):
    order = make_order()
    payment = payment_start(order=order, provider="sandbox", actor=order.buyer,
                            success_url="https://x.test", cancel_url="https://x.test")
    enrollment_cancel(enrollment=pending_enrollment, actor=pending_enrollment.learner, reason="")

    provider_event_apply(outcome=SandboxProvider().outcome_for_action(payment=payment, action="pay"))

    order.refresh_from_db()
    assert _status(payment) == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.CANCELLED
    assert (order.needs_review, order.review_reason) == (True, ReviewReason.NOT_PAYABLE)
    assert _status(pending_enrollment) == EnrollmentStatus.CANCELLED


def test_a_refused_cancellation_leaves_the_order_open(make_order, pending_enrollment):
    order = make_order()
    stranger = LearnerFactory()

    with pytest.raises(PermissionDenied):
        enrollment_cancel(enrollment=pending_enrollment, actor=stranger, reason="")

    assert _status(order) == OrderStatus.AWAITING_PAYMENT
    assert not AuditEvent.objects.filter(action="order.cancelled").exists()


def test_withdrawing_cancels_an_open_order_for_further_units(pending_enrollment, instructor, priced_run):
    genomes = run_unit_save(run=priced_run, actor=instructor,
                            attributes={"title": "Genomes", "price_amount": Decimal("100.00")})
    proteins = run_unit_save(run=priced_run, actor=instructor,
                             attributes={"title": "Proteins", "price_amount": Decimal("150.00")})
    def buy(unit):
        return checkout_order_create(
            enrollment=pending_enrollment, tier=PriceTier.INDIVIDUAL, voucher_code="",
            buyer=buyer_details(), actor=pending_enrollment.learner, unit_ids=[unit.pk],
        )

    pay_with_sandbox(buy(genomes))
    further = buy(proteins)

    enrollment_withdraw(enrollment=pending_enrollment, actor=pending_enrollment.learner, reason="")

    assert _status(further) == OrderStatus.CANCELLED
    assert _status(pending_enrollment) == EnrollmentStatus.WITHDRAWN


def test_closing_a_run_cancels_the_orders_of_pending_enrolments(
    make_order, pending_enrollment, instructor, priced_run
):
    order = make_order()

    run_close(run=priced_run, actor=instructor)

    assert _status(order) == OrderStatus.CANCELLED
    assert _status(pending_enrollment) == EnrollmentStatus.CANCELLED


# ----------------------------------------------------------------------------- run cancelled


@pytest.fixture
def full_run(priced_run, make_order, pending_enrollment):
    """A two-seat run: one learner paid (active), one awaits payment with an open order, one waits."""
    priced_run.capacity = 2
    priced_run.save(update_fields=["capacity"])
    paid_order = make_order()
    pay_with_sandbox(paid_order)
    waiting_for_money = LearnerFactory(full_name="Bea Pending")
    pending = enrollment_enrol(learner=waiting_for_money, run=priced_run, actor=waiting_for_money)
    open_order = make_order(enrollment=pending)
    waiting = LearnerFactory(full_name="Cy Waiting")
    waitlisted = enrollment_enrol(learner=waiting, run=priced_run, actor=waiting)
    assert waitlisted.status == EnrollmentStatus.WAITLISTED
    return {"active": pending_enrollment, "paid_order": paid_order, "pending": pending,
            "open_order": open_order, "waitlisted": waitlisted}


def test_cancelling_a_run_ends_every_open_enrolment_after_commit(
    full_run, priced_run, registrar, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        course_run_cancel(run=priced_run, actor=registrar, reason="The lecturer is ill.")

    assert _status(full_run["active"]) == EnrollmentStatus.WITHDRAWN
    assert _status(full_run["pending"]) == EnrollmentStatus.CANCELLED
    assert _status(full_run["waitlisted"]) == EnrollmentStatus.CANCELLED
    assert _status(full_run["open_order"]) == OrderStatus.CANCELLED
    paid = full_run["paid_order"]
    paid.refresh_from_db()
    assert (paid.status, paid.needs_review, paid.review_reason) == (
        OrderStatus.PAID, True, ReviewReason.NOT_PAYABLE
    )
    priced_run.refresh_from_db()
    assert priced_run.seats_taken == 0
    events = AuditEvent.objects.filter(data__cause="run_cancelled")
    assert sorted(events.values_list("action", flat=True)) == [
        "enrollment.cancelled", "enrollment.cancelled", "enrollment.withdrawn",
    ]
    assert set(events.values_list("reason", flat=True)) == {"The lecturer is ill."}
    cancelled_mails = [m for m in mail.outbox if "is cancelled" in m.subject]
    assert sorted(m.to[0] for m in cancelled_mails) == sorted(
        full_run[key].learner.email for key in ("active", "pending", "waitlisted")
    )
    active_mail = next(m for m in cancelled_mails if m.to[0] == full_run["active"].learner.email)
    assert "the finance office refunds you" in active_mail.body
    assert "The lecturer is ill." in active_mail.body


def test_nothing_happens_to_enrolments_before_the_cancellation_commits(full_run, priced_run, registrar):
    course_run_cancel(run=priced_run, actor=registrar, reason="Too few learners.")

    # No on-commit callbacks ran (the test transaction never commits): enrolments are untouched.
    assert _status(full_run["pending"]) == EnrollmentStatus.PENDING_PAYMENT
    assert _status(full_run["open_order"]) == OrderStatus.AWAITING_PAYMENT


def test_ending_the_enrolments_again_changes_nothing(
    full_run, priced_run, registrar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        course_run_cancel(run=priced_run, actor=registrar, reason="Too few learners.")
    before = AuditEvent.objects.count()

    summary = run_enrolments_end_after_cancellation(run_id=priced_run.pk, actor=registrar, reason="again")

    assert (summary.cancelled, summary.withdrawn, summary.refunds_flagged) == (0, 0, 0)
    assert AuditEvent.objects.count() == before


def test_ending_enrolments_of_a_run_that_is_not_cancelled_is_refused(full_run, priced_run, registrar):
    with pytest.raises(Conflict):
        run_enrolments_end_after_cancellation(run_id=priced_run.pk, actor=registrar, reason="oops")

    assert _status(full_run["open_order"]) == OrderStatus.AWAITING_PAYMENT
    assert _status(full_run["pending"]) == EnrollmentStatus.PENDING_PAYMENT
