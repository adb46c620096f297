"""Payments API: finance reads of orders and payments in the user's institutions (others never appear)."""

from rest_framework import generics
from rest_framework.exceptions import PermissionDenied

from mcportal.api.permissions import IsStaffMember

from .. import selectors
from .serializers import OrderOutputSerializer, PaymentOutputSerializer


class FinanceReadMixin:
    permission_classes = [IsStaffMember]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not selectors.finance_institutions(user=request.user).exists():
            raise PermissionDenied("This needs the finance role in an institution.")


class OrderListApi(FinanceReadMixin, generics.ListAPIView):
    serializer_class = OrderOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        filters = selectors.OrderFilter(
            status=params.get("status", ""),
            needs_review=params.get("needs_review") == "true",
            query=params.get("q", ""),
        )
        return selectors.order_list_for_staff(user=self.request.user, filters=filters).prefetch_related(
            "lines"
        )


class OrderDetailApi(FinanceReadMixin, generics.RetrieveAPIView):
    serializer_class = OrderOutputSerializer
    lookup_url_kwarg = "order_id"

    def get_queryset(self):
        return selectors.order_list_for_staff(
            user=self.request.user, filters=selectors.OrderFilter()
        ).prefetch_related("lines")


class PaymentListApi(FinanceReadMixin, generics.ListAPIView):
    serializer_class = PaymentOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.payment_list_for_staff(
            user=self.request.user, status=params.get("status", ""), provider=params.get("provider", "")
        ).prefetch_related("refunds")
