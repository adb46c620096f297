"""Abandoned payments are ended by the hourly task; recent ones and bank transfers are left alone."""

import datetime as dt

import pytest

from mcportal.core.models import AuditEvent
from payments.choices import PaymentStatus, ProviderName
from payments.models import Payment
from payments.services import payment_start
from payments.tasks import payment_reconcile_pending_task

pytestmark = pytest.mark.django_db


def _started(order, provider, *, hours_ago):
    payment = payment_start(
        order=order,
        provider=provider,
        actor=order.buyer,
        success_url="https://x.test",
        cancel_url="https://x.test",
    )
    Payment.objects.filter(pk=payment.pk).update(
        created_at=payment.created_at - dt.timedelta(hours=hours_ago)
    )
    return payment


def test_stale_claims_fail_and_stale_sandbox_checkouts_are_cancelled(make_order):
    order = make_order()
    stale_sandbox = _started(order, ProviderName.SANDBOX, hours_ago=30)
    recent_sandbox = _started(order, ProviderName.SANDBOX, hours_ago=2)
    transfer = _started(order, ProviderName.BANK_TRANSFER, hours_ago=200)
    claim = Payment.objects.create(
        order=order, provider=ProviderName.STRIPE, amount=order.total_amount, currency="EUR"
    )
    Payment.objects.filter(pk=claim.pk).update(created_at=claim.created_at - dt.timedelta(hours=2))

    assert payment_reconcile_pending_task() == 2
    assert payment_reconcile_pending_task() == 0

    statuses = {payment.pk: payment.status for payment in Payment.objects.all()}
    assert statuses == {
        stale_sandbox.pk: PaymentStatus.CANCELLED,
        recent_sandbox.pk: PaymentStatus.PENDING,
        transfer.pk: PaymentStatus.PENDING,
        claim.pk: PaymentStatus.FAILED,
    }
    assert AuditEvent.objects.filter(action="payment.expired").count() == 2
