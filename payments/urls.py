"""URLs of the buyer's payment pages and provider webhooks, mounted at /payments/."""

from django.urls import path

from . import views, webhooks

app_name = "payments"
urlpatterns = [
    path("orders/", views.MyOrderListView.as_view(), name="my_orders"),
    path("orders/<uuid:public_id>/", views.OrderDetailView.as_view(), name="order"),
    path("orders/<uuid:public_id>/pay/", views.OrderPayView.as_view(), name="order_pay"),
    path("orders/<uuid:public_id>/proforma.pdf", views.ProformaPdfView.as_view(), name="proforma_pdf"),
    path("invoices/<int:invoice_id>.pdf", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("sandbox/<str:token>/", views.SandboxPaymentView.as_view(), name="sandbox"),
    path(
        "webhooks/stripe/",
        webhooks.ProviderWebhookView.as_view(provider_name="stripe"),
        name="webhook_stripe",
    ),
]
