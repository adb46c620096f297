"""Forms of the learner's enrolment pages: the optional reason given when withdrawing or cancelling."""

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
