"""Forms of the staff credential pages: the batch's idempotency key, generated when the page rendered."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _


def idempotency_key_new() -> str:
    """A fresh random key (43 URL-safe characters) that ties one rendered form to one batch."""
    return secrets.token_urlsafe(32)


class BatchCreateForm(forms.Form):
    """ "Issue all": the hidden key makes a double submit of the same page create one batch."""

    idempotency_key = forms.RegexField(
        label=_("Idempotency key"),
        regex=r"^[A-Za-z0-9_-]{16,64}$",
        widget=forms.HiddenInput,
        error_messages={"invalid": _("This form has expired; reload the page and try again.")},
    )
