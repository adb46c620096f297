"""Celery tasks of payments: thin wrappers around services."""

from celery import shared_task

from .services.reconcile import payment_expire_abandoned


@shared_task(name="payments.payment_reconcile_pending", acks_late=True)
def payment_reconcile_pending_task() -> int:
    """End abandoned payments (beat, hourly); safe to run twice."""
    return payment_expire_abandoned()
