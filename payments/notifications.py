"""E-mails to buyers about their orders: rendered inside the transaction, sent after it commits."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from mcportal.core.emails import email_schedule

from .models import Order


def buyer_email(*, order: Order, message: str, **extra) -> None:
    """Schedule templates/emails/<message>/ to the order's invoice address, sent once the change commits."""
    public_url = settings.MCPORTAL_PUBLIC_URL
    language = getattr(order.buyer, "preferred_language", "") or settings.LANGUAGE_CODE
    email_schedule(
        to=order.buyer_email,
        message=message,
        language=language,
        context={
            "buyer_name": order.buyer_name,
            "institution_name": order.institution.legal_name,
            "order_reference": order.payment_reference,
            "order_total": str(order.total),
            "order_url": f"{public_url}{reverse('payments:order', kwargs={'public_id': order.public_id})}",
            **extra,
        },
    )
