"""Forms of the learner's enrolment pages: the reason for leaving, and the checkout (tier, units, buyer)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LeaveReasonForm(forms.Form):
    """Why the learner leaves; optional for the learner, kept in the audit trail when given."""

    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("It helps the course team; you do not have to give one."),
    )


class CheckoutForm(forms.Form):
    """Tier, voucher and the buyer's invoice details; it has no price field: the server computes totals."""

    tier = forms.ChoiceField(label=_("I am paying as"), widget=forms.RadioSelect)
    voucher_code = forms.CharField(label=_("Voucher code (optional)"), required=False, max_length=40)
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail for the invoice"))
    address = forms.CharField(
        label=_("Billing address"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    company = forms.CharField(
        label=_("Institution or company (optional)"), required=False, max_length=200,
        help_text=_("Required for the partner and corporate prices and with a VAT id."),
    )
    vat_id = forms.CharField(
        label=_("VAT id (optional)"), required=False, max_length=32,
        help_text=_("A business with a VAT id from another EU country pays without VAT (reverse charge)."),
    )

    def __init__(
        self, *args, tier_choices: list[tuple[str, str]], unit_choices: list[tuple[int, str]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_choices
        self.fields["tier"].initial = tier_choices[0][0]
        if unit_choices is not None:
            # Pay-per-module: only the units still for sale are choices, so a tampered id is a
            # field error here, and the service checks again.
            self.fields["units"] = forms.TypedMultipleChoiceField(
                label=_("Units to buy"), choices=unit_choices, coerce=int,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Choose at least one unit to buy.")},
            )
            self.order_fields(["units", "tier"])


class BundleCheckoutForm(CheckoutForm):
    """A bundle has one flat fee, so no tier; the rest as for a single course."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, tier_choices=[("individual", "")], **kwargs)
        del self.fields["tier"]
