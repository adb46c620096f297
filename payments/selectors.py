"""Reads of payments: for the buyer, for finance (institution-scoped), for exports and dashboards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from mcportal.core.models import Institution
from mcportal.core.roles import Capability, institutions_for_capability

from .choices import InvoiceKind, OrderStatus, PaymentStatus, RefundStatus
from .models import BillingProfile, Bundle, Invoice, InvoiceCounter, Order, Payment, Refund, Voucher


def payment_succeeded_count_since(*, institution: Institution, since: dt.datetime) -> int:
    """Count the institution's payments that succeeded at or after ``since`` (refunded ones included)."""
    return Payment.objects.filter(
        order__institution=institution,
        succeeded_at__gte=since,
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED],
    ).count()


# Row locks, always evaluated by the caller with .get(); parents are locked before children.
def order_qs_for_update() -> QuerySet[Order]:
    return Order.objects.select_for_update(no_key=True, of=("self",)).order_by("pk")


def payment_qs_for_update() -> QuerySet[Payment]:
    return Payment.objects.select_for_update(no_key=True, of=("self",)).order_by("pk")


def voucher_qs_for_update() -> QuerySet[Voucher]:
    return Voucher.objects.select_for_update(no_key=True).order_by("pk")


def invoice_counter_qs_for_update() -> QuerySet[InvoiceCounter]:
    return InvoiceCounter.objects.select_for_update(no_key=True).order_by("pk")


def billing_profile_get(*, institution: Institution) -> BillingProfile:
    """The institution's billing profile; an unsaved default one when finance has not set it up."""
    profile = BillingProfile.objects.filter(institution=institution).first()
    return profile or BillingProfile(institution=institution)


def voucher_find(*, institution: Institution, code: str) -> Voucher | None:
    return Voucher.objects.filter(institution=institution, code__iexact=code.strip()).first()


def _order_detail_qs() -> QuerySet[Order]:
    return Order.objects.select_related("institution", "voucher", "buyer").prefetch_related(
        "lines",
        Prefetch("payments", queryset=Payment.objects.prefetch_related("refunds")),
        Prefetch("invoices", queryset=Invoice.objects.order_by("issued_at", "pk")),
    )


def order_get_for_buyer(*, buyer, public_id) -> Order | None:
    if not getattr(buyer, "is_authenticated", False):
        return None
    return _order_detail_qs().filter(buyer=buyer, public_id=public_id).first()


def order_list_for_buyer(*, buyer) -> QuerySet[Order]:
    """The buyer's orders, newest first, with their invoices (for "My orders")."""
    if not getattr(buyer, "is_authenticated", False):
        return Order.objects.none()
    return (
        Order.objects.select_related("institution")
        .prefetch_related(Prefetch("invoices", queryset=Invoice.objects.order_by("issued_at", "pk")))
        .filter(buyer=buyer)
        .order_by("-created_at", "-pk")
    )


def order_open_for_purchasable(*, purchasable: str) -> Order | None:
    return Order.objects.filter(purchasable=purchasable, status=OrderStatus.AWAITING_PAYMENT).first()


def orders_for_purchasables(*, purchasables: list[str]) -> dict[str, Order]:
    """The latest order of each purchasable (for pages listing several things the buyer bought)."""
    latest: dict[str, Order] = {}
    for order in Order.objects.filter(purchasable__in=purchasables).order_by("created_at", "pk"):
        latest[order.purchasable] = order
    return latest


def finance_institutions(*, user) -> QuerySet[Institution]:
    return institutions_for_capability(user, Capability.PAYMENTS_MANAGE)


def order_get_for_staff(*, user, order_id: int) -> Order | None:
    return _order_detail_qs().filter(pk=order_id, institution__in=finance_institutions(user=user)).first()


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    needs_review: bool = False
    query: str = ""
    institution_id: int | None = None
    created_from: dt.date | None = None
    created_until: dt.date | None = None


def order_list_for_staff(*, user, filters: OrderFilter) -> QuerySet[Order]:
    orders = Order.objects.select_related("institution").filter(
        institution__in=finance_institutions(user=user)
    )
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.needs_review:
        orders = orders.filter(needs_review=True)
    if filters.institution_id:
        orders = orders.filter(institution_id=filters.institution_id)
    if filters.query:
        query = filters.query.strip()
        orders = orders.filter(
            Q(payment_reference__icontains=query)
            | Q(buyer_name__icontains=query)
            | Q(buyer_email__icontains=query)
            | Q(buyer_company__icontains=query)
        )
    if filters.created_from:
        orders = orders.filter(created_at__date__gte=filters.created_from)
    if filters.created_until:
        orders = orders.filter(created_at__date__lte=filters.created_until)
    return orders.order_by("-created_at", "-pk")


def payment_list_for_staff(*, user, status: str = "", provider: str = "") -> QuerySet[Payment]:
    payments = Payment.objects.select_related("order", "order__institution").filter(
        order__institution__in=finance_institutions(user=user)
    )
    if status:
        payments = payments.filter(status=status)
    if provider:
        payments = payments.filter(provider=provider)
    return payments.order_by("-created_at", "-pk")


def refund_list_for_staff(*, user, status: str = "") -> QuerySet[Refund]:
    refunds = Refund.objects.select_related("payment", "payment__order", "requested_by").filter(
        payment__order__institution__in=finance_institutions(user=user)
    )
    if status:
        refunds = refunds.filter(status=status)
    return refunds.order_by("-created_at", "-pk")


def payment_get_for_staff(*, user, payment_id: int) -> Payment | None:
    return (
        Payment.objects.select_related("order", "order__institution")
        .prefetch_related("refunds")
        .filter(pk=payment_id, order__institution__in=finance_institutions(user=user))
        .first()
    )


def bundle_list_on_sale() -> QuerySet[Bundle]:
    """Bundles a learner can buy now (active, inside their sale period)."""
    now = timezone.now()
    return (
        Bundle.objects.select_related("institution")
        .filter(is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("institution__short_name", "name")
    )


def bundle_get(*, bundle_id: int) -> Bundle | None:
    return Bundle.objects.select_related("institution").filter(pk=bundle_id).first()


def bundle_list_for_staff(*, user) -> QuerySet[Bundle]:
    return Bundle.objects.select_related("institution").filter(
        institution__in=finance_institutions(user=user)
    )


def bundle_get_for_staff(*, user, bundle_id: int) -> Bundle | None:
    return bundle_list_for_staff(user=user).filter(pk=bundle_id).first()


def voucher_list_for_staff(*, user) -> QuerySet[Voucher]:
    return Voucher.objects.select_related("institution").filter(
        institution__in=finance_institutions(user=user)
    )


def voucher_get_for_staff(*, user, voucher_id: int) -> Voucher | None:
    return voucher_list_for_staff(user=user).filter(pk=voucher_id).first()


def payment_get_by_sandbox_token(*, token: str) -> Payment | None:
    return (
        Payment.objects.select_related("order", "order__institution")
        .filter(provider="sandbox", provider_reference=token)
        .first()
    )


def invoice_get_for_user(*, user, invoice_id: int) -> Invoice | None:
    """The invoice if the user bought the order or manages payments in its institution."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Invoice.objects.select_related("order")
        .filter(pk=invoice_id)
        .filter(Q(order__buyer=user) | Q(institution__in=finance_institutions(user=user)))
        .first()
    )


# Exports for the university's financial portal: one row per document or money movement.
INVOICE_EXPORT_HEADER = [
    "number",
    "kind",
    "issued_at",
    "institution",
    "order_reference",
    "buyer_name",
    "buyer_company",
    "buyer_vat_id",
    "currency",
    "net",
    "vat",
    "total",
    "reverse_charge",
    "credits_number",
]
PAYMENT_EXPORT_HEADER = [
    "payment_id",
    "succeeded_at",
    "institution",
    "order_reference",
    "provider",
    "provider_reference",
    "status",
    "currency",
    "amount_received",
    "order_total",
    "flagged",
]
REFUND_EXPORT_HEADER = [
    "refund_id",
    "completed_at",
    "institution",
    "order_reference",
    "provider",
    "provider_reference",
    "currency",
    "amount",
    "reason",
    "credit_note_number",
]


def _in_period(field: str, start: dt.date, end: dt.date) -> Q:
    return Q(**{f"{field}__date__gte": start, f"{field}__date__lte": end})


def invoice_export_rows(*, institutions, start: dt.date, end: dt.date) -> Iterator[list[str]]:
    invoices = (
        Invoice.objects.select_related("institution", "order", "credits")
        .filter(_in_period("issued_at", start, end), institution__in=institutions)
        .order_by("issued_at", "pk")
    )
    for invoice in invoices.iterator():
        sign = "-" if invoice.kind == InvoiceKind.CREDIT_NOTE else ""
        order = invoice.order
        yield [
            invoice.number,
            invoice.kind,
            invoice.issued_at.isoformat(),
            invoice.institution.slug,
            order.payment_reference,
            order.buyer_name,
            order.buyer_company,
            order.buyer_vat_id,
            invoice.currency,
            f"{sign}{invoice.net_amount}",
            f"{sign}{invoice.vat_amount}",
            f"{sign}{invoice.total_amount}",
            "yes" if order.reverse_charge else "no",
            invoice.credits.number if invoice.credits else "",
        ]


def payment_export_rows(*, institutions, start: dt.date, end: dt.date) -> Iterator[list[str]]:
    payments = (
        Payment.objects.select_related("order", "order__institution")
        .filter(_in_period("succeeded_at", start, end), order__institution__in=institutions)
        .order_by("succeeded_at", "pk")
    )
    for payment in payments.iterator():
        order = payment.order
        yield [
            str(payment.public_id),
            payment.succeeded_at.isoformat(),
            order.institution.slug,
            order.payment_reference,
            payment.provider,
            payment.provider_reference,
            payment.status,
            payment.currency,
            str(payment.amount_received),
            str(order.total_amount),
            "yes" if order.needs_review else "no",
        ]


def refund_export_rows(*, institutions, start: dt.date, end: dt.date) -> Iterator[list[str]]:
    refunds = (
        Refund.objects.select_related("payment", "payment__order", "payment__order__institution")
        .filter(
            _in_period("completed_at", start, end),
            status=RefundStatus.SUCCEEDED,
            payment__order__institution__in=institutions,
        )
        .order_by("completed_at", "pk")
    )
    credit_notes = dict(Invoice.objects.filter(refund__in=refunds).values_list("refund_id", "number"))
    for refund in refunds.iterator():
        payment = refund.payment
        yield [
            str(refund.pk),
            refund.completed_at.isoformat(),
            payment.order.institution.slug,
            payment.order.payment_reference,
            payment.provider,
            refund.provider_reference,
            payment.currency,
            str(refund.amount),
            refund.reason,
            credit_notes.get(refund.pk, ""),
        ]
