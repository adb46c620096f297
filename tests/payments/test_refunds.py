"""Refunds: full or partial, with a reason, audited, credit notes; providers called outside transactions."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied

from mcportal.core.exceptions import ApplicationError, ValidationFailed
from mcportal.core.models import AuditEvent
from payments.choices import InvoiceKind, PaymentStatus, RefundStatus
from payments.models import Invoice, Refund
from payments.providers import stripe as stripe_provider
from payments.providers.base import ProviderOutcome
from payments.services import payment_start, provider_event_apply, refund_create
from payments.signals import payment_refunded

from .helpers import pay_with_sandbox
from .stripe_fakes import RecordingStripeHttpClient, recorded, stripe_error_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(make_order):
    return pay_with_sandbox(make_order())


def test_partial_refund_issues_a_credit_note_and_keeps_the_payment_succeeded(paid, finance):
    received = []
    payment_refunded.connect(lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="t1")
    try:
        refund = refund_create(
            payment=paid, amount=Decimal("121.00"), reason="Missed the first week", actor=finance
        )
    finally:
        payment_refunded.disconnect(dispatch_uid="t1")

    paid.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.provider_reference.startswith("sandbox-refund-")
    assert paid.status == PaymentStatus.SUCCEEDED
    assert paid.refundable_amount == Decimal("181.50")
    credit_note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert (credit_note.net_amount, credit_note.vat_amount, credit_note.total_amount) == (
        Decimal("100.00"),
        Decimal("21.00"),
        Decimal("121.00"),
    )
    assert credit_note.credits == Invoice.objects.get(kind=InvoiceKind.INVOICE)
    assert credit_note.number.startswith("CN-")
    assert received[0]["fully_refunded"] is False
    assert list(
        AuditEvent.objects.filter(target_id=str(refund.pk), target_type="payments.refund")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == ["refund.requested", "refund.succeeded"]


def test_refunding_the_rest_makes_the_payment_refunded(paid, finance):
    refund_create(payment=paid, amount=Decimal("100.00"), reason="Part", actor=finance)

    refund_create(payment=paid, amount=Decimal("202.50"), reason="Course cancelled", actor=finance)

    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 2


@pytest.mark.parametrize("amount", [Decimal("302.51"), Decimal("0"), Decimal("-1")])
def test_refund_outside_the_refundable_amount_is_refused(paid, finance, amount):
    with pytest.raises(ValidationFailed) as refused:
        refund_create(payment=paid, amount=amount, reason="Too much", actor=finance)

    assert refused.value.problems[0].field == "amount"
    assert not Refund.objects.exists()


def test_refund_needs_a_reason(paid, finance):
    with pytest.raises(ValidationFailed):
        refund_create(payment=paid, amount=Decimal("1.00"), reason="  ", actor=finance)
    assert not Refund.objects.exists()


@pytest.mark.parametrize("who", ["registrar", "learner", "other_registrar"])
def test_only_finance_may_refund(paid, request, who):
    actor = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        refund_create(payment=paid, amount=Decimal("1.00"), reason="No", actor=actor)
    assert not Refund.objects.exists()


def test_a_pending_payment_cannot_be_refunded(make_order, finance):
    order = make_order()
    payment = payment_start(
        order=order,
        provider="sandbox",
        actor=order.buyer,
        success_url="https://x.test",
        cancel_url="https://x.test",
    )

    with pytest.raises(ValidationFailed):
        refund_create(payment=payment, amount=Decimal("1.00"), reason="x", actor=finance)


@pytest.fixture
def stripe_paid(make_order):
    order = make_order()
    http = RecordingStripeHttpClient(
        {
            ("POST", "/v1/checkout/sessions"): (recorded("stripe_checkout_session_created.json"), 200),
        }
    )
    with mock.patch.object(stripe_provider, "_http_client", return_value=http):
        payment = payment_start(
            order=order,
            provider="stripe",
            actor=order.buyer,
            success_url="https://x.test",
            cancel_url="https://x.test",
        )
    event = ProviderOutcome(
        provider="stripe",
        event_id="evt_paid",
        event_type="checkout.session.completed",
        outcome="succeeded",
        payment_public_id=str(payment.public_id),
        amount_received=Decimal("302.50"),
        currency="EUR",
        charge_reference="pi_3QxTestIntent0000000001",
    )
    provider_event_apply(outcome=event)
    payment.refresh_from_db()
    return payment


def test_stripe_refund_goes_to_stripe_with_the_payment_intent_and_minor_units(stripe_paid, finance):
    http = RecordingStripeHttpClient({("POST", "/v1/refunds"): (recorded("stripe_refund_created.json"), 200)})

    with mock.patch.object(stripe_provider, "_http_client", return_value=http):
        refund = refund_create(payment=stripe_paid, amount=Decimal("50.00"), reason="Goodwill", actor=finance)

    assert refund.provider_reference == "re_3QxTestRefund00000000001"
    params = http.requests[0]["params"]
    assert params["payment_intent"] == ["pi_3QxTestIntent0000000001"]
    assert params["amount"] == ["5000"]
    assert http.requests[0]["headers"]["Idempotency-Key"] == f"refund-{refund.pk}"


def test_stripe_refusing_a_refund_leaves_a_failed_refund_and_no_credit_note(stripe_paid, finance):
    http = RecordingStripeHttpClient(
        {("POST", "/v1/refunds"): (stripe_error_body("Charge already refunded"), 400)}
    )

    with (
        mock.patch.object(stripe_provider, "_http_client", return_value=http),
        pytest.raises(ApplicationError, match="refused the refund"),
    ):
        refund_create(payment=stripe_paid, amount=Decimal("50.00"), reason="Goodwill", actor=finance)

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    stripe_paid.refresh_from_db()
    assert stripe_paid.refundable_amount == Decimal("302.50")


def test_buyer_is_e_mailed_the_invoice_and_the_refund(
    make_order, finance, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        payment = pay_with_sandbox(make_order())
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(payment=payment, amount=Decimal("20.00"), reason="Late start", actor=finance)

    to_buyer = [message for message in mail.outbox if message.to == ["ada@example.org"]]
    assert [message.subject for message in to_buyer] == [
        f"Invoice {payment.order.invoices.get(kind=InvoiceKind.INVOICE).number} for order "
        f"{payment.order.payment_reference}",
        f"Refund of 20.00 EUR for order {payment.order.payment_reference}",
    ]
    assert "Reason: Late start" in to_buyer[1].body
    assert "CN-" in to_buyer[1].body


def test_the_stripe_refund_call_happens_outside_any_transaction(stripe_paid, finance):
    from django.db import connection

    http = RecordingStripeHttpClient({("POST", "/v1/refunds"): (recorded("stripe_refund_created.json"), 200)})
    original = http.request
    open_atomic_blocks_at_call = []

    def spy(*args, **kwargs):
        # pytest-django wraps the test in one transaction; every service atomic adds a savepoint.
        open_atomic_blocks_at_call.append(len(connection.savepoint_ids) - depth_outside)
        return original(*args, **kwargs)

    depth_outside = len(connection.savepoint_ids)
    with (
        mock.patch.object(stripe_provider, "_http_client", return_value=http),
        mock.patch.object(http, "request", side_effect=spy),
    ):
        refund_create(payment=stripe_paid, amount=Decimal("5.00"), reason="Goodwill", actor=finance)

    assert open_atomic_blocks_at_call == [0]
