"""Stripe: Checkout Sessions through the stripe library (HTTP replaced by recordings) and webhooks
verified with Stripe's real signature check; events are applied exactly once."""

import json
import logging
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client

from enrollment.choices import EnrollmentStatus
from mcportal.core.models import AuditEvent
from payments.choices import OrderStatus, PaymentStatus, ReviewReason
from payments.models import Invoice, Payment, ProviderEvent
from payments.providers import stripe as stripe_provider
from payments.services import payment_start

from .conftest import STRIPE_TEST_WEBHOOK_SECRET
from .stripe_fakes import RecordingStripeHttpClient, recorded, stripe_error_body, stripe_signature

pytestmark = pytest.mark.django_db
WEBHOOK_URL = "/payments/webhooks/stripe/"
SESSION_ID = "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdEF"


@pytest.fixture
def stripe_http():
    client = RecordingStripeHttpClient({})
    with mock.patch.object(stripe_provider, "_http_client", return_value=client):
        yield client


@pytest.fixture
def stripe_payment(make_order, stripe_http):
    order = make_order()
    stripe_http.responses[("POST", "/v1/checkout/sessions")] = (
        recorded(
            "stripe_checkout_session_created.json",
            ORDER_REFERENCE=order.payment_reference,
            ORDER=str(order.public_id),
        ),
        200,
    )
    return payment_start(
        order=order,
        provider="stripe",
        actor=order.buyer,
        success_url="https://portal.test/ok",
        cancel_url="https://portal.test/back",
    )


def _post_event(name: str, payment: Payment, *, secret=STRIPE_TEST_WEBHOOK_SECRET, **replacements):
    payload = recorded(
        name,
        PAYMENT_ID=str(payment.public_id),
        ORDER_REFERENCE=payment.order.payment_reference,
        ORDER=str(payment.order.public_id),
        **replacements,
    )
    return Client().post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload, secret),
    )


def test_checkout_session_is_created_with_the_server_total(stripe_payment, stripe_http):
    request = stripe_http.requests[0]

    assert stripe_payment.status == PaymentStatus.PENDING
    assert stripe_payment.provider_reference == SESSION_ID
    assert stripe_payment.checkout_url.startswith("https://checkout.stripe.com/c/pay/")
    assert request["path"] == "/v1/checkout/sessions"
    assert request["params"]["line_items[0][price_data][unit_amount]"] == ["30250"]
    assert request["params"]["line_items[0][price_data][currency]"] == ["eur"]
    assert request["params"]["metadata[payment_id]"] == [str(stripe_payment.public_id)]
    assert request["headers"]["Idempotency-Key"] == f"checkout-{stripe_payment.public_id}"


def test_a_refused_checkout_marks_the_payment_failed(make_order, stripe_http):
    order = make_order()
    stripe_http.responses[("POST", "/v1/checkout/sessions")] = (stripe_error_body("Invalid currency"), 400)

    with pytest.raises(Exception, match="could not be started"):
        payment_start(
            order=order,
            provider="stripe",
            actor=order.buyer,
            success_url="https://x.test",
            cancel_url="https://x.test",
        )

    assert Payment.objects.get().status == PaymentStatus.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_no_stripe_call_happens_inside_a_transaction(make_order, stripe_http):
    from django.db import connection

    order = make_order()
    stripe_http.responses[("POST", "/v1/checkout/sessions")] = (
        recorded("stripe_checkout_session_created.json"),
        200,
    )
    original = stripe_http.request
    open_atomic_blocks_at_call = []

    def spy(*args, **kwargs):
        # pytest-django wraps the test in one transaction; every service atomic adds a savepoint.
        open_atomic_blocks_at_call.append(len(connection.savepoint_ids) - depth_outside)
        return original(*args, **kwargs)

    depth_outside = len(connection.savepoint_ids)
    with mock.patch.object(stripe_http, "request", side_effect=spy):
        payment_start(
            order=order,
            provider="stripe",
            actor=order.buyer,
            success_url="https://x.test",
            cancel_url="https://x.test",
        )

    assert open_atomic_blocks_at_call == [0]


def test_completed_session_webhook_pays_the_order_and_activates_the_enrolment(
    stripe_payment, pending_enrollment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_event("stripe_event_checkout_session_completed.json", stripe_payment)

    assert response.status_code == 200
    assert response.json() == {"received": True, "applied": True}
    stripe_payment.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED
    assert stripe_payment.amount_received == Decimal("302.50")
    assert stripe_payment.provider_charge_reference == "pi_3QxTestIntent0000000001"
    assert stripe_payment.order.status == OrderStatus.PAID
    assert pending_enrollment.status == EnrollmentStatus.ACTIVE
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_id, event.payment) == (
        "stripe",
        "evt_1QxTestCompleted0000000001",
        stripe_payment,
    )


def test_replayed_webhook_changes_nothing(stripe_payment, pending_enrollment):
    _post_event("stripe_event_checkout_session_completed.json", stripe_payment)
    audit_before = AuditEvent.objects.count()

    response = _post_event("stripe_event_checkout_session_completed.json", stripe_payment)

    assert response.status_code == 200
    assert response.json() == {"received": True, "applied": False}
    assert ProviderEvent.objects.count() == 1
    assert Invoice.objects.count() == 1
    assert AuditEvent.objects.count() == audit_before
    stripe_payment.order.refresh_from_db()
    assert stripe_payment.order.needs_review is False


@pytest.mark.parametrize(
    ("_case", "headers"),
    [
        ("wrong secret", {"HTTP_STRIPE_SIGNATURE": stripe_signature("{}", "whsec_wrong")}),
        ("no signature", {}),
        ("garbage", {"HTTP_STRIPE_SIGNATURE": "t=1,v1=deadbeef"}),
    ],
)
def test_webhook_with_a_bad_signature_gets_400_is_logged_and_changes_nothing(
    stripe_payment, pending_enrollment, caplog, _case, headers
):
    payload = recorded(
        "stripe_event_checkout_session_completed.json", PAYMENT_ID=str(stripe_payment.public_id)
    )

    with caplog.at_level(logging.WARNING, logger="payments.webhooks"):
        response = Client().post(WEBHOOK_URL, data=payload, content_type="application/json", **headers)

    assert response.status_code == 400
    assert any("Rejected stripe webhook" in record.getMessage() for record in caplog.records)
    assert not ProviderEvent.objects.exists()
    stripe_payment.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING
    assert pending_enrollment.status == EnrollmentStatus.PENDING_PAYMENT


def test_a_signed_but_tampered_body_is_rejected(stripe_payment):
    payload = recorded(
        "stripe_event_checkout_session_completed.json", PAYMENT_ID=str(stripe_payment.public_id)
    )
    signature = stripe_signature(payload, STRIPE_TEST_WEBHOOK_SECRET)

    response = Client().post(
        WEBHOOK_URL,
        data=payload.replace("30250", "100"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_an_old_signature_is_rejected(stripe_payment):
    payload = recorded(
        "stripe_event_checkout_session_completed.json", PAYMENT_ID=str(stripe_payment.public_id)
    )

    response = Client().post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload, STRIPE_TEST_WEBHOOK_SECRET, timestamp=1_000_000_000),
    )

    assert response.status_code == 400


def test_amount_mismatch_is_flagged_for_finance_not_accepted(stripe_payment, pending_enrollment):
    response = _post_event(
        "stripe_event_checkout_session_completed.json",
        stripe_payment,
        **{'"amount_total": 30250': '"amount_total": 10000'},
    )

    assert response.status_code == 200
    order = stripe_payment.order
    order.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.needs_review is True
    assert order.review_reason == ReviewReason.AMOUNT_MISMATCH
    assert pending_enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert not Invoice.objects.exists()


def test_expired_session_cancels_the_payment_only(stripe_payment):
    response = _post_event("stripe_event_checkout_session_expired.json", stripe_payment)

    assert response.status_code == 200
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.CANCELLED
    assert stripe_payment.order.status == OrderStatus.AWAITING_PAYMENT


def test_an_event_type_we_do_not_act_on_is_recorded_and_ignored(stripe_payment):
    payload = json.loads(
        recorded("stripe_event_checkout_session_completed.json", PAYMENT_ID=str(stripe_payment.public_id))
    )
    payload["type"], payload["id"] = "customer.created", "evt_other_type_1"
    body = json.dumps(payload)

    response = Client().post(
        WEBHOOK_URL,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, STRIPE_TEST_WEBHOOK_SECRET),
    )

    assert response.status_code == 200
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING
    assert ProviderEvent.objects.get().event_type == "customer.created"


def test_an_event_naming_no_known_payment_is_recorded_and_changes_nothing(stripe_payment):
    payload = recorded(
        "stripe_event_checkout_session_completed.json",
        PAYMENT_ID="not-a-uuid",
        **{SESSION_ID: "cs_test_unknown"},
    )

    response = Client().post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload, STRIPE_TEST_WEBHOOK_SECRET),
    )

    assert response.status_code == 200
    assert ProviderEvent.objects.get().payment is None
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.PENDING


def test_money_reported_for_an_expired_checkout_is_flagged_for_finance(stripe_payment, pending_enrollment):
    _post_event("stripe_event_checkout_session_expired.json", stripe_payment)

    response = _post_event("stripe_event_checkout_session_completed.json", stripe_payment)

    assert response.status_code == 200
    order = stripe_payment.order
    order.refresh_from_db()
    pending_enrollment.refresh_from_db()
    assert (order.needs_review, order.review_reason) == (True, ReviewReason.NOT_PAYABLE)
    assert "302.50 EUR paid on a payment that was Cancelled" in order.review_note
    assert pending_enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert ProviderEvent.objects.count() == 2


def test_a_second_success_event_for_the_same_checkout_is_not_new_money(stripe_payment):
    _post_event("stripe_event_checkout_session_completed.json", stripe_payment)

    response = _post_event(
        "stripe_event_checkout_session_completed.json",
        stripe_payment,
        **{
            "evt_1QxTestCompleted0000000001": "evt_1QxTestAsyncSucceeded0001",
            '"type": "checkout.session.completed"': '"type": "checkout.session.async_payment_succeeded"',
        },
    )

    assert response.json() == {"received": True, "applied": True}
    stripe_payment.order.refresh_from_db()
    assert stripe_payment.order.needs_review is False
    assert Invoice.objects.count() == 1
