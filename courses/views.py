"""Public HTML pages of courses: the catalogue and a course's page (no login needed)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from mcportal.core import clock
from mcportal.core.page_cache import cache_public_page

from .forms import CatalogueFilterForm
from .models import CourseRun
from .selectors import CATALOGUE_CACHE_NAMESPACE, course_get_published, course_list_published
from .structured_data import course_structured_data, structured_data_json
from .validation import ELEMENTS, course_publication_report

# The filters in the order their chips appear; True marks a parameter that may repeat
# (?eqf=6&eqf=7), whose values each get a chip of their own.
_FILTER_PARAMETERS = (
    ("q", False),
    ("eqf", True),
    ("ects_min", False),
    ("ects_max", False),
    ("lang", True),
    ("form", True),
    ("field", True),
    ("price", False),
    ("institution", False),
    ("soon", False),
)


@dataclass(frozen=True)
class FilterChip:
    """One active filter, and the query string of the catalogue without it."""

    label: str
    query: str


@dataclass(frozen=True)
class RunRow:
    """An upcoming run and where its enrolment window stands right now."""

    run: CourseRun
    enrolment: str  # "open", "not_yet_open" or "closed"


def _query_without(params: QueryDict, name: str, value: str | None = None) -> str:
    query = params.copy()
    query.pop("page", None)
    if value is None:
        query.pop(name, None)
    else:
        query.setlist(name, [raw for raw in query.getlist(name) if raw != value])
    return query.urlencode()


def _chip_label(form: CatalogueFilterForm, name: str, value) -> str:
    if name == "q":
        return _("Search: “%(text)s”") % {"text": value}
    if name == "ects_min":
        return _("From %(ects)s ECTS") % {"ects": value.normalize()}
    if name == "ects_max":
        return _("Up to %(ects)s ECTS") % {"ects": value.normalize()}
    if name == "soon":
        return str(form.fields["soon"].label)
    labels = {str(key): label for key, label in form.fields[name].choices}
    return str(labels.get(str(value), value))


def _active_filter_chips(form: CatalogueFilterForm, params: QueryDict) -> list[FilterChip]:
    """Chips for the filters that were valid and applied, each linking to the query without it."""
    chips = []
    for name, repeats in _FILTER_PARAMETERS:
        value = form.cleaned_data.get(name)
        if repeats:
            chips.extend(
                FilterChip(_chip_label(form, name, item), _query_without(params, name, str(item)))
                for item in value or ()
            )
        elif value not in (None, "", False):
            chips.append(FilterChip(_chip_label(form, name, value), _query_without(params, name)))
    return chips


@cache_public_page(CATALOGUE_CACHE_NAMESPACE)
def catalogue_view(request: HttpRequest) -> HttpResponse:
    """List published courses; bad filter input is reported on its field, the rest applies."""
    form = CatalogueFilterForm(data=request.GET)
    # Invalid fields drop out of cleaned_data, so to_filters() keeps only the valid part.
    form.is_valid()
    courses = course_list_published(filters=form.to_filters())
    page_obj = Paginator(courses, settings.MCPORTAL_CATALOGUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    sort = request.GET.get("sort")
    return render(
        request,
        "courses/catalogue.html",
        {
            "form": form,
            "page_obj": page_obj,
            "courses": page_obj.object_list,
            "chips": _active_filter_chips(form, request.GET),
            "starting_soon_days": settings.MCPORTAL_STARTING_SOON_DAYS,
            # Clearing the filters keeps the visitor's chosen order.
            "clear_query": _query_only(sort=sort) if sort else "",
        },
    )


def _query_only(**params: str) -> str:
    query = QueryDict(mutable=True)
    query.update(params)
    return query.urlencode()


def _run_rows(runs: list[CourseRun], moment: dt.datetime) -> list[RunRow]:
    rows = []
    for run in runs:
        if run.enrolment_is_open_at(moment):
            enrolment = "open"
        elif moment < run.enrolment_opens_at:
            enrolment = "not_yet_open"
        else:
            enrolment = "closed"
        rows.append(RunRow(run=run, enrolment=enrolment))
    return rows


def course_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a published course with every element of the EU Recommendation; 404 otherwise."""
    course = course_get_published(slug=slug)
    if course is None:
        raise Http404(_("No published course has this address."))
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "labels": {element.key: element.label for element in ELEMENTS},
            "present": course_publication_report(course).present,
            "run_rows": _run_rows(course.upcoming_runs, clock.now()),
            "structured_data": structured_data_json(course_structured_data(course)),
        },
    )
