"""Bank transfer: the buyer pays against a pro-forma invoice quoting the order's payment reference.

There is no provider to call: finance confirms the money by hand or by importing a bank statement,
and pays refunds out by hand (the refund row records it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.urls import reverse

from ..choices import ProviderName
from .base import CheckoutStart, ProviderOutcome, WebhookRejected


class BankTransferProvider:
    name = ProviderName.BANK_TRANSFER
    refunds_automatically = False

    def create_checkout(self, *, payment, order, success_url: str, cancel_url: str) -> CheckoutStart:
        # The buyer lands on the order page, which shows the pro-forma invoice and bank details.
        return CheckoutStart(
            redirect_url=reverse("payments:order", kwargs={"public_id": order.public_id}),
            provider_reference="",
        )

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderOutcome:
        raise WebhookRejected("Bank transfers are confirmed by finance, not by webhook.")

    def refund(self, *, payment, refund) -> str:
        return f"manual-{uuid.uuid4().hex[:16]}"
