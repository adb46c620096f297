"""Orders: created from server-side prices with a voucher and VAT, cancelled, flagged for finance."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, InvalidTransition, ValidationFailed
from mcportal.core.models import Institution

from ..choices import ORDER_TRANSITIONS, OrderStatus, PaymentStatus, PriceTier, ReviewReason
from ..models import Order, OrderLine, Voucher
from ..notifications import buyer_email
from ..pricing import LineSpec, VoucherTerms, order_totals_compute, reverse_charge_applies
from ..selectors import (
    billing_profile_get,
    order_qs_for_update,
    payment_qs_for_update,
    voucher_find,
    voucher_qs_for_update,
)
from ..signals import payment_succeeded
from .authority import authority_require_finance
from .invoices import invoice_issue

_VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,13}$")


@dataclass(frozen=True)
class BuyerDetails:
    """Who pays and gets the invoice; a company with a VAT id of another EU state pays reverse charge."""

    name: str
    email: str
    address: str
    company: str = ""
    vat_id: str = ""

    def normalised_vat_id(self) -> str:
        return re.sub(r"[\s.-]", "", self.vat_id).upper()


def _payment_reference() -> str:
    """A 10-digit reference the buyer quotes on a bank transfer (fits CZ/SK variable symbols)."""
    while True:
        reference = f"{secrets.randbelow(9_000_000_000) + 1_000_000_000}"
        if not Order.objects.filter(payment_reference=reference).exists():
            return reference


def _voucher_refusal(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, problems=[FieldProblem(message, field="voucher_code", code=code)])


def voucher_applies_to(*, restriction: Sequence[str], purchasables: Sequence[str]) -> bool:
    """Tell whether a voucher restricted to these references covers one of the purchasables.

    References are hierarchical with "/": a voucher for "run:12" also covers "run:12/unit:7", a
    unit of that run sold on its own.
    """
    return any(
        purchasable == allowed or purchasable.startswith(f"{allowed}/")
        for purchasable in purchasables
        for allowed in restriction
    )


def _voucher_claim(*, institution: Institution, code: str, purchasables: list[str], currency: str) -> Voucher:
    """Lock the voucher, check it applies now to these purchasables, and use it once."""
    found = voucher_find(institution=institution, code=code)
    if found is None or not found.is_active:
        raise _voucher_refusal(
            _("The voucher code “%(code)s” is not valid.") % {"code": code}, "voucher_unknown"
        )
    voucher = voucher_qs_for_update().get(pk=found.pk)
    now = clock.now()
    if voucher.valid_from and now < voucher.valid_from:
        raise _voucher_refusal(
            _("This voucher is valid from %(date)s.") % {"date": formats.date_format(voucher.valid_from)},
            "voucher_not_yet_valid",
        )
    if voucher.valid_until and now >= voucher.valid_until:
        raise _voucher_refusal(_("This voucher has expired."), "voucher_expired")
    if voucher.max_uses is not None and voucher.times_used >= voucher.max_uses:
        raise _voucher_refusal(
            _("This voucher has been used the maximum number of times (%(limit)d).")
            % {"limit": voucher.max_uses},
            "voucher_used_up",
        )
    applies = voucher_applies_to(restriction=voucher.purchasables, purchasables=purchasables)
    if voucher.purchasables and not applies:
        raise _voucher_refusal(_("This voucher does not apply to this course."), "voucher_not_applicable")
    if voucher.kind == "amount" and voucher.currency != currency:
        raise _voucher_refusal(
            _("This voucher is in %(currency)s and cannot be used here.") % {"currency": voucher.currency},
            "voucher_currency",
        )
    voucher.times_used += 1
    voucher.save(update_fields=["times_used", "updated_at"])
    return voucher


def _voucher_release(voucher_id: int | None) -> None:
    if voucher_id is None:
        return
    voucher = voucher_qs_for_update().get(pk=voucher_id)
    voucher.times_used = max(voucher.times_used - 1, 0)
    voucher.save(update_fields=["times_used", "updated_at"])


def _buyer_check(buyer: BuyerDetails, tier: PriceTier) -> None:
    problems = []
    for field_name in ("name", "email", "address"):
        if not getattr(buyer, field_name).strip():
            problems.append(FieldProblem(_("This field is required."), field=field_name, code="required"))
    if tier != PriceTier.INDIVIDUAL and not buyer.company.strip():
        problems.append(
            FieldProblem(
                _("Give the name of the institution or company the price tier is for."),
                field="company",
                code="required",
            )
        )
    vat_id = buyer.normalised_vat_id()
    if vat_id and not _VAT_ID.match(vat_id):
        problems.append(
            FieldProblem(
                _("Enter the VAT id with its country prefix, e.g. DE123456789."),
                field="vat_id",
                code="invalid",
            )
        )
    if vat_id and not buyer.company.strip():
        problems.append(
            FieldProblem(
                _("A VAT id belongs to a company: give the company's name."), field="company", code="required"
            )
        )
    if problems:
        raise ValidationFailed(_("Some buyer details are missing or wrong."), problems=problems)


def _close_previous_open_order(purchasable: str, *, actor) -> None:
    previous = (
        order_qs_for_update().filter(purchasable=purchasable, status=OrderStatus.AWAITING_PAYMENT).first()
    )
    if previous is not None:
        _order_cancel_locked(previous, actor=actor, reason="Replaced by a new checkout.")


@transaction.atomic
def order_create(
    *,
    institution: Institution,
    buyer_user,
    purchasable: str,
    lines: Sequence[LineSpec],
    currency: str,
    tier: PriceTier,
    buyer: BuyerDetails,
    voucher_code: str = "",
    payable_until: dt.datetime | None = None,
    return_path: str = "",
    actor,
) -> Order:
    """Create an order whose every amount is computed here; an open order for the same thing is cancelled.

    The voucher is locked and used once (refused with a clear message when expired, used up or not
    applicable). VAT is the institution's rate, or zero under reverse charge. Audited as order.created.
    """
    _buyer_check(buyer, tier)
    _close_previous_open_order(purchasable, actor=actor)
    voucher = None
    if voucher_code.strip():
        voucher = _voucher_claim(
            institution=institution,
            code=voucher_code,
            purchasables=[line.purchasable for line in lines],
            currency=currency,
        )
    vat_id = buyer.normalised_vat_id()
    reverse_charge = reverse_charge_applies(buyer_vat_id=vat_id, seller_country=institution.country.code)
    totals = order_totals_compute(
        lines=lines,
        vat_rate=billing_profile_get(institution=institution).vat_rate,
        voucher=VoucherTerms(kind=voucher.kind, value=voucher.value, currency=voucher.currency)
        if voucher
        else None,
        reverse_charge=reverse_charge,
    )
    order = Order.objects.create(
        institution=institution,
        buyer=buyer_user,
        purchasable=purchasable,
        return_path=return_path,
        tier=tier,
        currency=currency,
        voucher=voucher,
        subtotal_amount=totals.subtotal,
        discount_amount=totals.discount,
        net_amount=totals.net,
        vat_rate=totals.vat_rate,
        vat_amount=totals.vat,
        total_amount=totals.total,
        reverse_charge=reverse_charge,
        buyer_name=buyer.name.strip(),
        buyer_email=buyer.email.strip(),
        buyer_address=buyer.address.strip(),
        buyer_company=buyer.company.strip(),
        buyer_vat_id=vat_id,
        payment_reference=_payment_reference(),
        payable_until=payable_until,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=position,
                description=line.spec.description[:255],
                purchasable=line.spec.purchasable,
                quantity=line.spec.quantity,
                unit_price=line.spec.unit_price,
                discount_amount=line.discount,
                net_amount=line.net,
                vat_rate=line.vat_rate,
                vat_amount=line.vat,
                total_amount=line.total,
            )
            for position, line in enumerate(totals.lines, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="order.created",
        target=order,
        institution=institution,
        data={
            "total": str(order.total_amount),
            "currency": currency,
            "tier": tier,
            "voucher": voucher.code if voucher else "",
            "reverse_charge": reverse_charge,
        },
    )
    if order.total_amount == 0:
        # A voucher covered everything: nothing to pay, so the order is paid now.
        order_mark_paid(order=order, payment=None)
    return order


def _transition(order: Order, target: str) -> None:
    if target not in ORDER_TRANSITIONS[OrderStatus(order.status)]:
        raise InvalidTransition(order.status, target, entity="order")


def _order_cancel_locked(order: Order, *, actor, reason: str) -> Order:
    _transition(order, OrderStatus.CANCELLED)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = clock.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    _voucher_release(order.voucher_id)
    audit_record(
        actor=actor, action="order.cancelled", target=order, institution=order.institution, reason=reason
    )
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor, reason: str) -> Order:
    """AWAITING_PAYMENT → CANCELLED by its buyer or finance; the voucher use is given back. Audited."""
    order = order_qs_for_update().select_related("institution").get(pk=order.pk)
    if not (getattr(actor, "is_authenticated", False) and actor.pk == order.buyer_id):
        authority_require_finance(actor, order.institution)
        if not reason.strip():
            raise ValidationFailed(
                _("Say why."), problems=[FieldProblem(_("Give the reason."), field="reason", code="required")]
            )
    return _order_cancel_locked(order, actor=actor, reason=reason)


@transaction.atomic
def order_cancel_open(*, purchasable: str, reason: str) -> Order | None:
    """Cancel the order awaiting payment for this purchasable, if any (the thing was withdrawn); audited.

    Called by the app that sells the purchasable (e.g. an enrolment was cancelled), with no actor:
    the system cancels it. Money that still arrives for the cancelled order is flagged for
    finance by provider_event_apply, never kept silently. Returns the cancelled order or None.
    """
    open_order = (
        order_qs_for_update()
        .select_related("institution")
        .filter(purchasable=purchasable, status=OrderStatus.AWAITING_PAYMENT)
        .first()
    )
    if open_order is None:
        return None
    return _order_cancel_locked(open_order, actor=None, reason=reason)


def order_mark_paid(*, order: Order, payment) -> Order:
    """Mark the locked order paid, issue its invoice, e-mail the buyer, announce it (caller's transaction)."""
    _transition(order, OrderStatus.PAID)
    order.status = OrderStatus.PAID
    order.paid_at = clock.now()
    order.save(update_fields=["status", "paid_at", "updated_at"])
    invoice = invoice_issue(order=order)
    buyer_email(order=order, message="order_paid", invoice_number=invoice.number)
    audit_record(
        actor=None,
        action="order.paid",
        target=order,
        institution=order.institution,
        data={"payment": str(payment.public_id) if payment else None},
    )
    _other_open_payments_cancel(order=order, paid_by=payment)
    payment_succeeded.send(sender=Order, order=order, payment=payment)
    return order


def _other_open_payments_cancel(*, order: Order, paid_by) -> None:
    """End the order's other unfinished checkouts (e.g. a pro-forma after a card payment).

    If one of them is paid after all, its success arrives for a cancelled payment and is flagged
    for finance (provider_event_apply), so a second payment is never silently kept.
    """
    others = payment_qs_for_update().filter(
        order=order, status__in=[PaymentStatus.CREATED, PaymentStatus.PENDING]
    )
    if paid_by is not None:
        others = others.exclude(pk=paid_by.pk)
    for other in others:
        other.status = PaymentStatus.CANCELLED
        other.failure_reason = "The order was paid by another payment."
        other.save(update_fields=["status", "failure_reason", "updated_at"])
        audit_record(
            actor=None,
            action="payment.cancelled",
            target=other,
            institution=order.institution,
            reason=other.failure_reason,
        )


def order_flag(*, order: Order, reason: ReviewReason, note: str) -> Order:
    """Flag the locked order for finance (inside the caller's transaction); audited as order.flagged."""
    order.needs_review = True
    order.review_reason = reason
    order.review_note = note
    order.save(update_fields=["needs_review", "review_reason", "review_note", "updated_at"])
    audit_record(
        actor=None,
        action="order.flagged",
        target=order,
        institution=order.institution,
        reason=note,
        data={"review_reason": reason},
    )
    return order


@transaction.atomic
def order_flag_for_review(*, order_id: int, reason: ReviewReason, note: str) -> Order:
    """Flag the order for finance in its own transaction (e.g. the paid-for enrolment was cancelled)."""
    order = order_qs_for_update().select_related("institution").get(pk=order_id)
    return order_flag(order=order, reason=reason, note=note)


@transaction.atomic
def orders_paid_flag_for_refund(*, purchasables: Sequence[str], note: str) -> list[Order]:
    """Flag every paid order of these purchasables for finance to refund (what they paid for was
    withdrawn by the seller, e.g. a cancelled run); locks the orders in pk order. Audited per order.
    """
    orders = list(
        order_qs_for_update()
        .select_related("institution")
        .filter(purchasable__in=list(purchasables), status=OrderStatus.PAID)
    )
    return [order_flag(order=order, reason=ReviewReason.NOT_PAYABLE, note=note) for order in orders]


@transaction.atomic
def order_review_resolve(*, order: Order, actor, accept: bool, note: str) -> Order:
    """Finance clears a flag; accepting an unpaid order marks it paid (invoice, enrolment) as if in full.

    Refusing leaves the order as it is: finance refunds the money from the payment's page.
    Audited as order.review_resolved with the note, which is required.
    """
    order = order_qs_for_update().select_related("institution").get(pk=order.pk)
    authority_require_finance(actor, order.institution)
    if not note.strip():
        raise ValidationFailed(
            _("Say why."), problems=[FieldProblem(_("Give the reason."), field="note", code="required")]
        )
    if not order.needs_review:
        raise ValidationFailed(_("This order is not waiting for a review."))
    order.needs_review = False
    order.save(update_fields=["needs_review", "updated_at"])
    audit_record(
        actor=actor,
        action="order.review_resolved",
        target=order,
        institution=order.institution,
        reason=note,
        data={"accepted": accept, "review_reason": order.review_reason},
    )
    if accept and order.status == OrderStatus.AWAITING_PAYMENT:
        payment = order.payments.filter(status="succeeded").order_by("-succeeded_at", "-pk").first()
        order_mark_paid(order=order, payment=payment)
    return order
