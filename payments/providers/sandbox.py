"""The sandbox provider: a hosted payment page on the portal itself, for the demo and browser tests.

It never moves money. Its page's buttons produce the same ProviderOutcome a real webhook would, and
that outcome goes through the same service (provider_event_apply) as Stripe's webhooks.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping

from django.urls import reverse

from ..choices import ProviderName
from .base import CheckoutStart, ProviderOutcome, WebhookRejected

SANDBOX_ACTIONS = {"pay": "succeeded", "decline": "failed", "cancel": "cancelled"}


class SandboxProvider:
    name = ProviderName.SANDBOX
    refunds_automatically = True

    def create_checkout(self, *, payment, order, success_url: str, cancel_url: str) -> CheckoutStart:
        token = secrets.token_urlsafe(24)
        return CheckoutStart(
            redirect_url=reverse("payments:sandbox", kwargs={"token": token}), provider_reference=token
        )

    def outcome_for_action(self, *, payment, action: str) -> ProviderOutcome:
        """Translate a button on the sandbox page into the event a real provider would send."""
        if action not in SANDBOX_ACTIONS:
            raise WebhookRejected(f"Unknown sandbox action {action!r}.")
        outcome = SANDBOX_ACTIONS[action]
        return ProviderOutcome(
            provider=self.name,
            # One event per payment and outcome: pressing "Pay" twice is a replay.
            event_id=f"sandbox:{payment.provider_reference}:{outcome}",
            event_type=f"sandbox.payment_{outcome}",
            outcome=outcome,
            payment_public_id=str(payment.public_id),
            provider_reference=payment.provider_reference,
            amount_received=payment.amount if outcome == "succeeded" else None,
            currency=payment.currency,
            charge_reference=f"sandbox-charge-{payment.provider_reference}" if outcome == "succeeded" else "",
            failure_reason="Declined on the sandbox page." if outcome == "failed" else "",
            payload={"action": action},
        )

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderOutcome:
        raise WebhookRejected("The sandbox has no webhook endpoint; its page reports outcomes directly.")

    def refund(self, *, payment, refund) -> str:
        return f"sandbox-refund-{uuid.uuid4().hex[:16]}"
