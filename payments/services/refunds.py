"""Refunds, full or partial, with a reason: claimed, sent to the provider, then settled with a credit note."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import ApplicationError, FieldProblem, ValidationFailed

from ..choices import PaymentStatus, RefundStatus
from ..models import Payment, Refund
from ..notifications import buyer_email
from ..providers import provider_get
from ..providers.base import ProviderError
from ..selectors import payment_qs_for_update
from ..signals import payment_refunded
from .authority import authority_require_finance
from .invoices import credit_note_issue


@transaction.atomic
def _refund_claim(*, payment: Payment, amount: Decimal, reason: str, actor) -> Refund:
    payment = payment_qs_for_update().select_related("order__institution").get(pk=payment.pk)
    institution = payment.order.institution
    authority_require_finance(actor, institution)
    problems = []
    if not reason.strip():
        problems.append(FieldProblem(_("Give the reason for the refund."), field="reason", code="required"))
    if payment.status != PaymentStatus.SUCCEEDED:
        raise ValidationFailed(
            _("Only a succeeded payment can be refunded (this one is %(status)s).")
            % {"status": payment.get_status_display()}
        )
    refundable = payment.refundable_amount
    if amount <= 0 or amount > refundable:
        problems.append(
            FieldProblem(
                _("Refund more than 0 and at most %(refundable)s %(currency)s.")
                % {"refundable": refundable, "currency": payment.currency},
                field="amount",
                code="out_of_range",
            )
        )
    if problems:
        raise ValidationFailed(_("The refund cannot be made as entered."), problems=problems)
    refund = Refund.objects.create(payment=payment, amount=amount, reason=reason.strip(), requested_by=actor)
    audit_record(
        actor=actor,
        action="refund.requested",
        target=refund,
        institution=institution,
        reason=reason,
        data={"amount": str(amount), "payment": str(payment.public_id)},
    )
    return refund


@transaction.atomic
def _refund_settle(*, refund_id: int, provider_reference: str | None, failure: str, actor) -> Refund:
    refund = Refund.objects.select_for_update(no_key=True).get(pk=refund_id)
    payment = payment_qs_for_update().select_related("order__institution").get(pk=refund.payment_id)
    institution = payment.order.institution
    if provider_reference is None:
        refund.status = RefundStatus.FAILED
        refund.failure_reason = failure[:255]
        refund.save(update_fields=["status", "failure_reason", "updated_at"])
        audit_record(
            actor=actor, action="refund.failed", target=refund, institution=institution, reason=failure
        )
        return refund
    refund.status = RefundStatus.SUCCEEDED
    refund.provider_reference = provider_reference
    refund.completed_at = clock.now()
    refund.save(update_fields=["status", "provider_reference", "completed_at", "updated_at"])
    fully_refunded = payment.refundable_amount <= 0
    if fully_refunded:
        payment.status = PaymentStatus.REFUNDED
        payment.save(update_fields=["status", "updated_at"])
    credit_note = credit_note_issue(refund=refund)
    audit_record(
        actor=actor,
        action="refund.succeeded",
        target=refund,
        institution=institution,
        reason=refund.reason,
        data={
            "amount": str(refund.amount),
            "fully_refunded": fully_refunded,
            "credit_note": credit_note.number if credit_note else None,
        },
    )
    buyer_email(
        order=payment.order,
        message="payment_refunded",
        refund_amount=f"{refund.amount} {payment.currency}",
        reason=refund.reason,
        credit_note_number=credit_note.number if credit_note else "",
        manual=not provider_get(payment.provider).refunds_automatically,
    )
    payment_refunded.send(
        sender=Refund, order=payment.order, payment=payment, refund=refund, fully_refunded=fully_refunded
    )
    return refund


def refund_create(*, payment: Payment, amount: Decimal, reason: str, actor) -> Refund:
    """Refund part or all of a succeeded payment (finance only), with a credit note when invoiced.

    Not atomic on purpose: the refund is claimed (PENDING, counted against the refundable amount)
    and committed, the provider is called outside any transaction, and the outcome is committed
    second. A provider refusal leaves a FAILED refund and raises ApplicationError.
    """
    refund = _refund_claim(payment=payment, amount=amount, reason=reason, actor=actor)
    try:
        provider_reference = provider_get(refund.payment.provider).refund(
            payment=refund.payment, refund=refund
        )
    except ProviderError as error:
        _refund_settle(refund_id=refund.pk, provider_reference=None, failure=str(error), actor=actor)
        raise ApplicationError(
            _("The provider refused the refund: %(reason)s") % {"reason": error}
        ) from error
    return _refund_settle(refund_id=refund.pk, provider_reference=provider_reference, failure="", actor=actor)
