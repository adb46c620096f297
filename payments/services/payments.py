"""Payments: starting a checkout with a provider, and applying what the provider says happened.

Claim-then-act (no network call inside a transaction or row lock): payment_start commits a CREATED
payment, calls the provider with no transaction open, then commits PENDING with the provider's id.
Provider outcomes (Stripe webhooks, the sandbox page, bank transfers) all end in
provider_event_apply / payment_succeed, so there is one code path for money coming in.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import ApplicationError, Conflict, InvalidTransition

from ..choices import PAYMENT_TRANSITIONS, OrderStatus, PaymentStatus, ProviderName, ReviewReason
from ..models import Order, Payment, ProviderEvent
from ..providers import provider_get
from ..providers.base import ProviderError, ProviderOutcome
from ..selectors import order_qs_for_update, payment_qs_for_update
from .orders import order_flag, order_mark_paid

logger = logging.getLogger(__name__)


def _transition(payment: Payment, target: str) -> None:
    if target not in PAYMENT_TRANSITIONS[PaymentStatus(payment.status)]:
        raise InvalidTransition(payment.status, target, entity="payment")


@transaction.atomic
def _payment_claim(*, order: Order, provider: str, actor) -> Payment:
    order = order_qs_for_update().select_related("institution").get(pk=order.pk)
    if not (getattr(actor, "is_authenticated", False) and actor.pk == order.buyer_id):
        raise Conflict(_("Only the buyer may pay this order."))
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise Conflict(
            _("This order no longer waits for payment (%(status)s).") % {"status": order.get_status_display()}
        )
    # The service enforces the configured list too: in production the sandbox must be unreachable
    # even for a hand-made POST.
    if provider not in ProviderName.values or provider not in settings.MCPORTAL_PAYMENT_PROVIDERS:
        raise ApplicationError(_("This way to pay is not available; choose another one."))
    if provider == ProviderName.BANK_TRANSFER:
        # Choosing bank transfer again shows the same pro-forma; it is one payment waiting for money.
        waiting = order.payments.filter(
            provider=provider, status=PaymentStatus.PENDING, provider_reference=""
        ).first()
        if waiting is not None:
            return waiting
    payment = Payment.objects.create(
        order=order, provider=provider, amount=order.total_amount, currency=order.currency
    )
    audit_record(
        actor=actor,
        action="payment.created",
        target=payment,
        institution=order.institution,
        data={"provider": provider, "amount": str(payment.amount)},
    )
    return payment


@transaction.atomic
def _payment_checkout_started(*, payment_id: int, provider_reference: str, checkout_url: str) -> Payment:
    payment = payment_qs_for_update().get(pk=payment_id)
    if payment.status != PaymentStatus.CREATED:
        # A fast provider event already moved it on; the checkout details are still worth keeping.
        payment.checkout_url = checkout_url
        payment.save(update_fields=["checkout_url", "updated_at"])
        return payment
    _transition(payment, PaymentStatus.PENDING)
    payment.status = PaymentStatus.PENDING
    payment.provider_reference = provider_reference
    payment.checkout_url = checkout_url
    payment.save(update_fields=["status", "provider_reference", "checkout_url", "updated_at"])
    return payment


@transaction.atomic
def _payment_checkout_failed(*, payment_id: int, reason: str) -> Payment:
    payment = payment_qs_for_update().select_related("order__institution").get(pk=payment_id)
    _transition(payment, PaymentStatus.FAILED)
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = reason[:255]
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    audit_record(
        actor=None,
        action="payment.failed",
        target=payment,
        institution=payment.order.institution,
        reason=reason,
    )
    return payment


def payment_start(*, order: Order, provider: str, actor, success_url: str, cancel_url: str) -> Payment:
    """Start paying the order with the provider; returns the PENDING payment (its checkout_url is next).

    Not atomic on purpose: the claim commits first, the provider is called outside any transaction,
    and the outcome commits in a second short transaction. A provider error marks the payment
    FAILED and raises ApplicationError with a message for the buyer.
    """
    payment = _payment_claim(order=order, provider=provider, actor=actor)
    try:
        checkout = provider_get(provider).create_checkout(
            payment=payment, order=payment.order, success_url=success_url, cancel_url=cancel_url
        )
    except ProviderError as error:
        _payment_checkout_failed(payment_id=payment.pk, reason=str(error))
        raise ApplicationError(
            _("The payment could not be started: %(reason)s Try again or choose another way to pay.")
            % {"reason": error}
        ) from error
    return _payment_checkout_started(
        payment_id=payment.pk,
        provider_reference=checkout.provider_reference,
        checkout_url=checkout.redirect_url,
    )


def _review_problem(order: Order, payment: Payment) -> tuple[ReviewReason, str] | None:
    """Why finance must look at this payment before it counts, or None when it is in order."""
    if order.status == OrderStatus.PAID:
        return ReviewReason.DUPLICATE_PAYMENT, _("The order was already paid; this is a second payment.")
    if order.status == OrderStatus.CANCELLED:
        return ReviewReason.NOT_PAYABLE, _("The order was cancelled before the money arrived.")
    if payment.currency != order.currency or payment.amount_received != order.total_amount:
        return ReviewReason.AMOUNT_MISMATCH, _(
            "Received %(received)s %(currency)s, the order is for %(total)s %(order_currency)s."
        ) % {
            "received": payment.amount_received,
            "currency": payment.currency,
            "total": order.total_amount,
            "order_currency": order.currency,
        }
    if order.payable_until and payment.succeeded_at > order.payable_until:
        return ReviewReason.LATE_PAYMENT, _("Paid after the deadline of %(deadline)s.") % {
            "deadline": order.payable_until.isoformat(timespec="minutes")
        }
    return None


def payment_succeed(
    *, payment: Payment, amount_received: Decimal, currency: str, charge_reference: str = "", actor=None
) -> Payment:
    """Record money received on the locked payment (inside the caller's transaction).

    The order is paid (invoice issued, payment_succeeded sent) only when the amount, currency and
    timing match; otherwise the order is flagged for finance and nothing else happens.
    """
    order = order_qs_for_update().select_related("institution").get(pk=payment.order_id)
    payment = payment_qs_for_update().get(pk=payment.pk)
    if payment.status == PaymentStatus.CREATED:
        _transition(payment, PaymentStatus.PENDING)
    else:
        _transition(payment, PaymentStatus.SUCCEEDED)
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_received = amount_received
    payment.currency = currency or payment.currency
    payment.succeeded_at = clock.now()
    if charge_reference:
        payment.provider_charge_reference = charge_reference
    payment.save(
        update_fields=[
            "status",
            "amount_received",
            "currency",
            "succeeded_at",
            "provider_charge_reference",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="payment.succeeded",
        target=payment,
        institution=order.institution,
        data={"amount_received": str(amount_received), "currency": payment.currency},
    )
    problem = _review_problem(order, payment)
    if problem is not None:
        order_flag(order=order, reason=problem[0], note=problem[1])
    else:
        order_mark_paid(order=order, payment=payment)
    return payment


def _payment_end(payment: Payment, target: PaymentStatus, reason: str) -> Payment:
    payment = payment_qs_for_update().select_related("order__institution").get(pk=payment.pk)
    _transition(payment, target)
    payment.status = target
    payment.failure_reason = reason[:255]
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    audit_record(
        actor=None,
        action=f"payment.{target}",
        target=payment,
        institution=payment.order.institution,
        reason=reason,
    )
    return payment


def _payment_for_outcome(outcome: ProviderOutcome) -> Payment | None:
    payments = Payment.objects.filter(provider=outcome.provider)
    if outcome.payment_public_id:
        try:
            public_id = uuid.UUID(outcome.payment_public_id)
        except ValueError:
            public_id = None
        found = payments.filter(public_id=public_id).first() if public_id else None
        if found is not None:
            return found
    if outcome.provider_reference:
        return payments.filter(provider_reference=outcome.provider_reference).first()
    return None


@transaction.atomic
def provider_event_apply(*, outcome: ProviderOutcome) -> bool:
    """Apply a verified provider event exactly once; return False for a replay (nothing changes).

    The event row (unique on provider and event id) is written in the same transaction as its
    effect, so an event either counted fully or not at all. Events about unknown payments or
    in a state that no longer allows the change are recorded and logged, not applied.
    """
    payment = _payment_for_outcome(outcome)
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=outcome.provider,
                event_id=outcome.event_id,
                event_type=outcome.event_type,
                received_at=clock.now(),
                payment=payment,
                payload=dict(outcome.payload),
            )
    except IntegrityError:
        logger.info("Replayed %s event %s ignored.", outcome.provider, outcome.event_id)
        return False
    if payment is None:
        logger.warning("%s event %s names no known payment.", outcome.provider, outcome.event_id)
        return True
    if outcome.outcome == "succeeded" and payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        # One checkout is paid once; a second success event for it (another event id) is not new money.
        logger.info(
            "Payment %s already %s; %s event ignored.", payment.public_id, payment.status, outcome.event_type
        )
    elif outcome.outcome == "succeeded" and payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        # Money reported for a checkout we had given up on: never silently accepted, never lost.
        order = order_qs_for_update().select_related("institution").get(pk=payment.order_id)
        order_flag(
            order=order,
            reason=ReviewReason.NOT_PAYABLE,
            note=_("%(provider)s reported %(amount)s %(currency)s paid on a payment that was %(status)s.")
            % {
                "provider": payment.get_provider_display(),
                "amount": outcome.amount_received,
                "currency": outcome.currency,
                "status": payment.get_status_display(),
            },
        )
    elif outcome.outcome == "succeeded":
        payment_succeed(
            payment=payment,
            amount_received=outcome.amount_received
            if outcome.amount_received is not None
            else Decimal("0.00"),
            currency=outcome.currency,
            charge_reference=outcome.charge_reference,
        )
    elif outcome.outcome in ("failed", "cancelled"):
        target = PaymentStatus.FAILED if outcome.outcome == "failed" else PaymentStatus.CANCELLED
        if target in PAYMENT_TRANSITIONS[PaymentStatus(payment.status)]:
            _payment_end(payment, target, outcome.failure_reason or outcome.event_type)
        else:
            logger.info(
                "Payment %s is %s; %s event ignored.", payment.public_id, payment.status, outcome.event_type
            )
    return True
