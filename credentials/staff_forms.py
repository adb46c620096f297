"""Forms of the staff credential pages: the batch's idempotency key, and the revoke, suspend, reinstate,
reissue and name-change decision forms (each with a mandatory reason and a confirmation)."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from credentials.choices import RevocationReason, SuspensionReason


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


# --- revocation, suspension and correction ---------------------------------------------------

# Superseded is set by a reissue only: choosing it by hand would claim a replacement that is not there.
STAFF_REVOCATION_REASONS = [
    (value, label) for value, label in RevocationReason.choices if value != RevocationReason.SUPERSEDED
]


def _note_field(label):
    return forms.CharField(
        label=label,
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit trail and sent to the holder by e-mail."),
    )


def _confirm_field(label):
    return forms.BooleanField(label=label, required=True, error_messages={"required": _("Tick to confirm.")})


class CredentialRevokeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=STAFF_REVOCATION_REASONS)
    note = _note_field(_("Explanation"))
    confirm = _confirm_field(_("I understand that revocation is permanent and public."))


class CredentialSuspendForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=SuspensionReason.choices)
    note = _note_field(_("Explanation"))
    confirm = _confirm_field(_("Suspend this credential: verifiers will be told it is not in force."))


class CredentialReinstateForm(forms.Form):
    note = _note_field(_("Why the suspension ends"))
    confirm = _confirm_field(_("Reinstate this credential: verifiers will be told it is valid again."))


class CredentialReissueForm(forms.Form):
    note = _note_field(_("What is corrected"))
    confirm = _confirm_field(
        _("Issue a corrected version from today's records; this version is revoked as superseded.")
    )


class NameChangeDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve: reissue with the new name")), (REJECT, _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (required to reject; sent to the learner)"),
        max_length=2000,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.REJECT and not cleaned.get("note"):
            self.add_error("note", _("Say why the name change is rejected."))
        return cleaned
