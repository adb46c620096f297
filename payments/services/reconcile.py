"""Housekeeping of payments that were started and never finished."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from mcportal.core import clock
from mcportal.core.audit import audit_record

from ..choices import PaymentStatus, ProviderName
from ..models import Payment
from ..selectors import payment_qs_for_update

# A claim whose provider call never returned (crash between the two transactions of payment_start).
ABANDONED_CLAIM_AFTER = dt.timedelta(hours=1)
# The sandbox page has no expiry of its own; Stripe expires its sessions and says so by webhook,
# and bank transfers wait for finance, so neither is touched here.
ABANDONED_SANDBOX_AFTER = dt.timedelta(days=1)


def payment_expire_abandoned() -> int:
    """End payments nobody will finish: stale claims fail, stale sandbox checkouts are cancelled.

    Commits payment by payment (each in its own short transaction, audited as payment.expired), so
    a repeat or an overlapping run only skips what is already ended. Returns how many were ended.
    """
    now = clock.now()
    stale = Payment.objects.filter(
        status=PaymentStatus.CREATED, created_at__lt=now - ABANDONED_CLAIM_AFTER
    ) | Payment.objects.filter(
        provider=ProviderName.SANDBOX,
        status=PaymentStatus.PENDING,
        created_at__lt=now - ABANDONED_SANDBOX_AFTER,
    )
    ended = 0
    for payment_id in stale.values_list("pk", flat=True):
        ended += _payment_expire(payment_id)
    return ended


@transaction.atomic
def _payment_expire(payment_id: int) -> int:
    payment = payment_qs_for_update().select_related("order__institution").get(pk=payment_id)
    if payment.status == PaymentStatus.CREATED:
        target, reason = PaymentStatus.FAILED, "The checkout was never started."
    elif payment.status == PaymentStatus.PENDING and payment.provider == ProviderName.SANDBOX:
        target, reason = PaymentStatus.CANCELLED, "Abandoned on the sandbox page."
    else:
        return 0
    payment.status = target
    payment.failure_reason = reason
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    audit_record(
        actor=None,
        action="payment.expired",
        target=payment,
        institution=payment.order.institution,
        reason=reason,
        data={"to": target},
    )
    return 1
