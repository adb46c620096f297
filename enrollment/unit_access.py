"""Which units of a run sold per unit (pay-per-module) a learner holds, and what that puts in scope.

Pure reads and derived values, used by the services (enrollment/services/unit_sales.py, which
states the rules), the selectors and the pages alike.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from courses.models import CourseRun
from mcportal.core.money import CENT
from payments.models import Order

from .models import Assessment, EnrollmentUnitAccess, Unit

UNIT_REFERENCE = "/unit:"


def run_sells_units(run: CourseRun) -> bool:
    """Tell whether the run sells its units separately (priced run, at least one priced unit)."""
    if run.is_free:
        return False
    return Unit.objects.filter(run=run, price_amount__isnull=False).exists()


def unit_tier_price(*, run: CourseRun, unit: Unit, tier_price: Decimal) -> Decimal:
    """The unit's price for a tier whose whole-run price is tier_price (same proportion as the run)."""
    if tier_price == run.price_amount or not run.price_amount:
        return unit.price_amount
    return (unit.price_amount * tier_price / run.price_amount).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_purchasable(run: CourseRun, unit: Unit) -> str:
    """The order line's reference of one unit: below the run's, so run vouchers cover it."""
    return f"run:{run.pk}{UNIT_REFERENCE}{unit.pk}"


def unit_id_from_purchasable(purchasable: str) -> int | None:
    """The unit id of a line reference made by unit_purchasable, else None."""
    _run_part, separator, unit_part = purchasable.partition(UNIT_REFERENCE)
    return int(unit_part) if separator and unit_part.isdigit() else None


def units_purchased_ids(*, enrollment_ids: Iterable[int]) -> dict[int, set[int]]:
    """enrollment id → ids of the units it holds live access to (one query)."""
    held: dict[int, set[int]] = {}
    rows = EnrollmentUnitAccess.objects.filter(
        enrollment_id__in=list(enrollment_ids), revoked_at__isnull=True
    ).values_list("enrollment_id", "unit_id")
    for enrollment_id, unit_id in rows:
        held.setdefault(enrollment_id, set()).add(unit_id)
    return held


def assessment_scopes(*, run: CourseRun, enrollment_ids: Iterable[int]) -> dict[int, frozenset[int]] | None:
    """enrollment id → ids of the assessments it is assessed on; None when the run is sold whole.

    In a run sold per unit, a learner is assessed on the assessments of no unit, of units with no
    price (they come with every purchase) and of the units they bought (three queries).
    """
    enrollment_ids = list(enrollment_ids)
    if not run_sells_units(run):
        return None
    assessments = list(Assessment.objects.filter(run=run).values_list("pk", "unit_id", "unit__price_amount"))
    always = {pk for pk, unit_id, price in assessments if unit_id is None or price is None}
    purchased = units_purchased_ids(enrollment_ids=enrollment_ids)
    return {
        enrollment_id: frozenset(
            always
            | {pk for pk, unit_id, _price in assessments if unit_id in purchased.get(enrollment_id, ())}
        )
        for enrollment_id in enrollment_ids
    }


def order_unit_ids(order: Order) -> list[int]:
    """The ids of the units an order's lines sell, in line order (empty for a whole-run order)."""
    ids = (unit_id_from_purchasable(purchasable) for purchasable in
           order.lines.order_by("position").values_list("purchasable", flat=True))
    return [unit_id for unit_id in ids if unit_id is not None]
