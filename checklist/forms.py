"""Forms of the checklist pages: the activity answer, evidence (link or file), the dashboard filter."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ActivityStatus
from .services import MAX_EVIDENCE_BYTES


class ResponsibleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name()


class AssessmentForm(forms.Form):
    """The answer for one activity; fields the user may not change are left out."""

    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)
    responsible = ResponsibleChoiceField(
        label=_("Responsible person"), queryset=None, required=False, empty_label=_("Nobody yet")
    )
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    remarks = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )

    def __init__(self, *args, editable_fields: frozenset[str], people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = people
        for name in list(self.fields):
            if name not in editable_fields:
                del self.fields[name]

    def service_arguments(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class EvidenceLinkForm(forms.Form):
    title = forms.CharField(label=_("Title of the link"), max_length=200)
    url = forms.URLField(label=_("Web address"), max_length=1000, assume_scheme="https")


class EvidenceFileForm(forms.Form):
    title = forms.CharField(label=_("Title of the file"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG, DOCX, XLSX, ODT or CSV; at most %(size)s MB.")
        % {"size": MAX_EVIDENCE_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.csv"}),
    )


class ResponsibleFilterForm(forms.Form):
    responsible = ResponsibleChoiceField(
        label=_("Responsible person"), queryset=None, required=False, empty_label=_("Everyone")
    )

    def __init__(self, *args, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = people
