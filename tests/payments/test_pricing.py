"""Order totals: tier prices, vouchers, VAT and reverse charge, computed in Decimal cents."""

from decimal import Decimal

import pytest

from payments.choices import VoucherKind
from payments.pricing import (
    LineSpec,
    VoucherTerms,
    order_totals_compute,
    reverse_charge_applies,
    vat_id_country,
)

RATE = Decimal("21.00")


def _line(price: str, quantity: int = 1) -> LineSpec:
    return LineSpec(description="Course", purchasable="run:1", unit_price=Decimal(price), quantity=quantity)


def test_vat_is_added_to_the_net_price():
    totals = order_totals_compute(lines=[_line("250.00")], vat_rate=RATE)

    assert (totals.subtotal, totals.discount, totals.net, totals.vat, totals.total) == (
        Decimal("250.00"),
        Decimal("0.00"),
        Decimal("250.00"),
        Decimal("52.50"),
        Decimal("302.50"),
    )


@pytest.mark.parametrize(
    ("_case", "terms", "discount", "total"),
    [
        ("percent", VoucherTerms(VoucherKind.PERCENT, Decimal("20"), "EUR"), "50.00", "242.00"),
        ("amount", VoucherTerms(VoucherKind.AMOUNT, Decimal("30.00"), "EUR"), "30.00", "266.20"),
        (
            "amount above the price is capped",
            VoucherTerms(VoucherKind.AMOUNT, Decimal("999"), "EUR"),
            "250.00",
            "0.00",
        ),
        ("hundred percent", VoucherTerms(VoucherKind.PERCENT, Decimal("100"), "EUR"), "250.00", "0.00"),
    ],
)
def test_voucher_discounts_before_vat(_case, terms, discount, total):
    totals = order_totals_compute(lines=[_line("250.00")], vat_rate=RATE, voucher=terms)

    assert totals.discount == Decimal(discount)
    assert totals.total == Decimal(total)
    assert totals.total == totals.net + totals.vat


def test_reverse_charge_has_no_vat():
    totals = order_totals_compute(lines=[_line("400.00")], vat_rate=RATE, reverse_charge=True)

    assert (totals.vat_rate, totals.vat, totals.total) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("400.00"),
    )
    assert totals.reverse_charge is True


def test_vat_rounds_half_up_per_line_and_lines_add_up_to_the_totals():
    lines = [_line("10.05"), _line("0.10", quantity=3)]
    terms = VoucherTerms(VoucherKind.PERCENT, Decimal("33"), "EUR")

    totals = order_totals_compute(lines=lines, vat_rate=RATE, voucher=terms)

    assert totals.subtotal == Decimal("10.35")
    assert totals.discount == Decimal("3.42")  # 33 % of 10.35 = 3.4155
    assert sum(line.discount for line in totals.lines) == totals.discount
    assert sum(line.total for line in totals.lines) == totals.total
    assert [line.vat for line in totals.lines] == [Decimal("1.41"), Decimal("0.04")]  # 6.73 and 0.20 net
    assert totals.vat_breakdown[0].net == totals.net


def test_a_float_price_is_refused():
    with pytest.raises(TypeError):
        LineSpec(description="Course", purchasable="run:1", unit_price=250.0)


@pytest.mark.parametrize(
    ("_case", "vat_id", "seller", "expected"),
    [
        ("other member state", "DE123456789", "CZ", True),
        ("same country", "CZ12345678", "CZ", False),
        ("greece uses EL", "EL123456789", "GR", False),
        ("no vat id", "", "CZ", False),
        ("no country prefix", "123456789", "CZ", False),
    ],
)
def test_reverse_charge_applies_to_businesses_of_other_member_states(_case, vat_id, seller, expected):
    assert reverse_charge_applies(buyer_vat_id=vat_id, seller_country=seller) is expected


def test_vat_id_country_maps_greece():
    assert vat_id_country("el094259216") == "GR"
