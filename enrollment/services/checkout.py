"""Checkout of a priced enrolment: the run's tier price becomes a payments order; paid orders activate.

Enrolment knows runs and tiers; payments knows orders and money. This module is the bridge in the
allowed direction (enrollment calls payments services); payments answers through its
payment_succeeded signal, received in enrollment/receivers.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from courses.models import CourseRun
from mcportal.core.exceptions import ApplicationError, Conflict
from payments.choices import PriceTier, ReviewReason
from payments.models import Bundle, Order
from payments.pricing import LineSpec
from payments.services import BuyerDetails, bundle_require_on_sale, order_create, order_flag_for_review

from ..choices import EnrollmentStatus
from ..models import Enrollment
from ..purchasables import PURCHASABLE_PREFIX, enrollment_purchasable
from ..unit_access import order_unit_ids, run_sells_units
from .enrolments import _refuse_unless_enrollable, enrollment_activate_after_payment, enrollment_enrol
from .unit_sales import (
    enrollment_units_grant_after_payment,
    enrollment_units_grant_all_after_payment,
    order_units_all_held,
    unit_lines,
    units_for_purchase,
)

BUNDLE_PREFIX = "bundle:"
RUN_PREFIX = "run:"


def run_purchasable(run: CourseRun) -> str:
    """The reference vouchers are restricted to (a voucher for run:12 applies to its enrolments)."""
    return f"{RUN_PREFIX}{run.pk}"


def bundle_purchasable(bundle: Bundle, learner) -> str:
    """One learner's purchase of a bundle (a learner may hold one open order per bundle)."""
    return f"{BUNDLE_PREFIX}{bundle.pk}:learner:{learner.pk}"


def bundle_runs(bundle: Bundle) -> list[CourseRun]:
    """The runs a bundle gives access to, in start order (references that are not runs are skipped)."""
    run_ids = [
        int(reference.removeprefix(RUN_PREFIX))
        for reference in bundle.purchasables
        if reference.startswith(RUN_PREFIX) and reference.removeprefix(RUN_PREFIX).isdigit()
    ]
    return list(
        CourseRun.objects.select_related("course__institution")
        .filter(pk__in=run_ids, course__institution=bundle.institution)
        .order_by("starts_on", "pk")
    )


def run_tier_price(*, run: CourseRun, tier: PriceTier) -> Decimal:
    """The run's price for the tier; a tier without its own price pays the standard price."""
    if tier == PriceTier.PARTNER and run.price_partner_amount is not None:
        return run.price_partner_amount
    if tier == PriceTier.CORPORATE and run.price_corporate_amount is not None:
        return run.price_corporate_amount
    return run.price_amount


def run_tier_prices(*, run: CourseRun) -> dict[str, Decimal]:
    return {tier: run_tier_price(run=run, tier=PriceTier(tier)) for tier in PriceTier.values}


@transaction.atomic
def checkout_order_create(
    *,
    enrollment: Enrollment,
    tier: PriceTier,
    voucher_code: str,
    buyer: BuyerDetails,
    actor,
    unit_ids: Sequence[int] = (),
) -> Order:
    """Create the order that pays the learner's enrolment (or units of it), priced on the server.

    A run sold whole: the PENDING_PAYMENT enrolment at the tier price (unit_ids are ignored). A run
    sold per unit: the chosen units, one line each (see unit_sales), for a pending enrolment or,
    to buy further units, an active one. Only the learner themselves; whatever price a form posted
    is ignored. An earlier open order of the same enrolment is cancelled by payments. The order
    must be paid before enrolment closes, or finance reviews it.
    """
    # Read, not locked: the order's lock is the one that matters, and the payment path locks the
    # order before the enrolment, so locking the enrolment first here could deadlock with it.
    enrollment = Enrollment.objects.select_related("run__course__institution").get(pk=enrollment.pk)
    if not (getattr(actor, "is_authenticated", False) and actor.pk == enrollment.learner_id):
        raise Conflict(_("Only the learner can check out their own enrolment."))
    run = enrollment.run
    sold_per_unit = run_sells_units(run)
    payable = [EnrollmentStatus.PENDING_PAYMENT]
    if sold_per_unit:
        payable.append(EnrollmentStatus.ACTIVE)
    if enrollment.status not in payable:
        raise Conflict(_("This enrolment is not awaiting payment."))
    tier_price = run_tier_price(run=run, tier=tier)
    payable_until = run.enrolment_closes_at
    if enrollment.status == EnrollmentStatus.ACTIVE:
        # Further units of an active enrolment: on sale until the run ends, not while it is over.
        if run.is_cancelled or run.closed_at is not None:
            raise Conflict(_("This run is over; its units are no longer on sale."))
        payable_until = dt.datetime.combine(run.ends_on, dt.time(23, 59), tzinfo=dt.UTC)
    if sold_per_unit:
        units = units_for_purchase(enrollment=enrollment, unit_ids=unit_ids)
        lines = unit_lines(run=run, units=units, tier=tier, tier_price=tier_price)
    else:
        lines = [
            LineSpec(
                description=f"{run.course.title} — {run.label} ({PriceTier(tier).label})",
                purchasable=run_purchasable(run),
                unit_price=tier_price,
                tier=tier,
            )
        ]
    return order_create(
        institution=run.course.institution,
        buyer_user=actor,
        purchasable=enrollment_purchasable(enrollment),
        lines=lines,
        currency=run.currency,
        tier=tier,
        buyer=buyer,
        voucher_code=voucher_code,
        payable_until=payable_until,
        return_path=reverse("enrollment:dashboard"),
        actor=actor,
    )


@transaction.atomic
def bundle_checkout_order_create(*, bundle: Bundle, voucher_code: str, buyer: BuyerDetails, actor) -> Order:
    """Create the order of a bundle for the learner: one flat-fee line, priced on the server.

    Refused (Conflict) when the bundle is not on sale or the learner could not enrol in one of its
    runs now (already enrolled, enrolment closed, e-mail unverified…). The learner is enrolled in
    every run once the order is paid.
    """
    bundle_require_on_sale(bundle=bundle)
    runs = bundle_runs(bundle)
    if len(runs) < 2:
        raise Conflict(_("This bundle has no courses open for enrolment."))
    for run in runs:
        try:
            _refuse_unless_enrollable(learner=actor, run=run)
        except Conflict as refusal:
            raise Conflict(
                _("%(course)s: %(reason)s") % {"course": run.course.title, "reason": refusal.message},
                problems=refusal.problems,
            ) from refusal
    titles = ", ".join(run.course.title for run in runs)
    return order_create(
        institution=bundle.institution,
        buyer_user=actor,
        purchasable=bundle_purchasable(bundle, actor),
        lines=[
            LineSpec(
                description=f"{bundle.name} ({titles})"[:255],
                purchasable=f"{BUNDLE_PREFIX}{bundle.pk}",
                unit_price=bundle.price_amount,
            )
        ],
        currency=bundle.currency,
        tier=PriceTier.INDIVIDUAL,
        buyer=buyer,
        voucher_code=voucher_code,
        payable_until=bundle.valid_until,
        return_path=reverse("enrollment:dashboard"),
        actor=actor,
    )


def _bundle_enrolments_grant(order: Order) -> list[Enrollment]:
    """Enrol the buyer in each run of the paid bundle, activated as paid; flag the order for what failed."""
    bundle_id = int(order.purchasable.removeprefix(BUNDLE_PREFIX).split(":", 1)[0])
    bundle = Bundle.objects.get(pk=bundle_id)
    learner = order.buyer
    granted, failures = [], []
    for run in bundle_runs(bundle):
        try:
            with transaction.atomic():
                enrollment = enrollment_enrol(learner=learner, run=run, actor=learner)
                if enrollment.status == EnrollmentStatus.WAITLISTED:
                    # A bundle promises a place: a waiting-list spot is not one, so undo it.
                    raise Conflict(_("the run is full"))
                if enrollment.status == EnrollmentStatus.PENDING_PAYMENT:
                    enrollment = enrollment_activate_after_payment(enrollment_id=enrollment.pk)
                granted.append(enrollment)
        except ApplicationError as error:
            failures.append(f"{run.course.title}: {error.message}")
    if failures:
        order_flag_for_review(
            order_id=order.pk,
            reason=ReviewReason.NOT_PAYABLE,
            note=_("Paid, but not every enrolment of the bundle could be made: %(failures)s")
            % {"failures": "; ".join(failures)},
        )
    return granted


def checkout_order_paid(*, order: Order) -> Enrollment | None:
    """Activate the enrolment a paid order was for; if it cannot be activated, flag the order for finance.

    A paid bundle enrols the buyer in each of its runs instead (returns None).
    Runs inside payments' transaction (signal receiver). The activation runs in a savepoint, so a
    cancelled enrolment (e.g. its seat went to someone else) rolls back only the activation, and
    the money is kept for finance to refund rather than silently accepted.
    """
    if order.purchasable.startswith(BUNDLE_PREFIX):
        _bundle_enrolments_grant(order)
        return None
    if not order.purchasable.startswith(PURCHASABLE_PREFIX):
        return None
    enrollment_id = int(order.purchasable.removeprefix(PURCHASABLE_PREFIX))
    if order_unit_ids(order):
        return _units_order_paid(order=order, enrollment_id=enrollment_id)
    already_active = Enrollment.objects.filter(pk=enrollment_id, activated_at__isnull=False).exists()
    if already_active:
        # Activated some other way (confirmed by hand on the run page, or another order): this
        # money is a second payment for the same place, for finance to refund.
        order_flag_for_review(
            order_id=order.pk,
            reason=ReviewReason.DUPLICATE_PAYMENT,
            note=_("Paid, but the enrolment was already active (confirmed by hand or paid before)."),
        )
        return None
    # The run may have gone on sale per unit after this order was made: the whole price buys every unit.
    return _activate_and_grant_or_flag(
        order=order,
        enrollment_id=enrollment_id,
        units_grant=enrollment_units_grant_all_after_payment,
        refusal_note=_("Paid, but the enrolment cannot be activated: %(reason)s"),
    )


def _units_order_paid(*, order: Order, enrollment_id: int) -> Enrollment | None:
    """A paid order of units: activate a pending enrolment and grant the units, or flag the money.

    Both happen in one savepoint, so an enrolment that can no longer be activated keeps nothing
    and the order is flagged not_payable; units held already make it a duplicate payment.
    """
    if order_units_all_held(enrollment_id=enrollment_id, order=order):
        order_flag_for_review(
            order_id=order.pk,
            reason=ReviewReason.DUPLICATE_PAYMENT,
            note=_("Paid, but the learner already had every unit of this order."),
        )
        return None
    return _activate_and_grant_or_flag(
        order=order,
        enrollment_id=enrollment_id,
        units_grant=enrollment_units_grant_after_payment,
        refusal_note=_("Paid, but the units cannot be granted: %(reason)s"),
    )


def _activate_and_grant_or_flag(
    *, order: Order, enrollment_id: int, units_grant: Callable[..., object], refusal_note: str
) -> Enrollment | None:
    """Activate the paid enrolment and grant its units in one savepoint, or flag the order not payable.

    ``refusal_note`` is the translated note for finance, with ``%(reason)s`` for the refusal.
    """
    try:
        with transaction.atomic():
            enrollment = enrollment_activate_after_payment(enrollment_id=enrollment_id)
            units_grant(enrollment_id=enrollment_id, order=order)
            return enrollment
    except (ApplicationError, Enrollment.DoesNotExist) as error:
        order_flag_for_review(
            order_id=order.pk, reason=ReviewReason.NOT_PAYABLE, note=refusal_note % {"reason": error}
        )
        return None
