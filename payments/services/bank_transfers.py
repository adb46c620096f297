"""Bank transfers: finance confirms a transfer by hand or imports a bank statement CSV.

Each transfer is a Payment of provider bank_transfer whose provider_reference is the bank's
transaction id, unique per provider: importing the same statement twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.models import Institution

from ..choices import PaymentStatus, ProviderName
from ..models import Order, Payment
from ..selectors import order_qs_for_update
from .authority import authority_require_finance
from .payments import payment_succeed

STATEMENT_COLUMNS = ("date", "amount", "currency", "reference", "transaction_id")
MAX_STATEMENT_ROWS = 10_000


@transaction.atomic
def bank_transfer_record(
    *, order: Order, amount: Decimal, currency: str, transaction_id: str, actor, note: str = ""
) -> Payment:
    """Record a transfer received for the order (finance only); flags the order if the amount differs.

    Refused when this bank transaction was already recorded. Audited as payment.succeeded and
    bank_transfer.recorded.
    """
    order = order_qs_for_update().select_related("institution").get(pk=order.pk)
    authority_require_finance(actor, order.institution)
    transaction_id = transaction_id.strip()
    if not transaction_id:
        raise ValidationFailed(
            _("Give the bank's transaction id."),
            problems=[
                FieldProblem(
                    _("Give the bank's transaction id or statement reference."),
                    field="transaction_id",
                    code="required",
                )
            ],
        )
    if Payment.objects.filter(
        provider=ProviderName.BANK_TRANSFER, provider_reference=transaction_id
    ).exists():
        raise ValidationFailed(
            _("This bank transaction was already recorded."),
            problems=[
                FieldProblem(
                    _("This bank transaction was already recorded."), field="transaction_id", code="duplicate"
                )
            ],
        )
    # The pro-forma's waiting payment, if the buyer chose bank transfer; else a new one.
    payment = (
        order.payments.filter(
            provider=ProviderName.BANK_TRANSFER, status=PaymentStatus.PENDING, provider_reference=""
        )
        .order_by("pk")
        .first()
    )
    if payment is None:
        payment = Payment.objects.create(
            order=order,
            provider=ProviderName.BANK_TRANSFER,
            amount=order.total_amount,
            currency=order.currency,
            status=PaymentStatus.PENDING,
        )
    payment.provider_reference = transaction_id
    payment.save(update_fields=["provider_reference", "updated_at"])
    audit_record(
        actor=actor,
        action="bank_transfer.recorded",
        target=payment,
        institution=order.institution,
        reason=note,
        data={"amount": str(amount), "currency": currency, "transaction_id": transaction_id},
    )
    return payment_succeed(payment=payment, amount_received=amount, currency=currency.upper(), actor=actor)


@dataclass
class StatementLine:
    line_number: int
    reference: str
    amount: str
    transaction_id: str
    outcome: str  # "paid", "flagged", "duplicate", "unmatched", "invalid"
    message: str = ""


@dataclass
class StatementImportSummary:
    lines: list[StatementLine] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


def _statement_rows(content: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(content))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in STATEMENT_COLUMNS if name not in header]
    if missing:
        raise ValidationFailed(
            _("The statement lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)},
            problems=[
                FieldProblem(
                    _("Expected the columns %(columns)s.") % {"columns": ", ".join(STATEMENT_COLUMNS)},
                    field="statement",
                    code="columns",
                )
            ],
        )
    rows = [
        {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()} for row in reader
    ]
    if len(rows) > MAX_STATEMENT_ROWS:
        raise ValidationFailed(
            _("A statement may have at most %(limit)d lines.") % {"limit": MAX_STATEMENT_ROWS}
        )
    return rows


def _order_for_reference(institution: Institution, text: str) -> Order | None:
    """The order a statement's reference field names: banks add prefixes ("VS 1234567890") or spaces."""
    candidates = [*re.findall(r"\d{10}", text), "".join(ch for ch in text if ch.isalnum())]
    return Order.objects.filter(institution=institution, payment_reference__in=candidates).first()


def bank_statement_import(*, institution: Institution, content: str, actor) -> StatementImportSummary:
    """Match a statement's lines to orders by payment reference and record each transfer.

    Commits line by line (each in bank_transfer_record's own transaction), so one bad line never
    undoes the others; re-importing a statement skips the transactions already recorded. A line
    whose amount differs, or that pays a cancelled or already paid order, is recorded and flagged.
    """
    authority_require_finance(actor, institution)
    summary = StatementImportSummary()
    for line_number, row in enumerate(_statement_rows(content), start=2):
        line = StatementLine(
            line_number=line_number,
            reference=row["reference"],
            amount=row["amount"],
            transaction_id=row["transaction_id"],
            outcome="invalid",
        )
        summary.lines.append(line)
        try:
            amount = Decimal(row["amount"].replace(",", "."))
        except InvalidOperation:
            line.message = _("The amount is not a number.")
            continue
        if amount <= 0:
            line.outcome, line.message = "unmatched", _("Outgoing or zero amount; not a payment.")
            continue
        order = _order_for_reference(institution, row["reference"])
        if order is None:
            line.outcome, line.message = "unmatched", _("No order has this payment reference.")
            continue
        try:
            bank_transfer_record(
                order=order,
                amount=amount,
                currency=row["currency"] or order.currency,
                transaction_id=row["transaction_id"],
                actor=actor,
                note=f"Bank statement line {line_number}",
            )
        except ValidationFailed as error:
            duplicate = any(problem.code == "duplicate" for problem in error.problems)
            line.outcome, line.message = ("duplicate" if duplicate else "invalid"), error.message
            continue
        order.refresh_from_db()
        if order.needs_review:
            line.outcome, line.message = "flagged", order.review_note
        else:
            line.outcome = "paid"
    return summary
