"""The opaque references enrollment hands payments for what an order pays (payments never parses them)."""
from __future__ import annotations

PURCHASABLE_PREFIX = "enrollment:"


def enrollment_purchasable(enrollment) -> str:
    """The reference of orders that pay this enrolment (its place, or units of it)."""
    return f"{PURCHASABLE_PREFIX}{enrollment.pk}"
