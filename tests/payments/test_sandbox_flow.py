"""The sandbox flow end to end through the views: enrol → checkout → order → sandbox page → active."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from mcportal.core.exceptions import ApplicationError
from payments.choices import InvoiceKind, OrderStatus, PaymentStatus
from payments.models import Order, Payment, ProviderEvent
from tests.factories.enrollment import LearnerFactory

pytestmark = pytest.mark.django_db

CHECKOUT_FORM = {
    "tier": "individual",
    "voucher_code": "",
    "name": "Ada Learner",
    "email": "ada@example.org",
    "address": "Kotlářská 2, Brno",
    "company": "",
    "vat_id": "",
}


def _enrol_and_check_out(client, run, **form):
    client.post(reverse("enrollment:enrol", kwargs={"run_id": run.pk}))
    enrollment = Enrollment.objects.get(run=run)
    response = client.post(
        reverse("enrollment:checkout", kwargs={"enrollment_id": enrollment.pk}), {**CHECKOUT_FORM, **form}
    )
    return enrollment, response


def _pay_with_sandbox(client, order):
    response = client.post(
        reverse("payments:order_pay", kwargs={"public_id": order.public_id}), {"provider": "sandbox"}
    )
    payment = Payment.objects.get(order=order)
    assert response.status_code == 302
    assert response.url == reverse("payments:sandbox", kwargs={"token": payment.provider_reference})
    return payment, response.url


def test_learner_pays_on_the_sandbox_page_and_the_enrolment_becomes_active(
    client_for, priced_run, django_capture_on_commit_callbacks
):
    learner = LearnerFactory()
    client = client_for(learner)

    enrollment, response = _enrol_and_check_out(client, priced_run)
    order = Order.objects.get()
    assert response.url == reverse("payments:order", kwargs={"public_id": order.public_id})
    summary = client.get(response.url).content.decode()
    assert "302.50" in summary and "Pay €302.50" in summary

    payment, sandbox_url = _pay_with_sandbox(client, order)
    page = client.get(sandbox_url).content.decode()
    assert '<button type="submit" name="action" value="pay" class="button">Pay</button>' in page

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(sandbox_url, {"action": "pay"})

    assert paid.url == reverse("enrollment:dashboard")
    enrollment.refresh_from_db()
    order.refresh_from_db()
    payment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert order.status == OrderStatus.PAID
    assert (payment.status, payment.amount_received) == (PaymentStatus.SUCCEEDED, Decimal("302.50"))
    invoice = order.invoices.get()
    assert invoice.kind == InvoiceKind.INVOICE and invoice.total_amount == Decimal("302.50")
    assert any(learner.email in message.to for message in mail.outbox)

    dashboard = client.get(reverse("enrollment:dashboard")).content.decode()
    assert "Active" in dashboard
    pdf = client.get(reverse("payments:invoice_pdf", kwargs={"invoice_id": invoice.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_tampered_price_in_the_form_is_ignored(client_for, priced_run):
    client = client_for(LearnerFactory())

    _enrol_and_check_out(client, priced_run, total_amount="1.00", price="1.00", unit_price="0.01")

    assert Order.objects.get().total_amount == Decimal("302.50")


def test_declining_on_the_sandbox_page_leaves_the_enrolment_waiting(client_for, priced_run):
    client = client_for(LearnerFactory())
    enrollment, _response = _enrol_and_check_out(client, priced_run)
    order = Order.objects.get()
    payment, sandbox_url = _pay_with_sandbox(client, order)

    response = client.post(sandbox_url, {"action": "decline"}, follow=True)

    payment.refresh_from_db()
    enrollment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    assert "The payment was declined" in response.content.decode()
    # The learner may try again with a new payment.
    _second, _url = (
        None,
        client.post(
            reverse("payments:order_pay", kwargs={"public_id": order.public_id}), {"provider": "sandbox"}
        ),
    )
    assert Payment.objects.filter(order=order).count() == 2


def test_pressing_pay_twice_changes_nothing_the_second_time(client_for, priced_run):
    client = client_for(LearnerFactory())
    _enrol_and_check_out(client, priced_run)
    order = Order.objects.get()
    payment, sandbox_url = _pay_with_sandbox(client, order)
    client.post(sandbox_url, {"action": "pay"})
    events_before = ProviderEvent.objects.count()

    client.post(sandbox_url, {"action": "pay"})

    assert ProviderEvent.objects.count() == events_before == 1
    assert order.invoices.count() == 1
    order.refresh_from_db()
    assert order.needs_review is False


def test_someone_elses_sandbox_page_is_not_found(client_for, priced_run):
    client = client_for(LearnerFactory())
    _enrol_and_check_out(client, priced_run)
    _payment, sandbox_url = _pay_with_sandbox(client, Order.objects.get())

    assert client_for(LearnerFactory()).post(sandbox_url, {"action": "pay"}).status_code == 404
    assert (
        client_for(LearnerFactory())
        .get(reverse("payments:order", kwargs={"public_id": Order.objects.get().public_id}))
        .status_code
        == 404
    )


def test_voucher_over_its_limit_is_shown_on_the_checkout_form(client_for, priced_run, make_voucher):
    voucher = make_voucher("ONCE", max_uses=1)
    voucher.times_used = 1
    voucher.save()
    client = client_for(LearnerFactory())

    _enrollment, response = _enrol_and_check_out(client, priced_run, voucher_code="ONCE")

    assert response.status_code == 200
    assert "This voucher has been used the maximum number of times (1)." in response.content.decode()
    assert not Order.objects.exists()


def test_bank_transfer_choice_shows_the_reference_and_a_proforma(client_for, priced_run):
    client = client_for(LearnerFactory())
    _enrol_and_check_out(client, priced_run)
    order = Order.objects.get()

    response = client.post(
        reverse("payments:order_pay", kwargs={"public_id": order.public_id}),
        {"provider": "bank_transfer"},
        follow=True,
    )

    content = response.content.decode()
    assert order.payment_reference in content
    assert "CZ6508000000192000145399" in content
    proforma = client.get(reverse("payments:proforma_pdf", kwargs={"public_id": order.public_id}))
    assert proforma.status_code == 200 and proforma.content.startswith(b"%PDF")
    assert Payment.objects.get(order=order).status == PaymentStatus.PENDING


def test_my_orders_lists_the_order_and_its_invoice(client_for, priced_run):
    learner = LearnerFactory()
    client = client_for(learner)
    _enrol_and_check_out(client, priced_run)
    order = Order.objects.get()
    _payment, sandbox_url = _pay_with_sandbox(client, order)
    client.post(sandbox_url, {"action": "pay"})

    content = client.get(reverse("payments:my_orders")).content.decode()

    assert order.payment_reference in content
    assert order.invoices.get().number in content
    assert (
        order.payment_reference
        not in client_for(LearnerFactory()).get(reverse("payments:my_orders")).content.decode()
    )


def test_checkout_offers_to_continue_an_open_order(client_for, priced_run):
    client = client_for(LearnerFactory())
    enrollment, _response = _enrol_and_check_out(client, priced_run)

    page = client.get(
        reverse("enrollment:checkout", kwargs={"enrollment_id": enrollment.pk})
    ).content.decode()

    assert "Continue with that order" in page
    assert str(Order.objects.get().public_id) in page


def test_a_provider_that_is_switched_off_cannot_be_used_even_by_a_hand_made_post(
    client_for, priced_run, settings
):
    client = client_for(LearnerFactory())
    _enrol_and_check_out(client, priced_run)
    order = Order.objects.get()
    settings.MCPORTAL_PAYMENT_PROVIDERS = ["bank_transfer"]

    response = client.post(
        reverse("payments:order_pay", kwargs={"public_id": order.public_id}), {"provider": "sandbox"}
    )

    assert response.status_code == 200  # the form refuses the choice
    assert not Payment.objects.exists()
    from payments.services import payment_start

    with pytest.raises(ApplicationError, match="not available"):
        payment_start(order=order, provider="sandbox", actor=order.buyer, success_url="x", cancel_url="x")
    assert not Payment.objects.exists()


def test_checkout_page_asks_for_the_invoice_details(client_for, priced_run):
    client = client_for(LearnerFactory())
    client.post(reverse("enrollment:enrol", kwargs={"run_id": priced_run.pk}))
    enrollment = Enrollment.objects.get(run=priced_run)

    page = client.get(
        reverse("enrollment:checkout", kwargs={"enrollment_id": enrollment.pk})
    ).content.decode()

    assert "<legend>Invoice details</legend>" in page
    for name in ("name", "email", "address", "company", "vat_id"):
        assert f'name="{name}"' in page
