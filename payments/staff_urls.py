"""URLs of the finance pages, mounted at /staff/payments/."""

from django.urls import path

from . import staff_views as views

app_name = "payments_staff"
urlpatterns = [
    path("", views.OrderListView.as_view(), name="orders"),
    path("orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path(
        "orders/<int:order_id>/transfer/",
        views.OrderActionView.as_view(action="transfer"),
        name="order_transfer",
    ),
    path(
        "orders/<int:order_id>/review/", views.OrderActionView.as_view(action="review"), name="order_review"
    ),
    path(
        "orders/<int:order_id>/cancel/", views.OrderActionView.as_view(action="cancel"), name="order_cancel"
    ),
    path("payments/", views.PaymentListView.as_view(), name="payments"),
    path("payments/<int:payment_id>/refund/", views.RefundCreateView.as_view(), name="refund_create"),
    path("refunds/", views.RefundListView.as_view(), name="refunds"),
    path("vouchers/", views.VoucherListView.as_view(), name="vouchers"),
    path("vouchers/new/", views.VoucherEditView.as_view(), name="voucher_create"),
    path("vouchers/<int:voucher_id>/", views.VoucherEditView.as_view(), name="voucher_edit"),
    path("bundles/", views.BundleListView.as_view(), name="bundles"),
    path("bundles/new/", views.BundleEditView.as_view(), name="bundle_create"),
    path("bundles/<int:bundle_id>/", views.BundleEditView.as_view(), name="bundle_edit"),
    path("bank-statements/", views.BankStatementImportView.as_view(), name="bank_import"),
    path("exports/", views.ExportView.as_view(), name="exports"),
]
