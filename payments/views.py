"""Buyer pages of payments: the order summary and choice of provider, the sandbox payment page, PDFs.

Each view finds the buyer's own order (else 404), calls one service and redirects or renders;
refusals come back as a message on the order page, never as an error page.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from mcportal.core.exceptions import ApplicationError

from .choices import InvoiceKind, OrderStatus, PaymentStatus, ProviderName
from .forms import ProviderChoiceForm
from .invoice_pdf import document_pdf_render
from .models import Order
from .providers.base import WebhookRejected
from .providers.sandbox import SANDBOX_ACTIONS, SandboxProvider
from .selectors import (
    billing_profile_get,
    invoice_get_for_user,
    order_get_for_buyer,
    order_list_for_buyer,
    payment_get_by_sandbox_token,
)
from .services import order_document_content, payment_start, provider_event_apply


def order_url(order: Order) -> str:
    return reverse("payments:order", kwargs={"public_id": order.public_id})


class BuyerOrderMixin(LoginRequiredMixin):
    def get_order(self, public_id) -> Order:
        order = order_get_for_buyer(buyer=self.request.user, public_id=public_id)
        if order is None:
            raise Http404(_("You have no such order."))
        return order


class OrderDetailView(BuyerOrderMixin, View):
    """The order as computed by the server, how to pay it, and its invoices once paid."""

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        order = self.get_order(public_id)
        return self.render_page(order, ProviderChoiceForm())

    def render_page(self, order: Order, form: ProviderChoiceForm) -> HttpResponse:
        payments = list(order.payments.all())
        waiting_transfer = any(
            payment.provider == ProviderName.BANK_TRANSFER and payment.status == PaymentStatus.PENDING
            for payment in payments
        )
        return render(
            self.request,
            "payments/order_detail.html",
            {
                "order": order,
                "lines": list(order.lines.all()),
                "payments": payments,
                "invoices": list(order.invoices.all()),
                "form": form,
                "can_pay": order.status == OrderStatus.AWAITING_PAYMENT and not order.needs_review,
                "waiting_transfer": waiting_transfer,
                "billing": billing_profile_get(institution=order.institution),
            },
        )


class OrderPayView(BuyerOrderMixin, View):
    """POST: start paying with the chosen provider and go to its payment page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, public_id) -> HttpResponse:
        order = self.get_order(public_id)
        form = ProviderChoiceForm(request.POST)
        if not form.is_valid():
            return OrderDetailView(request=request).render_page(order, form)
        back = request.build_absolute_uri(order_url(order))
        try:
            payment = payment_start(
                order=order,
                provider=form.cleaned_data["provider"],
                actor=request.user,
                success_url=f"{back}?returned=1",
                cancel_url=back,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(order_url(order))
        if payment.provider == ProviderName.BANK_TRANSFER:
            messages.info(
                request,
                _(
                    "Pay by bank transfer quoting the payment reference %(reference)s. "
                    "Your enrolment becomes active when the money arrives."
                )
                % {"reference": order.payment_reference},
            )
        return HttpResponseRedirect(payment.checkout_url)


class MyOrderListView(LoginRequiredMixin, View):
    """The buyer's orders and their invoices."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "payments/my_orders.html", {"orders": list(order_list_for_buyer(buyer=request.user))}
        )


class SandboxPaymentView(LoginRequiredMixin, View):
    """The sandbox's hosted payment page: Pay, Decline or Cancel drive the real confirmation path."""

    def get_payment(self, token: str):
        if ProviderName.SANDBOX not in settings.MCPORTAL_PAYMENT_PROVIDERS:
            raise Http404(_("The sandbox payment provider is switched off."))
        payment = payment_get_by_sandbox_token(token=token)
        if payment is None or payment.order.buyer_id != self.request.user.pk:
            raise Http404(_("No such test payment."))
        return payment

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        payment = self.get_payment(token)
        return render(
            request,
            "payments/sandbox.html",
            {
                "payment": payment,
                "order": payment.order,
                "is_open": payment.status in (PaymentStatus.CREATED, PaymentStatus.PENDING),
            },
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        payment = self.get_payment(token)
        action = request.POST.get("action", "")
        try:
            outcome = SandboxProvider().outcome_for_action(payment=payment, action=action)
        except WebhookRejected:
            messages.error(request, _("Choose Pay, Decline or Cancel."))
            return HttpResponseRedirect(request.path)
        try:
            provider_event_apply(outcome=outcome)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(order_url(payment.order))
        order = order_get_for_buyer(buyer=request.user, public_id=payment.order.public_id)
        if (
            SANDBOX_ACTIONS[action] == "succeeded"
            and order.status == OrderStatus.PAID
            and not order.needs_review
        ):
            messages.success(
                request, _("Payment received. Thank you! Your invoice is ready on the order page.")
            )
            return HttpResponseRedirect(order.return_path or order_url(order))
        if SANDBOX_ACTIONS[action] == "succeeded":
            messages.warning(
                request, _("Payment received; the finance office will review it before it counts.")
            )
        elif SANDBOX_ACTIONS[action] == "failed":
            messages.error(request, _("The payment was declined. Nothing was charged; you can try again."))
        else:
            messages.info(request, _("You cancelled the payment. Nothing was charged."))
        return HttpResponseRedirect(order_url(order))


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class InvoicePdfView(LoginRequiredMixin, View):
    """An issued invoice or credit note as PDF, for its buyer or finance of its institution."""

    def get(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = invoice_get_for_user(user=request.user, invoice_id=invoice_id)
        if invoice is None:
            raise Http404(_("No such invoice."))
        credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
        pdf = document_pdf_render(
            title=_("Credit note") if credit_note else _("Invoice"),
            number=invoice.number,
            issued_on=invoice.issued_at.date().isoformat(),
            content=invoice.content,
            extra={"is_credit_note": credit_note},
        )
        return _pdf_response(pdf, f"{invoice.number}.pdf")


class ProformaPdfView(BuyerOrderMixin, View):
    """The pro-forma invoice of an unpaid order: what to pay, to which account, with which reference."""

    def get(self, request: HttpRequest, public_id) -> HttpResponse:
        order = self.get_order(public_id)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            messages.info(request, _("This order no longer waits for payment."))
            return HttpResponseRedirect(order_url(order))
        profile = billing_profile_get(institution=order.institution)
        due = order.created_at + dt.timedelta(days=profile.payment_terms_days)
        if order.payable_until:
            due = min(due, order.payable_until)
        pdf = document_pdf_render(
            title=_("Pro-forma invoice"),
            number="",
            issued_on=order.created_at.date().isoformat(),
            content=order_document_content(order=order),
            extra={"show_bank_details": True, "due_on": due.date().isoformat()},
        )
        return _pdf_response(pdf, f"proforma-{order.payment_reference}.pdf")
