"""Totals of an order, computed server-side only: tier price, voucher discount, VAT or reverse charge.

Pure functions over Decimals (never floats): the same inputs always give the same cents. Amounts
are rounded half-up to the cent per line, and the order's totals are the sums of its lines, so an
invoice's lines always add up to its total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from mcportal.core.money import CENT

from .choices import PriceTier, VoucherKind

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# VAT ids start with the member state's code, except Greece (EL, ISO GR).
_VAT_PREFIX_TO_COUNTRY = {"EL": "GR"}


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineSpec:
    """One thing to sell, priced for the chosen tier by the caller (who knows what it sells)."""

    description: str
    purchasable: str
    unit_price: Decimal
    quantity: int = 1
    tier: PriceTier = PriceTier.INDIVIDUAL

    def __post_init__(self) -> None:
        if not isinstance(self.unit_price, Decimal):
            raise TypeError("LineSpec.unit_price must be a Decimal, never a float.")
        if self.unit_price < 0 or self.quantity < 1:
            raise ValueError("A line needs a non-negative unit price and a quantity of at least 1.")


@dataclass(frozen=True)
class VoucherTerms:
    kind: VoucherKind
    value: Decimal
    currency: str


@dataclass(frozen=True)
class PricedLine:
    spec: LineSpec
    gross_before_discount: Decimal
    discount: Decimal
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal


@dataclass(frozen=True)
class VatBreakdownRow:
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class OrderTotals:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    discount: Decimal
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    reverse_charge: bool

    @property
    def vat_breakdown(self) -> list[VatBreakdownRow]:
        rows: dict[Decimal, list[Decimal]] = {}
        for line in self.lines:
            net_vat = rows.setdefault(line.vat_rate, [ZERO, ZERO])
            net_vat[0] += line.net
            net_vat[1] += line.vat
        return [VatBreakdownRow(rate=rate, net=net, vat=vat) for rate, (net, vat) in sorted(rows.items())]


def vat_id_country(vat_id: str) -> str:
    """The ISO country code a VAT id belongs to ("" when it has no country prefix)."""
    prefix = vat_id.strip().upper()[:2]
    if len(prefix) != 2 or not prefix.isalpha():
        return ""
    return _VAT_PREFIX_TO_COUNTRY.get(prefix, prefix)


def reverse_charge_applies(*, buyer_vat_id: str, seller_country: str) -> bool:
    """Tell whether VAT shifts to the buyer: a business with a VAT id of another member state."""
    buyer_country = vat_id_country(buyer_vat_id)
    return bool(buyer_country) and buyer_country != seller_country.upper()


def voucher_discount(*, terms: VoucherTerms, subtotal: Decimal) -> Decimal:
    """The discount a voucher gives on a subtotal: never more than the subtotal, never negative."""
    if terms.kind == VoucherKind.PERCENT:
        discount = cents(subtotal * terms.value / HUNDRED)
    else:
        discount = cents(terms.value)
    return max(ZERO, min(discount, subtotal))


def order_totals_compute(
    *,
    lines: Sequence[LineSpec],
    vat_rate: Decimal,
    voucher: VoucherTerms | None = None,
    reverse_charge: bool = False,
) -> OrderTotals:
    """Price the lines: voucher discount spread over lines by value, then VAT per line."""
    if not lines:
        raise ValueError("An order needs at least one line.")
    grosses = [cents(line.unit_price * line.quantity) for line in lines]
    subtotal = sum(grosses, ZERO)
    discount = voucher_discount(terms=voucher, subtotal=subtotal) if voucher else ZERO
    effective_rate = ZERO if reverse_charge else cents(vat_rate)

    # Spread the discount in proportion to each line's value; the last line takes the rounding rest.
    line_discounts: list[Decimal] = []
    remaining = discount
    for index, gross in enumerate(grosses):
        if index == len(grosses) - 1:
            share = remaining
        else:
            share = cents(discount * gross / subtotal) if subtotal else ZERO
            remaining -= share
        line_discounts.append(share)

    priced = []
    for spec, gross, line_discount in zip(lines, grosses, line_discounts, strict=True):
        net = gross - line_discount
        vat = cents(net * effective_rate / HUNDRED)
        priced.append(
            PricedLine(
                spec=spec,
                gross_before_discount=gross,
                discount=line_discount,
                net=net,
                vat_rate=effective_rate,
                vat=vat,
                total=net + vat,
            )
        )
    net_total = sum((line.net for line in priced), ZERO)
    vat_total = sum((line.vat for line in priced), ZERO)
    return OrderTotals(
        lines=tuple(priced),
        subtotal=subtotal,
        discount=discount,
        net=net_total,
        vat_rate=effective_rate,
        vat=vat_total,
        total=net_total + vat_total,
        reverse_charge=reverse_charge,
    )
