"""Pay-per-module: a priced run whose units carry prices sells them one by one.

The rules, in one place:
- A run is *sold per unit* when it is priced (not free) and at least one of its units has a
  price. A unit without a price in such a run comes with every purchase (e.g. an introduction).
- The learner chooses the units to buy, at least one, at checkout. The order has one line per
  unit at the unit's price for the chosen tier: the standard price is the unit's own, and a
  partner or corporate learner gets the run's tier discount in the same proportion as on the
  whole run (unit price × run tier price ÷ run standard price, rounded half-up to the cent).
  A voucher applies to the order as for a whole run (a voucher for the run covers its units) and
  is spread over the lines by value. The price never comes from the form.
- The learner may buy further units of the same enrolment later (a second order, one open order
  per enrolment at a time); a unit bought already cannot be bought again.
- When the order is paid, each unit line becomes an EnrollmentUnitAccess row; a pending enrolment
  is activated at the same time.
- The switch is made before learners are admitted (run_unit_save refuses pricing the first unit
  once someone is active in the whole run, and un-pricing the last once units were bought); a
  whole-run order still open from before is honoured with every priced unit when paid.
- A learner is assessed on the assessments of the units they may follow (bought or included)
  and on those that belong to no unit; see enrollment/completion.py for the score.
- When an order of units is refunded in full, access to its units is revoked, except for a unit
  in which a result is already recorded: that order is flagged for finance instead.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import CourseRun
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, FieldProblem, ValidationFailed
from payments.choices import PriceTier, ReviewReason
from payments.models import Order
from payments.pricing import LineSpec
from payments.services import order_flag_for_review

from ..choices import EnrollmentStatus
from ..models import AssessmentResult, Enrollment, EnrollmentUnitAccess, Unit
from ..unit_access import (
    order_unit_ids,
    unit_purchasable,
    unit_tier_price,
    units_purchased_ids,
)
from .state import run_and_enrollment_lock


def _units_refusal(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, problems=[FieldProblem(message, field="units", code=code)])


def units_for_purchase(*, enrollment: Enrollment, unit_ids: Sequence[int]) -> list[Unit]:
    """The units of the enrolment's run the learner asked to buy, checked; refused field by field.

    At least one; every id must be a priced unit of this run that the learner does not hold yet.
    Ids of other runs or of units without a price (a tampered form) are refused, not ignored,
    so the learner never pays for something other than what they saw.
    """
    wanted = {int(unit_id) for unit_id in unit_ids}
    if not wanted:
        raise _units_refusal(_("Choose at least one unit to buy."), "required")
    units = list(Unit.objects.filter(run_id=enrollment.run_id, pk__in=wanted, price_amount__isnull=False)
                 .order_by("position"))
    if len(units) != len(wanted):
        raise _units_refusal(_("Some of the chosen units are not sold in this course."), "invalid")
    held = units_purchased_ids(enrollment_ids=[enrollment.pk]).get(enrollment.pk, set())
    already = [unit.title for unit in units if unit.pk in held]
    if already:
        raise _units_refusal(
            _("You have already bought: %(units)s.") % {"units": ", ".join(already)}, "already_bought"
        )
    return units


def unit_lines(
    *, run: CourseRun, units: Sequence[Unit], tier: PriceTier, tier_price: Decimal
) -> list[LineSpec]:
    """One order line per unit, priced here for the tier."""
    return [
        LineSpec(
            description=f"{run.course.title} — {run.label}: {unit.title} ({PriceTier(tier).label})"[:255],
            purchasable=unit_purchasable(run, unit),
            unit_price=unit_tier_price(run=run, unit=unit, tier_price=tier_price),
            tier=tier,
        )
        for unit in units
    ]


@transaction.atomic
def enrollment_units_grant_after_payment(*, enrollment_id: int, order: Order) -> list[EnrollmentUnitAccess]:
    """Give the enrolment access to the units the paid order bought; a repeat grants nothing new.

    Refused (Conflict) when the enrolment has ended or a unit is not of its run, so the caller
    flags the money for finance. Audited as enrollment.units_granted, with no actor.
    """
    run, enrollment = run_and_enrollment_lock(enrollment_id)
    if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PENDING_PAYMENT):
        raise Conflict(_("The enrolment is %(status)s.") % {"status": enrollment.get_status_display()})
    unit_ids = order_unit_ids(order)
    units = list(Unit.objects.filter(run=run, pk__in=unit_ids))
    if len(units) != len(set(unit_ids)):
        raise Conflict(_("The order sells units of another course."))
    return _units_grant(run, enrollment, units, order)


@transaction.atomic
def enrollment_units_grant_all_after_payment(
    *, enrollment_id: int, order: Order
) -> list[EnrollmentUnitAccess]:
    """A whole-run order was paid: in a run sold per unit (since), grant every priced unit; audited.

    Nothing happens in a run sold whole. A repeat grants nothing new.
    """
    run, enrollment = run_and_enrollment_lock(enrollment_id)
    units = list(Unit.objects.filter(run=run, price_amount__isnull=False))
    if run.is_free or not units:
        return []
    return _units_grant(run, enrollment, units, order)


def _units_grant(
    run: CourseRun, enrollment: Enrollment, units: list[Unit], order: Order
) -> list[EnrollmentUnitAccess]:
    held = units_purchased_ids(enrollment_ids=[enrollment.pk]).get(enrollment.pk, set())
    now = clock.now()
    granted = EnrollmentUnitAccess.objects.bulk_create(
        [EnrollmentUnitAccess(enrollment=enrollment, unit=unit, order=order, granted_at=now)
         for unit in units if unit.pk not in held]
    )
    if granted:
        audit_record(
            actor=None, action="enrollment.units_granted", target=enrollment,
            institution=run.course.institution,
            data={"units": [access.unit_id for access in granted], "order": str(order.public_id)},
        )
    return granted


def order_units_all_held(*, enrollment_id: int, order: Order) -> bool:
    """Tell whether the enrolment already holds every unit of the order (a second payment for them)."""
    held = units_purchased_ids(enrollment_ids=[enrollment_id]).get(enrollment_id, set())
    unit_ids = set(order_unit_ids(order))
    return bool(unit_ids) and unit_ids <= held


@transaction.atomic
def unit_access_revoke_after_refund(*, order: Order) -> list[EnrollmentUnitAccess]:
    """The order of units was refunded in full: revoke its units, except those with a recorded result.

    A unit in which the learner already has a result stays (the result is part of their record);
    the order is flagged for finance with the list instead. Audited as enrollment.units_revoked.
    Only orders that bought units are touched; others return an empty list.
    """
    accesses = list(
        EnrollmentUnitAccess.objects.select_related("unit", "enrollment__run__course__institution")
        .filter(order=order, revoked_at__isnull=True)
        .order_by("pk")
    )
    if not accesses:
        return []
    enrollment = accesses[0].enrollment
    run_and_enrollment_lock(enrollment.pk)
    assessed_units = set(
        AssessmentResult.objects.filter(
            enrollment=enrollment, assessment__unit_id__in=[access.unit_id for access in accesses]
        ).values_list("assessment__unit_id", flat=True)
    )
    now = clock.now()
    revoked, kept = [], []
    for access in accesses:
        if access.unit_id in assessed_units:
            kept.append(access)
            continue
        access.revoked_at = now
        access.revoke_reason = _("Refunded.")
        revoked.append(access)
    EnrollmentUnitAccess.objects.bulk_update(revoked, ["revoked_at", "revoke_reason"])
    institution = enrollment.run.course.institution
    if revoked:
        audit_record(
            actor=None, action="enrollment.units_revoked", target=enrollment, institution=institution,
            reason=_("The order that bought them was refunded."),
            data={"units": [access.unit_id for access in revoked], "order": str(order.public_id)},
        )
    if kept:
        order_flag_for_review(
            order_id=order.pk, reason=ReviewReason.NOT_PAYABLE,
            note=_("Refunded, but results are already recorded in these units, so the learner keeps "
                   "them: %(units)s. Decide whether the refund stands.")
            % {"units": ", ".join(access.unit.title for access in kept)},
        )
    return revoked
