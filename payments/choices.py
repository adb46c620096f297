"""Enumerations of payments: price tiers, providers, order/payment/refund statuses and their transitions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PriceTier(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    PARTNER = "partner", _("Partner institution")
    CORPORATE = "corporate", _("Corporate client")


class ProviderName(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (test payment page)")
    STRIPE = "stripe", _("Card (Stripe)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: set(),
    OrderStatus.CANCELLED: set(),
}


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# Partial refunds are Refund rows on a SUCCEEDED payment; REFUNDED means fully refunded.
PAYMENT_TRANSITIONS: dict[str, set[str]] = {
    PaymentStatus.CREATED: {PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.CANCELLED},
    PaymentStatus.PENDING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELLED},
    PaymentStatus.SUCCEEDED: {PaymentStatus.REFUNDED},
    PaymentStatus.FAILED: set(),
    PaymentStatus.CANCELLED: set(),
    PaymentStatus.REFUNDED: set(),
}


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class VoucherKind(models.TextChoices):
    PERCENT = "percent", _("Percentage off")
    AMOUNT = "amount", _("Amount off")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class ReviewReason(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount received differs from the order total")
    LATE_PAYMENT = "late_payment", _("Paid after the order's payment deadline")
    NOT_PAYABLE = "not_payable", _("Paid for something no longer available (e.g. a full or cancelled run)")
    DUPLICATE_PAYMENT = "duplicate_payment", _("Paid more than once")
