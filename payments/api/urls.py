"""/api/v1/payments/ routes: finance reads."""

from django.urls import path

from . import views

urlpatterns = [
    path("orders/", views.OrderListApi.as_view(), name="payments-order-list"),
    path("orders/<int:order_id>/", views.OrderDetailApi.as_view(), name="payments-order-detail"),
    path("payments/", views.PaymentListApi.as_view(), name="payments-payment-list"),
]
