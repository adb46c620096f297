"""Back-office views of payments: read-only money rows; changes go through the finance pages (services)."""

from django.contrib import admin

from mcportal.core.read_only_admin import ReadOnlyModelAdmin, ReadOnlyTabularInline

from .models import BillingProfile, Bundle, Invoice, Order, OrderLine, Payment, ProviderEvent, Refund, Voucher


class OrderLineInline(ReadOnlyTabularInline):
    model = OrderLine


@admin.register(Order)
class OrderAdmin(ReadOnlyModelAdmin):
    list_display = [
        "payment_reference",
        "institution",
        "buyer_name",
        "status",
        "total_amount",
        "currency",
        "needs_review",
        "created_at",
    ]
    list_filter = ["status", "needs_review", "institution"]
    search_fields = ["payment_reference", "buyer_name", "buyer_email", "buyer_company"]
    list_select_related = ["institution"]
    inlines = [OrderLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ["public_id", "order", "provider", "status", "amount", "amount_received", "succeeded_at"]
    list_filter = ["provider", "status"]
    search_fields = ["provider_reference", "order__payment_reference"]
    list_select_related = ["order"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    list_display = ["payment", "amount", "status", "requested_by", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["payment__order", "requested_by"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    list_display = ["number", "kind", "institution", "issued_at", "total_amount", "currency"]
    list_filter = ["kind", "institution"]
    search_fields = ["number", "order__payment_reference"]
    list_select_related = ["institution"]


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyModelAdmin):
    list_display = ["provider", "event_type", "event_id", "received_at", "payment"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyModelAdmin):
    list_display = ["code", "institution", "kind", "value", "times_used", "max_uses", "is_active"]
    list_filter = ["institution", "kind", "is_active"]


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    """Institution billing settings are configuration: support staff may edit them here."""

    list_display = ["institution", "vat_rate", "invoice_prefix", "credit_note_prefix", "iban"]


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "price_amount", "currency", "valid_until", "is_active"]
