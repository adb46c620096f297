"""The interface every payment provider adapter implements, and the values they exchange."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..models import Order, Payment, Refund


class ProviderError(Exception):
    """The provider refused or could not be reached; nothing was charged or refunded."""


class WebhookRejected(Exception):
    """A webhook that is not authentic (bad or missing signature) or cannot be parsed."""


@dataclass(frozen=True)
class CheckoutStart:
    """Where to send the buyer, and the provider's id of this checkout."""

    redirect_url: str
    provider_reference: str


@dataclass(frozen=True)
class ProviderOutcome:
    """What a provider event says about a payment, in the provider-independent vocabulary.

    ``outcome`` is "succeeded", "failed", "cancelled" or "ignored" (an event type we do not act on).
    """

    provider: str
    event_id: str
    event_type: str
    outcome: str
    payment_public_id: str = ""
    provider_reference: str = ""
    amount_received: Decimal | None = None
    currency: str = ""
    charge_reference: str = ""
    failure_reason: str = ""
    payload: Mapping = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str
    # Refunds go back through the provider (True) or are paid out by finance by hand (False).
    refunds_automatically: bool

    def create_checkout(
        self, *, payment: Payment, order: Order, success_url: str, cancel_url: str
    ) -> CheckoutStart:
        """Start a checkout; may call the provider over the network (never inside a transaction)."""

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderOutcome:
        """Verify and translate a webhook; raise WebhookRejected when it is not authentic."""

    def refund(self, *, payment: Payment, refund: Refund) -> str:
        """Refund the amount; return the provider's refund id. May call the network."""
