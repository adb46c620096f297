"""Enrolment's reactions to events of the apps below it (payments, courses); one service call each."""

from __future__ import annotations

from django.dispatch import receiver

from courses.signals import run_cancelled
from payments.signals import payment_refunded, payment_succeeded

from .services.checkout import checkout_order_paid
from .services.enrolments import run_enrolments_end_after_cancellation
from .services.unit_sales import unit_access_revoke_after_refund


@receiver(payment_succeeded, dispatch_uid="enrollment.activate_after_payment")
def activate_after_payment(sender, *, order, payment, **kwargs) -> None:
    checkout_order_paid(order=order)


@receiver(payment_refunded, dispatch_uid="enrollment.revoke_units_after_refund")
def revoke_units_after_refund(sender, *, order, fully_refunded, **kwargs) -> None:
    # Only a full refund takes units back: a partial one does not say which unit it was for.
    if fully_refunded:
        unit_access_revoke_after_refund(order=order)


@receiver(run_cancelled, dispatch_uid="enrollment.end_enrolments_of_cancelled_run")
def end_enrolments_of_cancelled_run(sender, *, run, actor, reason, **kwargs) -> None:
    run_enrolments_end_after_cancellation(run_id=run.pk, actor=actor, reason=reason)
