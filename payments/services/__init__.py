"""Every change to orders, payments, refunds, vouchers and invoices; every interface calls these."""

from .bank_transfers import StatementImportSummary, bank_statement_import, bank_transfer_record
from .bundles import bundle_create, bundle_require_on_sale, bundle_update
from .invoices import credit_note_issue, invoice_issue, order_document_content
from .orders import (
    BuyerDetails,
    order_cancel,
    order_cancel_open,
    order_create,
    order_flag_for_review,
    order_review_resolve,
    orders_paid_flag_for_refund,
)
from .payments import payment_start, payment_succeed, provider_event_apply
from .refunds import refund_create
from .vouchers import voucher_create, voucher_update

__all__ = [
    "BuyerDetails",
    "StatementImportSummary",
    "bank_statement_import",
    "bank_transfer_record",
    "bundle_create",
    "bundle_require_on_sale",
    "bundle_update",
    "credit_note_issue",
    "invoice_issue",
    "order_cancel",
    "order_cancel_open",
    "order_create",
    "order_document_content",
    "order_flag_for_review",
    "order_review_resolve",
    "orders_paid_flag_for_refund",
    "payment_start",
    "payment_succeed",
    "provider_event_apply",
    "refund_create",
    "voucher_create",
    "voucher_update",
]
