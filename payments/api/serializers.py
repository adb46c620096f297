"""Output serializers of the payments API (finance reads)."""

from rest_framework import serializers

from ..models import Order, OrderLine, Payment, Refund


class OrderLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "position",
            "description",
            "purchasable",
            "quantity",
            "unit_price",
            "discount_amount",
            "net_amount",
            "vat_rate",
            "vat_amount",
            "total_amount",
        ]


class OrderOutputSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lines = OrderLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "public_id",
            "institution",
            "purchasable",
            "status",
            "tier",
            "currency",
            "subtotal_amount",
            "discount_amount",
            "net_amount",
            "vat_rate",
            "vat_amount",
            "total_amount",
            "reverse_charge",
            "buyer_name",
            "buyer_email",
            "buyer_company",
            "buyer_vat_id",
            "payment_reference",
            "payable_until",
            "paid_at",
            "cancelled_at",
            "needs_review",
            "review_reason",
            "created_at",
            "lines",
        ]


class RefundOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "status", "provider_reference", "completed_at", "created_at"]


class PaymentOutputSerializer(serializers.ModelSerializer):
    order_reference = serializers.CharField(source="order.payment_reference", read_only=True)
    refunds = RefundOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "public_id",
            "order_reference",
            "provider",
            "status",
            "amount",
            "amount_received",
            "currency",
            "provider_reference",
            "succeeded_at",
            "failure_reason",
            "created_at",
            "refunds",
        ]
