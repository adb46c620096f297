"""The verify-a-file form: upload a JSON-LD credential or a sealed PDF, or paste the JSON."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyFileForm(forms.Form):
    document = forms.FileField(
        label=_("Credential file (JSON or PDF)"),
        required=False,
        help_text=_("The signed JSON-LD file, or the sealed PDF certificate. At most 2 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".json,.jsonld,.pdf,application/json,application/pdf"}
        ),
    )
    pasted = forms.CharField(
        label=_("…or paste the JSON"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "monospace"}),
    )

    def __init__(self, *args, max_bytes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["document"].help_text = _(
            "The signed JSON-LD file, or the sealed PDF certificate. At most %(size)s KiB."
        ) % {"size": max_bytes // 1024}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("document") and not cleaned.get("pasted"):
            raise forms.ValidationError(_("Choose a file or paste a credential."), code="required")
        if cleaned.get("document") and cleaned.get("pasted"):
            raise forms.ValidationError(_("Give either a file or pasted text, not both."), code="both")
        return cleaned

    @property
    def too_large(self) -> bool:
        """Whether the upload (or pasted text) is over the limit; decided before reading it."""
        upload = self.cleaned_data.get("document")
        if upload is not None:
            return upload.size > self.max_bytes
        return len(self.cleaned_data.get("pasted", "").encode("utf-8")) > self.max_bytes

    def read(self) -> bytes:
        upload = self.cleaned_data.get("document")
        if upload is not None:
            return upload.read(self.max_bytes + 1)
        return self.cleaned_data["pasted"].encode("utf-8")
