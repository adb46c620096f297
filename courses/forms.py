"""Forms of the public catalogue: the filter form is shared by the HTML catalogue and the API."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import (
    CatalogueSort,
    EQFLevel,
    FieldOfStudy,
    Language,
    ParticipationForm,
    PriceFilter,
)
from .selectors import CatalogueFilters, institution_choices_in_catalogue


class CatalogueFilterForm(forms.Form):
    """Query parameters of the catalogue (?q=&eqf=6&eqf=7&lang=en&form=online&…), all optional."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    eqf = forms.TypedMultipleChoiceField(
        label=_("EQF level"), choices=EQFLevel.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    ects_min = forms.DecimalField(
        label=_("ECTS from"), required=False, min_value=Decimal(0), max_value=Decimal(60),
        decimal_places=1,
    )
    ects_max = forms.DecimalField(
        label=_("ECTS to"), required=False, min_value=Decimal(0), max_value=Decimal(60),
        decimal_places=1,
    )
    lang = forms.MultipleChoiceField(
        label=_("Language"), choices=Language.choices, required=False,
    )
    form = forms.MultipleChoiceField(
        label=_("Form of participation"), choices=ParticipationForm.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field = forms.MultipleChoiceField(
        label=_("Field of study"), choices=FieldOfStudy.choices, required=False,
    )
    price = forms.ChoiceField(
        label=_("Price"), choices=[("", _("Any price")), *PriceFilter.choices], required=False,
    )
    institution = forms.ChoiceField(label=_("Institution"), required=False)
    soon = forms.BooleanField(label=_("Starting soon"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"), choices=CatalogueSort.choices, required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = [
            ("", _("All institutions")), *institution_choices_in_catalogue()
        ]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("ects_min"), cleaned.get("ects_max")
        if low is not None and high is not None and low > high:
            self.add_error("ects_max", _("The upper ECTS bound is below the lower one."))
        return cleaned

    def to_filters(self) -> CatalogueFilters:
        """The validated parameters as selector filters (call after is_valid())."""
        data = self.cleaned_data
        return CatalogueFilters(
            query=data.get("q") or "",
            eqf_levels=tuple(data.get("eqf") or ()),
            ects_min=data.get("ects_min"),
            ects_max=data.get("ects_max"),
            languages=tuple(data.get("lang") or ()),
            participation_forms=tuple(data.get("form") or ()),
            fields_of_study=tuple(data.get("field") or ()),
            price=data.get("price") or "",
            institution=data.get("institution") or "",
            starting_soon=bool(data.get("soon")),
            sort=data.get("sort") or CatalogueSort.RELEVANCE,
        )
