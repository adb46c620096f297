"""Finance pages: orders, payments, refunds, vouchers, bank statement import and CSV exports.

Each view lists or finds objects among the institutions where the user manages payments (else
404), calls one service or selector, and renders or redirects; the services check the same
capability again, so no interface can do more than another.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from mcportal.core.exceptions import ApplicationError
from mcportal.core.forms import form_add_service_error
from mcportal.core.roles import StaffAreaRequiredMixin

from .forms import (
    BankStatementForm,
    BankTransferForm,
    BundleForm,
    ExportForm,
    OrderCancelForm,
    OrderFilterForm,
    PaymentFilterForm,
    PurchasablesOfferForm,
    RefundFilterForm,
    RefundForm,
    ReviewResolveForm,
    VoucherForm,
)
from .models import Order
from .selectors import (
    INVOICE_EXPORT_HEADER,
    PAYMENT_EXPORT_HEADER,
    REFUND_EXPORT_HEADER,
    OrderFilter,
    bundle_get_for_staff,
    bundle_list_for_staff,
    finance_institutions,
    invoice_export_rows,
    order_get_for_staff,
    order_list_for_staff,
    payment_export_rows,
    payment_get_for_staff,
    payment_list_for_staff,
    refund_export_rows,
    refund_list_for_staff,
    voucher_get_for_staff,
    voucher_list_for_staff,
)
from .services import (
    bank_statement_import,
    bank_transfer_record,
    bundle_create,
    bundle_update,
    order_cancel,
    order_review_resolve,
    refund_create,
    voucher_create,
    voucher_update,
)

PAGE_SIZE = 50


class FinanceMixin(StaffAreaRequiredMixin):
    """Staff who manage payments in at least one institution; everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not finance_institutions(user=request.user).exists():
            raise PermissionDenied(_("This needs the finance role in an institution."))
        return super().dispatch(request, *args, **kwargs)

    def page(self, queryset):
        return Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))


def order_staff_url(order: Order) -> str:
    return reverse("payments_staff:order", kwargs={"order_id": order.pk})


class OrderListView(FinanceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = OrderFilterForm(request.GET or None)
        filters = OrderFilter()
        if form.is_valid():
            data = form.cleaned_data
            filters = OrderFilter(
                status=data["status"],
                needs_review=data["needs_review"],
                query=data["q"],
                created_from=data["created_from"],
                created_until=data["created_until"],
            )
        page_obj = self.page(order_list_for_staff(user=request.user, filters=filters))
        return render(request, "payments/staff/order_list.html", {"form": form, "page_obj": page_obj})


class OrderDetailView(FinanceMixin, View):
    def get_order(self) -> Order:
        order = order_get_for_staff(user=self.request.user, order_id=self.kwargs["order_id"])
        if order is None:
            raise Http404(_("No such order in your institutions."))
        return order

    def render_page(self, order: Order, **forms) -> HttpResponse:
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "payments": list(order.payments.all()),
            "invoices": list(order.invoices.all()),
            "transfer_form": forms.get("transfer_form")
            or BankTransferForm(initial={"amount": order.total_amount, "currency": order.currency}),
            "review_form": forms.get("review_form") or ReviewResolveForm(),
            "cancel_form": forms.get("cancel_form") or OrderCancelForm(),
            "refund_forms": forms.get("refund_forms") or {},
        }
        return render(self.request, "payments/staff/order_detail.html", context)

    def get(self, request: HttpRequest, order_id: int) -> HttpResponse:
        return self.render_page(self.get_order())


class OrderActionView(OrderDetailView):
    """POST one of the order's actions: record a transfer, resolve a review, cancel."""

    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = self.get_order()
        form_class, key = {
            "transfer": (BankTransferForm, "transfer_form"),
            "review": (ReviewResolveForm, "review_form"),
            "cancel": (OrderCancelForm, "cancel_form"),
        }[self.action]
        form = form_class(request.POST)
        if not form.is_valid():
            return self.render_page(order, **{key: form})
        data = form.cleaned_data
        try:
            if self.action == "transfer":
                bank_transfer_record(
                    order=order,
                    amount=data["amount"],
                    currency=data["currency"],
                    transaction_id=data["transaction_id"],
                    note=data["note"],
                    actor=request.user,
                )
                message = _("The transfer is recorded.")
            elif self.action == "review":
                order_review_resolve(
                    order=order, actor=request.user, accept=data["decision"] == "accept", note=data["note"]
                )
                message = _("The review is recorded.")
            else:
                order_cancel(order=order, actor=request.user, reason=data["reason"])
                message = _("The order is cancelled.")
        except ApplicationError as error:
            form_add_service_error(form, error)
            return self.render_page(self.get_order(), **{key: form})
        messages.success(request, message)
        return HttpResponseRedirect(order_staff_url(order))


class RefundCreateView(FinanceMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, payment_id: int) -> HttpResponse:
        payment = payment_get_for_staff(user=request.user, payment_id=payment_id)
        if payment is None:
            raise Http404(_("No such payment in your institutions."))
        form = RefundForm(request.POST)
        if form.is_valid():
            try:
                refund = refund_create(
                    payment=payment,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("Refunded %(amount)s %(currency)s.")
                    % {"amount": refund.amount, "currency": payment.currency},
                )
                return HttpResponseRedirect(order_staff_url(payment.order))
        detail = OrderDetailView(request=request, kwargs={"order_id": payment.order_id})
        return detail.render_page(detail.get_order(), refund_forms={payment.pk: form})


class PaymentListView(FinanceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = PaymentFilterForm(request.GET or None)
        status = provider = ""
        if form.is_valid():
            status, provider = form.cleaned_data["status"], form.cleaned_data["provider"]
        page_obj = self.page(payment_list_for_staff(user=request.user, status=status, provider=provider))
        return render(request, "payments/staff/payment_list.html", {"form": form, "page_obj": page_obj})


class RefundListView(FinanceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = RefundFilterForm(request.GET or None)
        status = form.cleaned_data["status"] if form.is_valid() else ""
        page_obj = self.page(refund_list_for_staff(user=request.user, status=status))
        return render(request, "payments/staff/refund_list.html", {"form": form, "page_obj": page_obj})


class VoucherListView(FinanceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page_obj = self.page(voucher_list_for_staff(user=request.user))
        return render(request, "payments/staff/voucher_list.html", {"page_obj": page_obj})


class OfferEditView(FinanceMixin, View):
    """Create (no id in the URL) or edit a voucher or a bundle; subclasses name the object and its calls.

    ``object_name`` is the template context name, and the URL keyword is ``<object_name>_id``.
    """

    object_name: str
    template_name: str
    saved_url_name: str

    def lookup(self, object_id: int):
        """The object among the user's institutions; Http404 if there is none."""
        raise NotImplementedError

    def make_form(self, obj, data=None) -> PurchasablesOfferForm:
        raise NotImplementedError

    def create(self, form: PurchasablesOfferForm):
        raise NotImplementedError

    def update(self, obj, form: PurchasablesOfferForm):
        raise NotImplementedError

    def saved_message(self, obj) -> str:
        raise NotImplementedError

    def get_object(self):
        object_id = self.kwargs.get(f"{self.object_name}_id")
        return None if object_id is None else self.lookup(object_id)

    def render_form(self, obj, form) -> HttpResponse:
        return render(self.request, self.template_name, {self.object_name: obj, "form": form})

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        obj = self.get_object()
        return self.render_form(obj, self.make_form(obj))

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        obj = self.get_object()
        form = self.make_form(obj, request.POST)
        if not form.is_valid():
            return self.render_form(obj, form)
        try:
            obj = self.create(form) if obj is None else self.update(obj, form)
        except ApplicationError as error:
            form_add_service_error(form, error)
            return self.render_form(self.get_object(), form)
        messages.success(request, self.saved_message(obj))
        return HttpResponseRedirect(reverse(self.saved_url_name))


class VoucherEditView(OfferEditView):
    """Create (no voucher_id) or edit a voucher."""

    object_name = "voucher"
    template_name = "payments/staff/voucher_form.html"
    saved_url_name = "payments_staff:vouchers"

    def lookup(self, object_id: int):
        voucher = voucher_get_for_staff(user=self.request.user, voucher_id=object_id)
        if voucher is None:
            raise Http404(_("No such voucher in your institutions."))
        return voucher

    def make_form(self, voucher, data=None) -> VoucherForm:
        return VoucherForm(data, instance=voucher, institutions=finance_institutions(user=self.request.user))

    def create(self, form):
        return voucher_create(
            institution=form.cleaned_data["institution"],
            attributes=form.attributes(),
            actor=self.request.user,
        )

    def update(self, voucher, form):
        return voucher_update(voucher=voucher, changes=form.attributes(), actor=self.request.user)

    def saved_message(self, voucher) -> str:
        return _("Voucher %(code)s saved.") % {"code": voucher.code}


class BundleListView(FinanceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page_obj = self.page(bundle_list_for_staff(user=request.user))
        return render(request, "payments/staff/bundle_list.html", {"page_obj": page_obj})


class BundleEditView(OfferEditView):
    """Create (no bundle_id) or edit a bundle."""

    object_name = "bundle"
    template_name = "payments/staff/bundle_form.html"
    saved_url_name = "payments_staff:bundles"

    def lookup(self, object_id: int):
        bundle = bundle_get_for_staff(user=self.request.user, bundle_id=object_id)
        if bundle is None:
            raise Http404(_("No such bundle in your institutions."))
        return bundle

    def make_form(self, bundle, data=None) -> BundleForm:
        return BundleForm(data, instance=bundle, institutions=finance_institutions(user=self.request.user))

    def create(self, form):
        return bundle_create(
            institution=form.cleaned_data["institution"],
            attributes=form.attributes(),
            actor=self.request.user,
        )

    def update(self, bundle, form):
        return bundle_update(bundle=bundle, changes=form.attributes(), actor=self.request.user)

    def saved_message(self, bundle) -> str:
        return _("Bundle %(name)s saved.") % {"name": bundle.name}


class BankStatementImportView(FinanceMixin, View):
    def make_form(self, data=None, files=None) -> BankStatementForm:
        return BankStatementForm(data, files, institutions=finance_institutions(user=self.request.user))

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "payments/staff/bank_import.html", {"form": self.make_form()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.make_form(request.POST, request.FILES)
        summary = None
        if form.is_valid():
            try:
                summary = bank_statement_import(
                    institution=form.cleaned_data["institution"],
                    content=form.cleaned_data["statement"],
                    actor=request.user,
                )
            except ApplicationError as error:
                form_add_service_error(form, error)
        return render(request, "payments/staff/bank_import.html", {"form": form, "summary": summary})


class _Echo:
    def write(self, value):
        return value


def _spreadsheet_safe(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet; amounts keep their sign.
    if value[:1] in ("=", "+", "@") or (value[:1] == "-" and not value[1:2].isdigit()):
        return "'" + value
    return value


class ExportView(FinanceMixin, View):
    ROWS = {
        "invoices": (INVOICE_EXPORT_HEADER, invoice_export_rows),
        "payments": (PAYMENT_EXPORT_HEADER, payment_export_rows),
        "refunds": (REFUND_EXPORT_HEADER, refund_export_rows),
    }

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ExportForm(request.GET or None)
        if not form.is_valid():
            return render(request, "payments/staff/exports.html", {"form": form})
        kind, start, end = form.cleaned_data["kind"], form.cleaned_data["start"], form.cleaned_data["end"]
        header, rows = self.ROWS[kind]
        writer = csv.writer(_Echo())
        lines = (
            writer.writerow([_spreadsheet_safe(str(cell)) for cell in row])
            for row in [
                header,
                *rows(institutions=finance_institutions(user=request.user), start=start, end=end),
            ]
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}-{start}-{end}.csv"'
        return response
