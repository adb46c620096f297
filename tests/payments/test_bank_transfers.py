"""Bank transfers: pro-forma reference, finance confirmation by hand or by statement import, and flags
for mismatched, late or unpayable payments (never silently accepted)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from enrollment.choices import EnrollmentStatus
from enrollment.services import enrollment_cancel, enrollment_confirm_payment_manually
from mcportal.core import clock
from mcportal.core.exceptions import ValidationFailed
from payments.choices import OrderStatus, PaymentStatus, ProviderName, ReviewReason
from payments.models import Invoice, Payment
from payments.providers.sandbox import SandboxProvider
from payments.services import (
    bank_statement_import,
    bank_transfer_record,
    order_review_resolve,
    payment_start,
    provider_event_apply,
)

from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer_order(make_order):
    order = make_order()
    payment_start(
        order=order,
        provider=ProviderName.BANK_TRANSFER,
        actor=order.buyer,
        success_url="https://x.test",
        cancel_url="https://x.test",
    )
    return order


def _statement(*lines: str) -> str:
    return "date,amount,currency,reference,transaction_id\n" + "\n".join(lines) + "\n"


def test_finance_records_a_transfer_and_the_enrolment_becomes_active(
    transfer_order, finance, pending_enrollment
):
    payment = bank_transfer_record(
        order=transfer_order,
        amount=Decimal("302.50"),
        currency="EUR",
        transaction_id="BANK-001",
        actor=finance,
    )

    transfer_order.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Payment.objects.count() == 1  # the pro-forma's waiting payment was used
    assert transfer_order.status == OrderStatus.PAID
    assert pending_enrollment.status == EnrollmentStatus.ACTIVE


def test_only_finance_may_record_a_transfer(transfer_order, registrar):
    with pytest.raises(PermissionDenied):
        bank_transfer_record(
            order=transfer_order,
            amount=Decimal("302.50"),
            currency="EUR",
            transaction_id="BANK-001",
            actor=registrar,
        )
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_statement_import_matches_references_and_amounts(
    transfer_order, finance, institution, make_order, pending_enrollment
):
    summary = bank_statement_import(
        institution=institution,
        actor=finance,
        content=_statement(
            f"2026-11-20,302.50,EUR,VS {transfer_order.payment_reference},TX-1",
            "2026-11-20,99.00,EUR,0000000000,TX-2",
            "2026-11-20,-15.00,EUR,,TX-3",
            "2026-11-20,abc,EUR,1,TX-4",
        ),
    )

    assert [line.outcome for line in summary.lines] == ["paid", "unmatched", "unmatched", "invalid"]
    transfer_order.refresh_from_db()
    assert transfer_order.status == OrderStatus.PAID


def test_importing_the_same_statement_twice_changes_nothing(transfer_order, finance, institution):
    content = _statement(f"2026-11-20,302.50,EUR,{transfer_order.payment_reference},TX-1")
    bank_statement_import(institution=institution, actor=finance, content=content)

    summary = bank_statement_import(institution=institution, actor=finance, content=content)

    assert [line.outcome for line in summary.lines] == ["duplicate"]
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
    assert Invoice.objects.count() == 1


def test_an_amount_mismatch_is_flagged_and_the_enrolment_stays_pending(
    transfer_order, finance, institution, pending_enrollment
):
    summary = bank_statement_import(
        institution=institution,
        actor=finance,
        content=_statement(f"2026-11-20,250.00,EUR,{transfer_order.payment_reference},TX-1"),
    )

    assert summary.lines[0].outcome == "flagged"
    transfer_order.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert (transfer_order.status, transfer_order.review_reason) == (
        OrderStatus.AWAITING_PAYMENT,
        ReviewReason.AMOUNT_MISMATCH,
    )
    assert pending_enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert not Invoice.objects.exists()


def test_finance_may_accept_a_flagged_payment(transfer_order, finance, institution, pending_enrollment):
    bank_statement_import(
        institution=institution,
        actor=finance,
        content=_statement(f"2026-11-20,302.00,EUR,{transfer_order.payment_reference},TX-1"),
    )

    order_review_resolve(order=transfer_order, actor=finance, accept=True, note="Bank fee of 0.50 waived")

    transfer_order.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert (transfer_order.status, transfer_order.needs_review) == (OrderStatus.PAID, False)
    assert pending_enrollment.status == EnrollmentStatus.ACTIVE


def test_a_statement_without_the_needed_columns_is_refused(finance, institution):
    with pytest.raises(ValidationFailed, match="lacks the columns"):
        bank_statement_import(institution=institution, actor=finance, content="date,amount\n2026-01-01,1\n")


def test_a_late_payment_is_flagged(transfer_order, finance):
    transfer_order.payable_until = clock.now() - dt.timedelta(hours=1)
    transfer_order.save()

    bank_transfer_record(
        order=transfer_order, amount=Decimal("302.50"), currency="EUR", transaction_id="TX-9", actor=finance
    )

    transfer_order.refresh_from_db()
    assert transfer_order.review_reason == ReviewReason.LATE_PAYMENT
    assert transfer_order.status == OrderStatus.AWAITING_PAYMENT


def test_paying_for_an_enrolment_that_lost_its_place_is_flagged_not_accepted(
    make_order, pending_enrollment, registrar
):
    order = make_order()
    payment = payment_start(order=order, provider="sandbox", actor=order.buyer,
                            success_url="https://x.test", cancel_url="https://x.test")
    # The place is released (e.g. a registrar cancelled it and the run filled up) while the learner
    # is on the payment page; cancelling the enrolment cancels its open order.
    enrollment_cancel(enrollment=pending_enrollment, actor=registrar, reason="Did not pay in time")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED

    provider_event_apply(outcome=SandboxProvider().outcome_for_action(payment=payment, action="pay"))

    order.refresh_from_db()
    payment.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert pending_enrollment.status == EnrollmentStatus.CANCELLED
    assert order.status == OrderStatus.CANCELLED
    assert (order.needs_review, order.review_reason) == (True, ReviewReason.NOT_PAYABLE)


def test_manual_confirmation_on_the_run_page_still_works(pending_enrollment, finance):
    enrollment = enrollment_confirm_payment_manually(
        enrollment=pending_enrollment, actor=finance, reason="Paid at the cashier's desk"
    )

    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_paying_for_an_enrolment_already_confirmed_by_hand_is_flagged_as_a_second_payment(
    make_order, pending_enrollment, finance
):
    order = make_order()
    enrollment_confirm_payment_manually(enrollment=pending_enrollment, actor=finance, reason="Paid in cash")

    pay_with_sandbox(order)

    order.refresh_from_db()
    assert (order.status, order.needs_review, order.review_reason) == (
        OrderStatus.PAID,
        True,
        ReviewReason.DUPLICATE_PAYMENT,
    )


def test_choosing_bank_transfer_again_keeps_one_waiting_payment(transfer_order):
    payment_start(
        order=transfer_order,
        provider=ProviderName.BANK_TRANSFER,
        actor=transfer_order.buyer,
        success_url="https://x.test",
        cancel_url="https://x.test",
    )

    assert Payment.objects.filter(order=transfer_order).count() == 1


def test_paying_by_card_after_choosing_bank_transfer_ends_the_waiting_transfer(transfer_order):
    card = pay_with_sandbox(transfer_order)

    statuses = dict(Payment.objects.filter(order=transfer_order).values_list("provider", "status"))
    assert card.status == PaymentStatus.SUCCEEDED
    assert statuses[ProviderName.BANK_TRANSFER] == PaymentStatus.CANCELLED


def test_a_transfer_arriving_after_a_card_payment_is_flagged_as_a_second_payment(transfer_order, finance):
    pay_with_sandbox(transfer_order)

    bank_transfer_record(
        order=transfer_order,
        amount=Decimal("302.50"),
        currency="EUR",
        transaction_id="TX-LATE",
        actor=finance,
    )

    transfer_order.refresh_from_db()
    assert (transfer_order.needs_review, transfer_order.review_reason) == (
        True,
        ReviewReason.DUPLICATE_PAYMENT,
    )
    assert Invoice.objects.filter(order=transfer_order).count() == 1
