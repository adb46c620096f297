"""Forms of the staff run pages: roster filters, bulk progress, results, CSV import, structure, payments.

Forms only parse and validate input; enrollment.services decides and saves, and its problems are
put back on the form's fields by mcportal.core.forms.form_add_problems.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .choices import AssessmentKind, EnrollmentStatus
from .models import Assessment, Unit
from .results_import import MAX_IMPORT_BYTES
from .selectors import ROSTER_DEFAULT_ORDERING, ROSTER_ORDERINGS

SORT_LABELS = {
    "name": _("Name (A–Z)"),
    "-name": _("Name (Z–A)"),
    "email": _("E-mail (A–Z)"),
    "-email": _("E-mail (Z–A)"),
    "status": _("Status"),
    "-status": _("Status (reversed)"),
    "progress": _("Progress (least first)"),
    "-progress": _("Progress (most first)"),
    "score": _("Weighted score (lowest first)"),
    "-score": _("Weighted score (highest first)"),
    "enrolled": _("Enrolled (oldest first)"),
    "-enrolled": _("Enrolled (newest first)"),
}


class RosterFilterForm(forms.Form):
    """Status, a search in names and e-mail addresses, and the order of the roster."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *EnrollmentStatus.choices]
    )
    q = forms.CharField(label=_("Name or e-mail"), required=False, max_length=200)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(key, SORT_LABELS.get(key, key)) for key in ROSTER_ORDERINGS],
    )

    def filters(self) -> dict[str, Any]:
        """The valid part of the query: bad values fall back to no filter and the default order."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or None,
            "search": data.get("q", ""),
            "ordering": data.get("sort") or ROSTER_DEFAULT_ORDERING,
        }


class IdListField(forms.Field):
    """Several integer ids posted under one name (checkboxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose learners from the list.")}

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return sorted({int(item) for item in values})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class BulkProgressForm(forms.Form):
    """Mark one unit as attended for the learners ticked on the roster."""

    enrollments = IdListField(
        label=_("Learners"), error_messages={"required": _("Tick at least one learner.")}
    )
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)

    def __init__(self, *args, units: list[Unit], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(unit.pk, str(unit)) for unit in units]


class ResultForm(forms.Form):
    """One score for one assessment of one learner; a correction needs a reason."""

    assessment = forms.TypedChoiceField(label=_("Assessment"), coerce=int)
    score = forms.DecimalField(
        label=_("Score (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    reason = forms.CharField(
        label=_("Reason for a correction"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you change a score already recorded; the learner's history shows it."),
    )

    def __init__(self, *args, assessments: list[Assessment], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = [(assessment.pk, assessment.title) for assessment in assessments]


class ResultsImportForm(forms.Form):
    """A CSV file of results (email, assessment, score[, reason]); check only, or import."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: email, assessment (title or number), score, and optionally reason. "
            "UTF-8; separated by commas or semicolons; at most 5 MB."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for corrections"),
        required=False,
        max_length=1000,
        help_text=_("Used for every corrected score whose row gives no reason of its own."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; import nothing"), required=False)

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; split it."), code="too_large")
        return upload.read()


class UnitForm(forms.Form):
    """A unit of the run: title, description, optional due date."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    price_amount = forms.DecimalField(
        label=_("Price of this unit (optional)"), required=False, max_digits=10, decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_(
            "Only for a priced run: set it to sell this unit on its own (in the run's currency, "
            "standard price; partner and corporate learners get the run's tier discount). Leave "
            "empty to include the unit with every purchase."
        ),
    )

    def __init__(self, *args, run=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, unit: Unit) -> dict[str, Any]:
        return {name: getattr(unit, name) for name in cls.base_fields}

    def attributes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class AssessmentForm(forms.Form):
    """An assessment of the run: kind, weight, pass mark, and how it is supervised."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AssessmentKind.choices)
    weight = forms.DecimalField(
        label=_("Weight (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        help_text=_("Share of the final grade; the weights of the run add up to 100."),
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        initial=Decimal("50"),
    )
    is_required = forms.BooleanField(
        label=_("Required: a learner must pass it to complete the course"), required=False, initial=True
    )
    is_supervised = forms.BooleanField(label=_("Supervised"), required=False)
    identity_verified = forms.BooleanField(label=_("The learner's identity is verified"), required=False)
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(
        label=_("Unit it assesses (optional)"), queryset=Unit.objects.none(), required=False,
        empty_label=_("The whole course"),
        help_text=_("Where units are sold separately, only learners who bought the unit are assessed in it."),
    )

    def __init__(self, *args, run=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if run is not None:
            self.fields["unit"].queryset = Unit.objects.filter(run=run).order_by("position")

    @classmethod
    def initial_for(cls, assessment: Assessment) -> dict[str, Any]:
        return {name: getattr(assessment, name) for name in cls.base_fields}

    def attributes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class RequiredReasonForm(forms.Form):
    """A reason the audit trail keeps (how a payment was made)."""

    reason = forms.CharField(
        label=_("How was it paid?"),
        max_length=1000,
        help_text=_("e.g. the bank transfer reference and date; the audit trail keeps it."),
    )
