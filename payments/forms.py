"""Forms of payments: the buyer's choice of provider and finance's refund, transfer, review, voucher forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .choices import OrderStatus, PaymentStatus, ProviderName, RefundStatus, VoucherKind
from .models import Bundle, Voucher


def enabled_providers() -> list[tuple[str, str]]:
    """The providers buyers may choose, in the configured order (the first is the default)."""
    labels = dict(ProviderName.choices)
    return [(name, labels[name]) for name in settings.MCPORTAL_PAYMENT_PROVIDERS if name in labels]


class ProviderChoiceForm(forms.Form):
    provider = forms.ChoiceField(label=_("How do you want to pay?"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = enabled_providers()
        self.fields["provider"].choices = choices
        if choices:
            self.fields["provider"].initial = choices[0][0]


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit trail and printed on the credit note."),
    )


class BankTransferForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount received"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.CharField(label=_("Currency"), max_length=3)
    transaction_id = forms.CharField(
        label=_("Bank transaction id"),
        max_length=255,
        help_text=_("As on the bank statement; each transaction counts once."),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class ReviewResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("accept", _("Accept the payment (the order counts as paid)")),
            ("keep", _("Do not accept (refund the money from the payment below)")),
        ],
    )
    note = forms.CharField(label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OrderCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BankStatementForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=None)
    statement = forms.FileField(
        label=_("Bank statement (CSV)"),
        help_text=_("UTF-8 CSV with the columns date, amount, currency, reference, transaction_id."),
    )

    def __init__(self, *args, institutions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        if institutions.count() == 1:
            self.fields["institution"].initial = institutions.first()

    def clean_statement(self):
        upload = self.cleaned_data["statement"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from error


class ExportForm(forms.Form):
    KINDS = [
        ("invoices", _("Invoices and credit notes")),
        ("payments", _("Payments")),
        ("refunds", _("Refunds")),
    ]
    kind = forms.ChoiceField(label=_("What"), choices=KINDS)
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period must end after it starts."))
        if start and end and (end - start) > dt.timedelta(days=366 * 5):
            self.add_error("end", _("Export at most five years at once."))
        return cleaned


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, help_text=_("Payment reference, buyer name, e-mail or company.")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + list(OrderStatus.choices)
    )
    needs_review = forms.BooleanField(label=_("Only orders that need review"), required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_until = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + list(PaymentStatus.choices)
    )
    provider = forms.ChoiceField(
        label=_("Provider"), required=False, choices=[("", _("Any"))] + list(ProviderName.choices)
    )


class RefundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + list(RefundStatus.choices)
    )


def _datetime_local_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PurchasablesOfferForm(forms.ModelForm):
    """What the voucher and bundle forms share: an institution (new offers only), the purchasables
    typed as comma-separated references, and validation left to payments.services.

    Subclasses declare the ``purchasables_text`` and ``institution`` fields and their Meta.
    """

    def __init__(self, *args, institutions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        if self.instance.pk:
            del self.fields["institution"]
            self.fields["purchasables_text"].initial = ", ".join(self.instance.purchasables)
        elif institutions.count() == 1:
            self.fields["institution"].initial = institutions.first()

    def _post_clean(self) -> None:
        # Validation is the service's; the model instance is not touched by the form.
        return None

    def attributes(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["purchasables"] = [
            part.strip() for part in self.cleaned_data["purchasables_text"].split(",") if part.strip()
        ]
        return data


class VoucherForm(PurchasablesOfferForm):
    """Validates a voucher's fields; payments.services saves."""

    purchasables_text = forms.CharField(
        label=_("Restricted to"),
        required=False,
        help_text=_("References separated by commas, e.g. run:12, run:15; empty for every course."),
    )
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=None)

    class Meta:
        model = Voucher
        fields = ["code", "kind", "value", "currency", "max_uses", "valid_from", "valid_until", "is_active"]
        widgets = {
            "valid_from": _datetime_local_input(),
            "valid_until": _datetime_local_input(),
        }

    def __init__(self, *args, institutions, **kwargs) -> None:
        super().__init__(*args, institutions=institutions, **kwargs)
        self.fields["kind"].choices = VoucherKind.choices


class BundleForm(PurchasablesOfferForm):
    """Validates a bundle's fields; payments.services saves."""

    purchasables_text = forms.CharField(
        label=_("Includes"),
        help_text=_("Run references separated by commas, e.g. run:12, run:15."),
    )
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=None)

    class Meta:
        model = Bundle
        fields = ["name", "description", "price_amount", "currency", "valid_from", "valid_until", "is_active"]
        widgets = {
            "valid_from": _datetime_local_input(),
            "valid_until": _datetime_local_input(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

