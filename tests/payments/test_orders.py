"""Checkout orders: tier prices from the run, vouchers with limits, VAT and reverse charge, server totals."""

import datetime as dt
from decimal import Decimal

import pytest

from mcportal.core import clock
from mcportal.core.exceptions import Conflict, ValidationFailed
from mcportal.core.models import AuditEvent
from payments.choices import OrderStatus, PriceTier, VoucherKind
from payments.models import Order
from payments.selectors import order_open_for_purchasable
from payments.services import order_cancel

from .conftest import buyer_details

pytestmark = pytest.mark.django_db


def test_individual_order_is_priced_from_the_run_with_the_institutions_vat(make_order, priced_run):
    order = make_order()

    assert (order.subtotal_amount, order.vat_rate, order.vat_amount, order.total_amount) == (
        Decimal("250.00"),
        Decimal("21.00"),
        Decimal("52.50"),
        Decimal("302.50"),
    )
    assert order.currency == "EUR"
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.payable_until == priced_run.enrolment_closes_at
    line = order.lines.get()
    assert line.description == "Applied Bioinformatics — Spring (Individual)"
    assert AuditEvent.objects.filter(action="order.created", target_id=str(order.pk)).count() == 1


@pytest.mark.parametrize(
    ("tier", "price"),
    [(PriceTier.PARTNER, Decimal("200.00")), (PriceTier.CORPORATE, Decimal("400.00"))],
)
def test_partner_and_corporate_tiers_use_their_own_price(make_order, tier, price):
    order = make_order(tier=tier, company="Acme s.r.o.")

    assert order.subtotal_amount == price
    assert order.tier == tier


def test_a_tier_without_its_own_price_pays_the_standard_price(make_order, priced_run):
    priced_run.price_partner_amount = None
    priced_run.save()

    order = make_order(tier=PriceTier.PARTNER, company="Partner University")

    assert order.subtotal_amount == Decimal("250.00")


def test_partner_tier_needs_a_company_name(make_order):
    with pytest.raises(ValidationFailed) as refused:
        make_order(tier=PriceTier.PARTNER)

    assert [problem.field for problem in refused.value.problems] == ["company"]
    assert not Order.objects.exists()


def test_business_of_another_member_state_pays_reverse_charge(make_order):
    order = make_order(tier=PriceTier.CORPORATE, company="Beispiel GmbH", vat_id="de 123 456 789")

    assert order.reverse_charge is True
    assert order.buyer_vat_id == "DE123456789"
    assert (order.vat_amount, order.total_amount) == (Decimal("0.00"), Decimal("400.00"))


def test_domestic_business_with_a_vat_id_pays_vat(make_order):
    order = make_order(tier=PriceTier.CORPORATE, company="Příklad s.r.o.", vat_id="CZ12345678")

    assert order.reverse_charge is False
    assert order.vat_amount == Decimal("84.00")


def test_percent_voucher_is_applied_and_counted(make_order, make_voucher):
    voucher = make_voucher("SPRING20", max_uses=5)

    order = make_order(voucher_code="spring20")

    assert order.voucher == voucher
    assert (order.discount_amount, order.net_amount, order.total_amount) == (
        Decimal("50.00"),
        Decimal("200.00"),
        Decimal("242.00"),
    )
    voucher.refresh_from_db()
    assert voucher.times_used == 1


def test_voucher_beyond_its_limit_is_refused_with_a_clear_message(make_order, make_voucher):
    voucher = make_voucher("ONCE", max_uses=1)
    voucher.times_used = 1
    voucher.save()

    with pytest.raises(ValidationFailed) as refused:
        make_order(voucher_code="ONCE")

    assert refused.value.problems[0].field == "voucher_code"
    assert refused.value.problems[0].message == "This voucher has been used the maximum number of times (1)."
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("_case", "attributes", "code"),
    [
        ("expired", {"valid_until": clock.now() - dt.timedelta(days=1)}, "voucher_expired"),
        ("not yet valid", {"valid_from": clock.now() + dt.timedelta(days=3)}, "voucher_not_yet_valid"),
        ("other course", {"purchasables": ["run:999999"]}, "voucher_not_applicable"),
        ("inactive", {"is_active": False}, "voucher_unknown"),
        (
            "other currency",
            {"kind": VoucherKind.AMOUNT, "value": Decimal("10"), "currency": "CZK"},
            "voucher_currency",
        ),
    ],
)
def test_voucher_outside_its_terms_is_refused(make_order, make_voucher, _case, attributes, code):
    make_voucher("TERMS", **attributes)

    with pytest.raises(ValidationFailed) as refused:
        make_order(voucher_code="TERMS")

    assert refused.value.problems[0].code == code
    assert not Order.objects.exists()


def test_voucher_restricted_to_the_run_applies(make_order, make_voucher, priced_run):
    make_voucher("RUNONLY", purchasables=[f"run:{priced_run.pk}"])

    assert make_order(voucher_code="RUNONLY").discount_amount == Decimal("50.00")


def test_unknown_voucher_is_refused(make_order):
    with pytest.raises(ValidationFailed) as refused:
        make_order(voucher_code="NOPE")

    assert refused.value.message == "The voucher code “NOPE” is not valid."


def test_a_new_checkout_cancels_the_open_order_and_gives_the_voucher_back(
    make_order, make_voucher, pending_enrollment
):
    voucher = make_voucher("SPRING20", max_uses=1)
    first = make_order(voucher_code="SPRING20")

    second = make_order(voucher_code="SPRING20")

    first.refresh_from_db()
    voucher.refresh_from_db()
    assert first.status == OrderStatus.CANCELLED
    assert order_open_for_purchasable(purchasable=f"enrollment:{pending_enrollment.pk}") == second
    assert voucher.times_used == 1


def test_buyer_may_cancel_and_the_voucher_use_is_returned(make_order, make_voucher, pending_enrollment):
    voucher = make_voucher("SPRING20", max_uses=1)
    order = make_order(voucher_code="SPRING20")

    order_cancel(order=order, actor=pending_enrollment.learner, reason="")

    voucher.refresh_from_db()
    assert voucher.times_used == 0


def test_a_full_voucher_pays_the_order_at_once_and_activates_the_enrolment(
    make_order, make_voucher, pending_enrollment, django_capture_on_commit_callbacks
):
    make_voucher("FREE", value=Decimal("100"))

    order = make_order(voucher_code="FREE")

    pending_enrollment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.total_amount == Decimal("0.00")
    assert pending_enrollment.status == "active"
    assert order.invoices.get().total_amount == Decimal("0.00")


def test_only_the_learner_can_check_out_their_enrolment(pending_enrollment, finance):
    from enrollment.services import checkout_order_create

    with pytest.raises(Conflict):
        checkout_order_create(
            enrollment=pending_enrollment,
            tier=PriceTier.INDIVIDUAL,
            voucher_code="",
            buyer=buyer_details(),
            actor=finance,
        )
    assert not Order.objects.exists()
