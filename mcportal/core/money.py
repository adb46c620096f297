"""Money: Decimal amounts with a currency, quantised to the currency's minor unit."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CURRENCY_CHOICES = [
    ("EUR", "Euro (EUR)"),
    ("CZK", "Czech koruna (CZK)"),
    ("PLN", "Polish złoty (PLN)"),
    ("HUF", "Hungarian forint (HUF)"),
    ("SEK", "Swedish krona (SEK)"),
    ("DKK", "Danish krone (DKK)"),
    ("CHF", "Swiss franc (CHF)"),
    ("GBP", "Pound sterling (GBP)"),
]
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "CHF": "CHF ", "CZK": "Kč ", "PLN": "zł ", "HUF": "Ft "}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal, never a float.")
        object.__setattr__(self, "amount", self.amount.quantize(CENT, rounding=ROUND_HALF_UP))

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        formatted = f"{self.amount:,.2f}"
        return f"{symbol}{formatted}" if symbol else f"{formatted} {self.currency}"
