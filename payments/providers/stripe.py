"""Stripe Checkout: the only module that talks to Stripe's servers.

Checkout Sessions and refunds go through ``stripe.StripeClient``; webhooks are verified with
``stripe.Webhook.construct_event`` and the endpoint secret. Keys come from the environment
(MCPORTAL_STRIPE_SECRET_KEY, MCPORTAL_STRIPE_WEBHOOK_SECRET) and are read when used, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal

import stripe
from django.conf import settings

from mcportal.core.money import CENT

from ..choices import ProviderName
from .base import CheckoutStart, ProviderError, ProviderOutcome, WebhookRejected

logger = logging.getLogger(__name__)

# Stripe amounts are integers in the currency's minor unit; every currency we sell in has cents
# in Stripe's API (HUF and CZK included, which Stripe treats as two-decimal).
MINOR_UNITS = Decimal("100")

SUCCEEDED_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
FAILED_EVENTS = {"checkout.session.async_payment_failed"}
CANCELLED_EVENTS = {"checkout.session.expired"}


def to_minor_units(amount: Decimal) -> int:
    return int((amount.quantize(CENT) * MINOR_UNITS).to_integral_exact())


def from_minor_units(amount: int) -> Decimal:
    return (Decimal(amount) / MINOR_UNITS).quantize(CENT)


def _http_client() -> stripe.HTTPClient | None:
    """The HTTP client Stripe's library uses (None: its default). Tests replace it with a recorder."""
    return None


def _client() -> stripe.StripeClient:
    secret_key = settings.MCPORTAL_STRIPE_SECRET_KEY
    if not secret_key:
        raise ProviderError("Card payments are not configured (MCPORTAL_STRIPE_SECRET_KEY is empty).")
    return stripe.StripeClient(secret_key, http_client=_http_client(), max_network_retries=2)


class StripeProvider:
    name = ProviderName.STRIPE
    refunds_automatically = True

    def create_checkout(self, *, payment, order, success_url: str, cancel_url: str) -> CheckoutStart:
        params = {
            "mode": "payment",
            "client_reference_id": str(payment.public_id),
            "customer_email": order.buyer_email,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": {"payment_id": str(payment.public_id), "order_reference": order.payment_reference},
            "payment_intent_data": {"metadata": {"payment_id": str(payment.public_id)}},
            # One line with the server-computed total: Stripe never recomputes our VAT or discounts.
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": to_minor_units(payment.amount),
                        "product_data": {"name": f"Order {order.payment_reference}"},
                    },
                }
            ],
        }
        try:
            session = _client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{payment.public_id}"}
            )
        except stripe.StripeError as error:
            logger.warning("Stripe refused a checkout session for payment %s: %s", payment.public_id, error)
            raise ProviderError(
                str(error.user_message or "The card payment service refused the request.")
            ) from error
        return CheckoutStart(redirect_url=session.url, provider_reference=session.id)

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderOutcome:
        secret = settings.MCPORTAL_STRIPE_WEBHOOK_SECRET
        if not secret:
            raise WebhookRejected("No webhook secret is configured (MCPORTAL_STRIPE_WEBHOOK_SECRET).")
        try:
            event = stripe.Webhook.construct_event(body, headers.get("Stripe-Signature"), secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise WebhookRejected(str(error)) from error
        # Plain dicts: StripeObject attribute access raises on absent keys, and payloads vary by event.
        session = event.to_dict()["data"]["object"]
        event_type = event.type
        if event_type in SUCCEEDED_EVENTS:
            # A completed session paid by a delayed method (SEPA debit) is still "unpaid"; its
            # async_payment_succeeded event follows.
            outcome = "succeeded" if session.get("payment_status") == "paid" else "ignored"
        elif event_type in FAILED_EVENTS:
            outcome = "failed"
        elif event_type in CANCELLED_EVENTS:
            outcome = "cancelled"
        else:
            outcome = "ignored"
        metadata = session.get("metadata") or {}
        amount_total = session.get("amount_total")
        return ProviderOutcome(
            provider=self.name,
            event_id=event.id,
            event_type=event_type,
            outcome=outcome,
            payment_public_id=metadata.get("payment_id") or session.get("client_reference_id") or "",
            provider_reference=session.get("id") or "",
            amount_received=from_minor_units(amount_total)
            if outcome == "succeeded" and amount_total is not None
            else None,
            currency=(session.get("currency") or "").upper(),
            charge_reference=session.get("payment_intent") or "",
            failure_reason="The payment method failed." if outcome == "failed" else "",
            payload=event.to_dict(),
        )

    def refund(self, *, payment, refund) -> str:
        if not payment.provider_charge_reference:
            raise ProviderError(
                "Stripe gave no payment intent for this payment; refund it in Stripe's dashboard."
            )
        try:
            stripe_refund = _client().v1.refunds.create(
                params={
                    "payment_intent": payment.provider_charge_reference,
                    "amount": to_minor_units(refund.amount),
                    "metadata": {"refund_id": str(refund.pk)},
                },
                options={"idempotency_key": f"refund-{refund.pk}"},
            )
        except stripe.StripeError as error:
            logger.warning("Stripe refused refund %s: %s", refund.pk, error)
            raise ProviderError(
                str(error.user_message or "The card payment service refused the refund.")
            ) from error
        return stripe_refund.id
