"""Orders and their lines, vouchers, bundles, payments, refunds, invoices and provider events.

Payments knows nothing of courses or enrolments: an order points at what it sells through an opaque
``purchasable`` reference (e.g. ``enrollment:42``) that the app above it understands. Only
payments.services changes statuses, counters and amounts.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mcportal.core.models import BaseModel, Institution
from mcportal.core.money import CURRENCY_CHOICES, Money

from .choices import (
    InvoiceKind,
    OrderStatus,
    PaymentStatus,
    PriceTier,
    ProviderName,
    RefundStatus,
    ReviewReason,
    VoucherKind,
)

AMOUNT = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0.00"))]


class BillingProfile(BaseModel):
    """An institution's invoicing settings: VAT rate, invoice prefix, payment terms, bank account."""

    institution = models.OneToOneField(Institution, on_delete=models.CASCADE, related_name="billing_profile")
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("21.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=16, default="INV")
    credit_note_prefix = models.CharField(_("credit note number prefix"), max_length=16, default="CN")
    payment_terms_days = models.PositiveSmallIntegerField(_("bank transfer terms (days)"), default=14)
    bank_account_name = models.CharField(_("bank account holder"), max_length=255, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="payments_billing_vat_rate_pct"
            )
        ]

    def __str__(self) -> str:
        return f"Billing of {self.institution}"


class Voucher(BaseModel):
    """A discount code of one institution: percentage or amount off, limited in uses and time."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(
        _("code"), max_length=40, help_text=_("Case-insensitive; letters, digits, dashes.")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=VoucherKind.choices)
    value = models.DecimalField(
        _("value"),
        **AMOUNT,
        validators=NON_NEGATIVE,
        help_text=_("Percent (e.g. 20) or an amount in the voucher's currency."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    max_uses = models.PositiveIntegerField(
        _("maximum uses"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    # Kept by payments.services under a row lock on the voucher.
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    purchasables = models.JSONField(
        _("restricted to"),
        default=list,
        blank=True,
        help_text=_("References of what it applies to (e.g. run:12); empty for everything sold."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["institution", "code"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code"], name="payments_voucher_unique_code"),
            models.CheckConstraint(
                condition=Q(kind__in=VoucherKind.values), name="payments_voucher_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherKind.PERCENT) | Q(value__lte=100),
                name="payments_voucher_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(times_used__lte=models.F("max_uses")),
                name="payments_voucher_uses_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Bundle(BaseModel):
    """A flat fee for access to several purchasables (runs) bought together within a period.

    Payments only prices and sells it; the app that knows the purchasables (enrollment) grants the
    access once the order is paid.
    """

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="bundles")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price_amount = models.DecimalField(_("price"), **AMOUNT, validators=NON_NEGATIVE)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    purchasables = models.JSONField(
        _("includes"), default=list, help_text=_("References of what it gives access to, e.g. run:12.")
    )
    valid_from = models.DateTimeField(_("on sale from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("on sale until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["institution", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount__gte=0), name="payments_bundle_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)


class Order(BaseModel):
    """What a buyer owes one institution, computed server-side; the buyer's details are a snapshot."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    purchasable = models.CharField(_("purchase reference"), max_length=64, db_index=True)
    return_path = models.CharField(_("page to return to"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.AWAITING_PAYMENT
    )
    tier = models.CharField(
        _("price tier"), max_length=12, choices=PriceTier.choices, default=PriceTier.INDIVIDUAL
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    subtotal_amount = models.DecimalField(_("subtotal"), **AMOUNT)
    discount_amount = models.DecimalField(_("discount"), **AMOUNT, default=Decimal("0.00"))
    net_amount = models.DecimalField(_("net"), **AMOUNT)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    total_amount = models.DecimalField(_("total"), **AMOUNT)
    reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    buyer_name = models.CharField(_("name"), max_length=200)
    buyer_email = models.EmailField(_("e-mail"))
    buyer_address = models.TextField(_("address"))
    buyer_company = models.CharField(_("company"), max_length=200, blank=True)
    buyer_vat_id = models.CharField(_("VAT id"), max_length=32, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=20, unique=True)
    payable_until = models.DateTimeField(_("payable until"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    needs_review = models.BooleanField(_("needs finance review"), default=False)
    review_reason = models.CharField(
        _("review reason"), max_length=24, choices=ReviewReason.choices, blank=True
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="payments_order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="payments_order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total_amount=models.F("net_amount") + models.F("vat_amount")),
                name="payments_order_total_is_net_plus_vat",
            ),
            # At most one order per purchasable waits for payment; a new checkout cancels the old one.
            models.UniqueConstraint(
                fields=["purchasable"],
                condition=Q(status="awaiting_payment"),
                name="payments_order_one_open_per_purchasable",
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "status", "created_at"], name="payments_order_inst_idx")
        ]

    def __str__(self) -> str:
        return f"Order {self.payment_reference}"

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)


class OrderLine(models.Model):
    """One thing sold on an order, with its own discount and VAT (the order sums its lines)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("description"), max_length=255)
    purchasable = models.CharField(_("purchase reference"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), **AMOUNT)
    discount_amount = models.DecimalField(_("discount"), **AMOUNT, default=Decimal("0.00"))
    net_amount = models.DecimalField(_("net"), **AMOUNT)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    total_amount = models.DecimalField(_("total"), **AMOUNT)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="payments_orderline_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class Payment(BaseModel):
    """One attempt to pay an order through one provider. Only payments.services changes its status."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=16, choices=ProviderName.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    amount = models.DecimalField(_("amount asked"), **AMOUNT)
    amount_received = models.DecimalField(_("amount received"), **AMOUNT, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # The provider's id of the checkout (Stripe session id, sandbox token, bank transaction id).
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    # What the provider refunds against (Stripe payment intent); empty where refunds are manual.
    provider_charge_reference = models.CharField(_("charge reference"), max_length=255, blank=True)
    checkout_url = models.URLField(_("checkout page"), max_length=2000, blank=True)
    succeeded_at = models.DateTimeField(_("succeeded"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payments_payment_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_payment_amount_not_negative"),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payments_payment_unique_provider_reference",
            ),
        ]
        indexes = [models.Index(fields=["status", "succeeded_at"], name="payments_payment_succeeded_idx")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} payment of {self.order}"

    @property
    def refundable_amount(self) -> Decimal:
        """What is left to refund (needs the refunds; selectors prefetch them)."""
        refunded = sum(
            (refund.amount for refund in self.refunds.all() if refund.status != RefundStatus.FAILED),
            Decimal("0.00"),
        )
        return (self.amount_received or Decimal("0.00")) - refunded


class Refund(BaseModel):
    """Money given back on a payment, fully or in part, with the reason; audited."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), **AMOUNT, validators=NON_NEGATIVE)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="payments_refund_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} on {self.payment}"


class InvoiceCounter(models.Model):
    """The next number of one numbering series (institution × kind × year), taken under a row lock."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "kind", "year"], name="payments_counter_unique_series"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.kind} {self.year}: {self.last_sequence}"


class Invoice(BaseModel):
    """An invoice or credit note: numbered without gaps per series, with a frozen copy of its content.

    The PDF is rendered from ``content`` (seller, buyer, lines, VAT breakdown as issued), so later
    edits to the institution or the order never change an issued document.
    """

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=40)
    issued_at = models.DateTimeField(_("issued"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    net_amount = models.DecimalField(_("net"), **AMOUNT)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    total_amount = models.DecimalField(_("total"), **AMOUNT)
    content = models.JSONField(_("content as issued"))

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "kind", "year", "sequence"], name="payments_invoice_unique_sequence"
            ),
            models.UniqueConstraint(fields=["institution", "number"], name="payments_invoice_unique_number"),
            # One invoice per order; credit notes are many (one per refund).
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="invoice"), name="payments_invoice_one_per_order"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ProviderEvent(models.Model):
    """A webhook (or sandbox) event seen once: the unique (provider, event_id) makes replays no-ops."""

    provider = models.CharField(max_length=16, choices=ProviderName.choices)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField()
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payments_event_unique_provider_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"
