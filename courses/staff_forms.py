"""Forms of the staff course pages: the course editor with ordered outcomes, runs and reasons."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mcportal.core.exceptions import FieldProblem
from mcportal.core.models import Institution

from .choices import CourseStatus, Language
from .models import Course, CourseRun
from .services import COURSE_EDITABLE_FIELDS, COURSE_RUN_EDITABLE_FIELDS


@dataclass(frozen=True)
class Fieldset:
    """A group of the course form; mandatory ones hold elements needed before publishing."""

    key: str
    legend: str
    description: str
    fields: tuple[str, ...]
    mandatory: bool = False


FIELDSETS: tuple[Fieldset, ...] = (
    Fieldset(
        "identity", _("Identity"),
        _("Title of the microcredential and the bodies that award it."),
        ("title", "code", "slug", "institution", "partner_institutions"),
        mandatory=True,
    ),
    Fieldset(
        "outcomes", _("Learning outcomes"),
        _("What a learner knows, understands and can do after the course: one statement per "
          "box, in the order they should appear."),
        (),
        mandatory=True,
    ),
    Fieldset(
        "workload", _("Workload and level"),
        _("Notional workload in hours and ECTS credits, and the level on the EQF (and QF-EHEA)."),
        ("workload_hours", "ects_credits", "eqf_level", "qf_ehea_cycle"),
        mandatory=True,
    ),
    Fieldset(
        "assessment", _("Assessment"),
        _("How the learning outcomes are assessed."),
        ("assessment_type", "assessment_details"),
        mandatory=True,
    ),
    Fieldset(
        "participation", _("Participation"),
        _("Form of participation and the languages of teaching and assessment."),
        ("participation_form", "languages"),
        mandatory=True,
    ),
    Fieldset(
        "quality", _("Quality assurance"),
        _("The quality assurance that underpins the microcredential."),
        ("quality_assurance_type", "quality_assurance_details"),
        mandatory=True,
    ),
    Fieldset(
        "optional", _("Optional elements"),
        _("Elements the Recommendation lists as optional; state them where they apply."),
        (
            "prerequisites", "supervision_verification", "grading_scheme", "stackability",
            "stackability_details", "further_information", "further_information_url",
        ),
    ),
    Fieldset(
        "catalogue", _("Catalogue information"),
        _("What the public catalogue shows besides the EU elements."),
        ("summary", "description", "field_of_study", "target_groups"),
    ),
    Fieldset(
        "validity", _("Validity"),
        _("How long the issued credential stays valid."),
        ("validity_months",),
    ),
)

# Model field order inside the form follows the fieldsets, so errors read top to bottom.
_COURSE_MODEL_FIELDS = [
    name for fieldset in FIELDSETS for name in fieldset.fields if name in COURSE_EDITABLE_FIELDS
]

_COURSE_WIDGETS = {
    "summary": forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    "description": forms.Textarea(attrs={"rows": 8}),
    "assessment_details": forms.Textarea(attrs={"rows": 3}),
    "quality_assurance_details": forms.Textarea(attrs={"rows": 3}),
    "prerequisites": forms.Textarea(attrs={"rows": 3}),
    "stackability_details": forms.Textarea(attrs={"rows": 2}),
    "further_information": forms.Textarea(attrs={"rows": 3}),
    "target_groups": forms.Textarea(attrs={"rows": 2}),
}

_COURSE_HELP_TEXTS = {
    "title": _("The name learners see in the catalogue and on the credential."),
    "code": _("The institution's own course code, if it has one."),
    "workload_hours": _(
        "All the work a typical learner needs: contact hours, self-study and assessment."
    ),
    "ects_credits": _("One ECTS credit stands for 25–30 hours of work."),
    "eqf_level": _("Level of the learning outcomes on the European Qualifications Framework."),
    "qf_ehea_cycle": _(
        "Only for higher-education courses. Must match the EQF level: short cycle 5, "
        "first 6, second 7, third 8."
    ),
    "assessment_details": _("A sentence or two on how the outcomes are assessed."),
    "quality_assurance_details": _("The QA body or procedure, with a link where possible."),
    "supervision_verification": _("How the assessment is supervised and the learner identified."),
    "summary": _("One or two sentences for the catalogue card (at most 300 characters)."),
    "field_of_study": _("ISCED-F 2013 narrow field."),
}


def _formfield(db_field: models.Field, **kwargs) -> forms.Field | None:
    # Links typed without a scheme are read as https (Django 6's default, set explicitly).
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


def apply_problems(form: forms.Form, problems: Iterable[FieldProblem]) -> list[FieldProblem]:
    """Attach each service problem to its form field (or to the form); return the ones left over.

    Problems whose field the form does not have are returned so the caller can place them
    (e.g. the outcome list); problems without a field become non-field errors.
    """
    leftover = []
    for problem in problems:
        if problem.field and problem.field in form.fields:
            form.add_error(problem.field, problem.message)
        elif problem.field:
            leftover.append(problem)
        else:
            form.add_error(None, problem.message)
    return leftover


class CourseForm(forms.Form):
    """The course's own fields. It only validates: courses.services saves."""

    def __init__(self, *args, institutions: QuerySet[Institution] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Course, fields=_COURSE_MODEL_FIELDS, widgets=_COURSE_WIDGETS,
                formfield_callback=_formfield,
            )
        )
        for name, help_text in _COURSE_HELP_TEXTS.items():
            self.fields[name].help_text = help_text
        self.fields["languages"] = forms.MultipleChoiceField(
            label=_("Languages"),
            choices=sorted(Language.choices, key=lambda choice: str(choice[1])),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Languages in which the course is taught and assessed."),
        )
        self.fields["partner_institutions"] = forms.ModelMultipleChoiceField(
            label=_("Joint awarding institutions"),
            queryset=Institution.objects.order_by("short_name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Other institutions that award this microcredential jointly, if any."),
        )
        # Institution and web address are chosen once, at creation; the services do not move
        # a course between institutions or change its public address.
        if institutions is not None:
            self.fields["institution"] = forms.ModelChoiceField(
                label=_("Lead awarding institution"),
                queryset=institutions,
                empty_label=None if len(institutions) == 1 else "---------",
                help_text=_("Owns the course; its staff edit it. Cannot be changed later."),
            )
            self.fields["slug"] = forms.SlugField(
                label=_("Web address"),
                max_length=120,
                required=False,
                help_text=_("Leave empty to derive it from the title. Cannot be changed later."),
            )
        self.order_fields([name for fieldset in FIELDSETS for name in fieldset.fields])

    def attributes(self, *, changed_only: bool = False) -> dict[str, Any]:
        """The model attributes for the services (only those changed, when asked)."""
        names = self.changed_data if changed_only else self.cleaned_data
        return {name: self.cleaned_data[name] for name in names if name in COURSE_EDITABLE_FIELDS}


class OutcomeForm(forms.Form):
    statement = forms.CharField(
        label=_("Learning outcome"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BaseOutcomeFormSet(forms.BaseFormSet):
    """Ordered outcome statements; without JavaScript, number them to order, tick to remove."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        form.fields[forms.formsets.ORDERING_FIELD_NAME].label = _("Position")
        form.fields[forms.formsets.ORDERING_FIELD_NAME].widget.attrs.update(
            {"class": "outcome__order", "min": 1}
        )
        form.fields[forms.formsets.DELETION_FIELD_NAME].label = _("Remove")

    def statements(self) -> list[str]:
        """Non-empty statements in the requested order (call after is_valid())."""
        return [
            form.cleaned_data["statement"].strip()
            for form in self.ordered_forms
            if form.cleaned_data.get("statement", "").strip()
        ]


OutcomeFormSet = forms.formset_factory(
    OutcomeForm,
    formset=BaseOutcomeFormSet,
    extra=2,
    can_order=True,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


class CourseEditor:
    """The course form and its outcome list, validated together for create and edit.

    On a refusal from the services, add_problems() puts each problem back on its field so that
    the page re-renders with the input as typed.
    """

    outcome_prefix = "outcomes"

    def __init__(
        self,
        data=None,
        *,
        course: Course | None = None,
        institutions: QuerySet[Institution] | None = None,
    ) -> None:
        self.course = course
        self._initial_statements = (
            [outcome.statement for outcome in course.outcomes.all()] if course else []
        )
        self.form = CourseForm(
            data,
            initial=self._initial(course) if course else None,
            institutions=institutions,
        )
        if course is not None:
            # The lead institution awards the course anyway; it is never its own partner.
            partners = self.form.fields["partner_institutions"]
            partners.queryset = partners.queryset.exclude(pk=course.institution_id)
        self.outcomes = OutcomeFormSet(
            data,
            initial=[{"statement": s} for s in self._initial_statements] or None,
            prefix=self.outcome_prefix,
        )
        self.outcome_errors: list[str] = []

    @staticmethod
    def _initial(course: Course) -> dict[str, Any]:
        initial = {name: getattr(course, name) for name in COURSE_EDITABLE_FIELDS}
        initial["languages"] = [language.language for language in course.languages.all()]
        initial["partner_institutions"] = [p.pk for p in course.partner_institutions.all()]
        return initial

    def is_valid(self) -> bool:
        form_valid = self.form.is_valid()
        return self.outcomes.is_valid() and form_valid

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors or self.outcome_errors or self.outcomes.total_error_count())

    def fieldsets(self) -> list[tuple[Fieldset, list[forms.BoundField]]]:
        return [
            (fieldset, [self.form[name] for name in fieldset.fields if name in self.form.fields])
            for fieldset in FIELDSETS
        ]

    def create_arguments(self) -> dict[str, Any]:
        """Keyword arguments for courses.services.course_create (call after is_valid())."""
        data = self.form.cleaned_data
        return {
            "institution": data["institution"],
            "slug": data["slug"] or None,
            "attributes": self.form.attributes(),
            "outcomes": self.outcomes.statements(),
            "languages": data["languages"],
            "partner_institutions": list(data["partner_institutions"]),
        }

    def update_arguments(self) -> dict[str, Any]:
        """Keyword arguments for course_update with only what changed (call after is_valid())."""
        data, changed = self.form.cleaned_data, self.form.changed_data
        statements = self.outcomes.statements()
        return {
            "changes": self.form.attributes(changed_only=True),
            "outcomes": statements if statements != self._initial_statements else None,
            "languages": data["languages"] if "languages" in changed else None,
            "partner_institutions": (
                list(data["partner_institutions"]) if "partner_institutions" in changed else None
            ),
        }

    @staticmethod
    def has_changes(arguments: dict[str, Any]) -> bool:
        return bool(arguments["changes"]) or any(
            arguments[name] is not None
            for name in ("outcomes", "languages", "partner_institutions")
        )

    def add_problems(self, problems: Iterable[FieldProblem]) -> None:
        for problem in apply_problems(self.form, problems):
            if problem.field == "outcomes":
                self.outcome_errors.append(problem.message)
            else:
                self.form.add_error(None, problem.message)


class UTCDateTimeField(forms.DateTimeField):
    """A date and time typed without a zone and read as UTC, whatever zone is active."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        with timezone.override(dt.UTC):
            return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return super().prepare_value(value)


class CourseRunForm(forms.Form):
    """A run's dates, enrolment window (UTC), capacity, price and place. courses.services saves."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                CourseRun,
                fields=[
                    "label", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at",
                    "capacity", "price_amount", "currency", "location",
                    "price_partner_amount", "price_corporate_amount",
                ],
                widgets={
                    "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                },
                field_classes={
                    "enrolment_opens_at": UTCDateTimeField,
                    "enrolment_closes_at": UTCDateTimeField,
                },
                labels={
                    "enrolment_opens_at": _("Enrolment opens (UTC)"),
                    "enrolment_closes_at": _("Enrolment closes (UTC)"),
                },
                help_texts={
                    "enrolment_opens_at": _("Date and time in UTC, not your local time."),
                    "enrolment_closes_at": _(
                        "Date and time in UTC; enrolment closes at this moment."
                    ),
                },
            )
        )

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The run cannot end before it starts."))
        opens, closes = cleaned.get("enrolment_opens_at"), cleaned.get("enrolment_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("enrolment_closes_at", _("Enrolment must close after it opens."))
        return cleaned

    def attributes(self, *, changed_only: bool = False) -> dict[str, Any]:
        """The run attributes for the services (only those changed, when asked)."""
        names = self.changed_data if changed_only else self.cleaned_data
        return {
            name: self.cleaned_data[name] for name in names if name in COURSE_RUN_EDITABLE_FIELDS
        }


def course_run_initial(run: CourseRun) -> dict[str, Any]:
    return {name: getattr(run, name) for name in COURSE_RUN_EDITABLE_FIELDS}


class ReasonForm(forms.Form):
    """The reason recorded in the audit trail for a withdrawal, an archiving or a cancellation."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit trail."),
    )


class StaffCourseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *CourseStatus.choices],
        required=False,
    )
