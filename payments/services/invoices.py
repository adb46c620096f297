"""Invoices and credit notes: gapless numbers per institution, kind and year, taken under a row lock.

A number is consumed in the same transaction that saves the document, so a rolled-back issue
gives its number back and the series never has a gap.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.money import CENT

from ..choices import InvoiceKind
from ..models import Invoice, InvoiceCounter, Order, Refund
from ..selectors import billing_profile_get, invoice_counter_qs_for_update

HUNDRED = Decimal("100")


def _next_sequence(*, institution, kind: str, year: int) -> int:
    """Take the next number of the series; the lock on its counter row serialises concurrent issues."""
    # get_or_create is backed by the counter's unique (institution, kind, year).
    counter, _created = InvoiceCounter.objects.get_or_create(institution=institution, kind=kind, year=year)
    counter = invoice_counter_qs_for_update().get(pk=counter.pk)
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    return counter.last_sequence


def _seller(institution) -> dict:
    profile = billing_profile_get(institution=institution)
    return {
        "legal_name": institution.legal_name,
        "address_lines": institution.address_lines,
        "vat_id": institution.vat_id,
        "registration_number": institution.registration_number,
        "email": institution.contact_email,
        "iban": profile.iban,
        "bic": profile.bic,
        "bank_account_name": profile.bank_account_name,
    }


def _buyer(order: Order) -> dict:
    return {
        "name": order.buyer_name,
        "company": order.buyer_company,
        "address": order.buyer_address,
        "vat_id": order.buyer_vat_id,
        "email": order.buyer_email,
    }


def order_document_content(*, order: Order) -> dict:
    """The content of an invoice for the order as it stands (also used for its pro-forma)."""
    lines = list(order.lines.all())
    breakdown: dict[str, list[Decimal]] = {}
    for line in lines:
        net_vat = breakdown.setdefault(str(line.vat_rate), [Decimal("0.00"), Decimal("0.00")])
        net_vat[0] += line.net_amount
        net_vat[1] += line.vat_amount
    return {
        "seller": _seller(order.institution),
        "buyer": _buyer(order),
        "order_reference": order.payment_reference,
        "currency": order.currency,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "discount": str(line.discount_amount),
                "net": str(line.net_amount),
                "vat_rate": str(line.vat_rate),
                "vat": str(line.vat_amount),
                "total": str(line.total_amount),
            }
            for line in lines
        ],
        "vat_breakdown": [
            {"rate": rate, "net": str(net), "vat": str(vat)} for rate, (net, vat) in sorted(breakdown.items())
        ],
        "voucher": order.voucher.code if order.voucher_id else "",
        "subtotal": str(order.subtotal_amount),
        "discount": str(order.discount_amount),
        "net": str(order.net_amount),
        "vat": str(order.vat_amount),
        "total": str(order.total_amount),
        "reverse_charge": order.reverse_charge,
    }


def _number(*, institution, kind: str, year: int, sequence: int) -> str:
    profile = billing_profile_get(institution=institution)
    prefix = profile.invoice_prefix if kind == InvoiceKind.INVOICE else profile.credit_note_prefix
    return f"{prefix}-{year}-{sequence:06d}"


def invoice_issue(*, order: Order) -> Invoice:
    """Issue the invoice of a paid order (call inside the paying transaction); a repeat returns it."""
    existing = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if existing is not None:
        return existing
    issued_at = clock.now()
    sequence = _next_sequence(institution=order.institution, kind=InvoiceKind.INVOICE, year=issued_at.year)
    invoice = Invoice.objects.create(
        institution=order.institution,
        order=order,
        kind=InvoiceKind.INVOICE,
        year=issued_at.year,
        sequence=sequence,
        number=_number(
            institution=order.institution, kind=InvoiceKind.INVOICE, year=issued_at.year, sequence=sequence
        ),
        issued_at=issued_at,
        currency=order.currency,
        net_amount=order.net_amount,
        vat_amount=order.vat_amount,
        total_amount=order.total_amount,
        content=order_document_content(order=order),
    )
    audit_record(
        actor=None,
        action="invoice.issued",
        target=invoice,
        institution=order.institution,
        data={"order": order.payment_reference, "total": str(order.total_amount)},
    )
    return invoice


def credit_note_issue(*, refund: Refund) -> Invoice | None:
    """Issue the credit note of a refund against the order's invoice (None when it had no invoice).

    The refunded amount includes VAT at the order's rate; it is split back into net and VAT.
    """
    order = refund.payment.order
    invoice = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if invoice is None:
        return None
    rate = order.vat_rate
    net = (refund.amount * HUNDRED / (HUNDRED + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    vat = refund.amount - net
    issued_at = clock.now()
    sequence = _next_sequence(
        institution=order.institution, kind=InvoiceKind.CREDIT_NOTE, year=issued_at.year
    )
    content = order_document_content(order=order)
    content.update(
        {
            "credits": invoice.number,
            "reason": refund.reason,
            "lines": [
                {
                    "description": f"Refund: {refund.reason}"[:255],
                    "quantity": 1,
                    "unit_price": str(net),
                    "discount": "0.00",
                    "net": str(net),
                    "vat_rate": str(rate),
                    "vat": str(vat),
                    "total": str(refund.amount),
                }
            ],
            "vat_breakdown": [{"rate": str(rate), "net": str(net), "vat": str(vat)}],
            "subtotal": str(net),
            "discount": "0.00",
            "net": str(net),
            "vat": str(vat),
            "total": str(refund.amount),
            "voucher": "",
        }
    )
    credit_note = Invoice.objects.create(
        institution=order.institution,
        order=order,
        refund=refund,
        credits=invoice,
        kind=InvoiceKind.CREDIT_NOTE,
        year=issued_at.year,
        sequence=sequence,
        number=_number(
            institution=order.institution,
            kind=InvoiceKind.CREDIT_NOTE,
            year=issued_at.year,
            sequence=sequence,
        ),
        issued_at=issued_at,
        currency=order.currency,
        net_amount=net,
        vat_amount=vat,
        total_amount=refund.amount,
        content=content,
    )
    audit_record(
        actor=None,
        action="invoice.credit_note_issued",
        target=credit_note,
        institution=order.institution,
        data={"credits": invoice.number, "refund": refund.pk},
    )
    return credit_note
