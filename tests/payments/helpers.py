"""Helpers of the payments tests: paying an order through the real sandbox event path."""

from payments.providers.sandbox import SandboxProvider
from payments.services import payment_start, provider_event_apply


def pay_with_sandbox(order, *, action: str = "pay"):
    """Start a sandbox payment as the buyer and press the button; return the payment."""
    payment = payment_start(
        order=order,
        provider="sandbox",
        actor=order.buyer,
        success_url="https://x.test",
        cancel_url="https://x.test",
    )
    provider_event_apply(outcome=SandboxProvider().outcome_for_action(payment=payment, action=action))
    payment.refresh_from_db()
    return payment
