"""Finance pages: role and institution checks, filters, refunds, transfers, vouchers, statements, exports."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mcportal.core import clock
from payments.choices import OrderStatus, PaymentStatus
from payments.models import Refund, Voucher

from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db

ORDERS = reverse("payments_staff:orders")


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), ("learner", 403), ("registrar", 403), ("other_registrar", 403), ("finance", 200)],
)
def test_finance_pages_need_the_finance_role(client_for, request, who, status):
    user = request.getfixturevalue(who) if who else None

    for name in ["orders", "payments", "refunds", "vouchers", "bank_import", "exports"]:
        assert client_for(user).get(reverse(f"payments_staff:{name}")).status_code == status, name


def test_order_list_filters_by_status_and_search(client_for, finance, make_order):
    order = make_order()

    listed = client_for(finance).get(ORDERS, {"q": order.payment_reference, "status": "awaiting_payment"})
    empty = client_for(finance).get(ORDERS, {"status": "paid"})

    assert order.payment_reference in listed.content.decode()
    assert order.payment_reference not in empty.content.decode()


def test_finance_of_another_institution_sees_nothing(client_for, make_order, other_institution):
    from tests.factories.core import MembershipFactory

    other_finance = MembershipFactory(institution=other_institution, role="finance").user
    order = make_order()

    assert order.payment_reference not in client_for(other_finance).get(ORDERS).content.decode()
    assert (
        client_for(other_finance)
        .get(reverse("payments_staff:order", kwargs={"order_id": order.pk}))
        .status_code
        == 404
    )


def test_refund_from_the_order_page(client_for, finance, make_order):
    payment = pay_with_sandbox(make_order())
    client = client_for(finance)

    response = client.post(
        reverse("payments_staff:refund_create", kwargs={"payment_id": payment.pk}),
        {"amount": "100.00", "reason": "Partial attendance"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Refunded 100.00 EUR." in response.content.decode()
    assert Refund.objects.get().amount == Decimal("100.00")


def test_over_refund_is_shown_on_the_page(client_for, finance, make_order):
    payment = pay_with_sandbox(make_order())

    response = client_for(finance).post(
        reverse("payments_staff:refund_create", kwargs={"payment_id": payment.pk}),
        {"amount": "999.00", "reason": "Too much"},
    )

    assert response.status_code == 200
    assert "at most 302.50 EUR" in response.content.decode()
    assert not Refund.objects.exists()


def test_record_a_transfer_from_the_order_page(client_for, finance, make_order):
    order = make_order()

    client_for(finance).post(
        reverse("payments_staff:order_transfer", kwargs={"order_id": order.pk}),
        {"amount": "302.50", "currency": "EUR", "transaction_id": "TX-77", "note": ""},
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payments.get().status == PaymentStatus.SUCCEEDED


def test_voucher_create_and_edit(client_for, finance, institution):
    client = client_for(finance)
    response = client.post(
        reverse("payments_staff:voucher_create"),
        {
            "institution": institution.pk,
            "code": "autumn10",
            "kind": "percent",
            "value": "10",
            "currency": "EUR",
            "max_uses": "50",
            "valid_from": "",
            "valid_until": "",
            "is_active": "on",
            "purchasables_text": "run:1, run:2",
        },
    )
    assert response.status_code == 302
    voucher = Voucher.objects.get()
    assert (voucher.code, voucher.purchasables, voucher.max_uses) == ("AUTUMN10", ["run:1", "run:2"], 50)

    client.post(
        reverse("payments_staff:voucher_edit", kwargs={"voucher_id": voucher.pk}),
        {
            "code": "AUTUMN10",
            "kind": "percent",
            "value": "15",
            "currency": "EUR",
            "max_uses": "50",
            "is_active": "on",
            "purchasables_text": "",
        },
    )
    voucher.refresh_from_db()
    assert (voucher.value, voucher.purchasables) == (Decimal("15.00"), [])


def test_voucher_with_an_impossible_percentage_is_refused_on_the_form(client_for, finance, institution):
    response = client_for(finance).post(
        reverse("payments_staff:voucher_create"),
        {
            "institution": institution.pk,
            "code": "X",
            "kind": "percent",
            "value": "150",
            "currency": "EUR",
        },
    )

    assert response.status_code == 200
    assert "A percentage is more than 0 and at most 100." in response.content.decode()
    assert not Voucher.objects.exists()


def test_bank_statement_upload(client_for, finance, institution, make_order):
    order = make_order()
    content = (
        "date,amount,currency,reference,transaction_id\n"
        f"2026-11-20,302.50,EUR,{order.payment_reference},TX-1\n"
    )

    response = client_for(finance).post(
        reverse("payments_staff:bank_import"),
        {
            "institution": institution.pk,
            "statement": SimpleUploadedFile("statement.csv", content.encode(), content_type="text/csv"),
        },
    )

    assert 'data-outcome="paid"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_exports_by_period(client_for, finance, make_order):
    payment = pay_with_sandbox(make_order())
    client = client_for(finance)
    from payments.services import refund_create

    refund_create(payment=payment, amount=Decimal("10.00"), reason='=HYPERLINK("x")', actor=finance)
    today = clock.today().isoformat()

    invoices = _csv(
        client.get(reverse("payments_staff:exports"), {"kind": "invoices", "start": today, "end": today})
    )
    payments = _csv(
        client.get(reverse("payments_staff:exports"), {"kind": "payments", "start": today, "end": today})
    )
    refunds = _csv(
        client.get(reverse("payments_staff:exports"), {"kind": "refunds", "start": today, "end": today})
    )
    before = _csv(
        client.get(
            reverse("payments_staff:exports"),
            {"kind": "invoices", "start": "2000-01-01", "end": "2000-12-31"},
        )
    )

    assert [row[1] for row in invoices[1:]] == ["invoice", "credit_note"]
    assert invoices[1][11] == "302.50" and invoices[2][11] == "-10.00"
    assert payments[1][8] == "302.50"
    assert refunds[1][7] == "10.00" and refunds[1][8].startswith("'=")
    assert len(before) == 1


def test_finance_nav_link_is_shown_to_finance_only(client_for, finance, registrar, learner):
    # The menu reads the user's capabilities in the query that decides whether to show the staff area.
    catalogue = reverse("courses:catalogue")

    assert reverse("payments_staff:orders") in client_for(finance).get(catalogue).content.decode()
    registrar_page = client_for(registrar).get(catalogue).content.decode()
    assert reverse("payments_staff:orders") not in registrar_page
    assert reverse("courses_staff:list") in registrar_page
    assert reverse("payments_staff:orders") not in client_for(learner).get(catalogue).content.decode()


@pytest.mark.parametrize("orders", [1, 4])
def test_order_list_costs_a_fixed_number_of_queries(
    client_for, finance, priced_run, orders, django_assert_num_queries
):
    from enrollment.services import checkout_order_create, enrollment_enrol
    from payments.choices import PriceTier
    from tests.factories.enrollment import LearnerFactory

    from .conftest import buyer_details

    for _ in range(orders):
        learner = LearnerFactory()
        enrollment = enrollment_enrol(learner=learner, run=priced_run, actor=learner)
        checkout_order_create(
            enrollment=enrollment,
            tier=PriceTier.INDIVIDUAL,
            voucher_code="",
            buyer=buyer_details(),
            actor=learner,
        )
    client = client_for(finance)

    with django_assert_num_queries(7):
        assert client.get(ORDERS).status_code == 200
