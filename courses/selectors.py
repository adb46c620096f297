"""Reads of courses used by the catalogue, the API, staff pages and other apps.

The catalogue queries are shaped so that a page costs a fixed number of SQL queries whatever
the number of courses: annotations for the next run and lowest price, prefetches for the rest.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from mcportal.core import clock
from mcportal.core.models import Institution
from mcportal.core.roles import Capability, institutions_for_capability

from .choices import CatalogueSort, CourseStatus, PriceFilter
from .models import Course, CourseLanguage, CourseRun, LearningOutcome

# Cached catalogue pages belong to this namespace; courses.services bumps it on every change.
CATALOGUE_CACHE_NAMESPACE = "catalogue"


CATALOGUE_CARD_DEFERRED_FIELDS = (
    "description", "assessment_details", "quality_assurance_details", "prerequisites",
    "stackability_details", "further_information", "target_groups",
    "institution__street_address", "institution__logo", "institution__contact_email",
)


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor asked the catalogue for; every field optional."""

    query: str = ""
    eqf_levels: tuple[int, ...] = ()
    ects_min: Decimal | None = None
    ects_max: Decimal | None = None
    languages: tuple[str, ...] = ()
    participation_forms: tuple[str, ...] = ()
    fields_of_study: tuple[str, ...] = ()
    price: str = ""
    institution: str = ""
    starting_soon: bool = False
    sort: str = CatalogueSort.RELEVANCE


def course_qs_for_update() -> QuerySet[Course]:
    """Courses locked for a read-modify-write (no-op on SQLite)."""
    return Course.objects.select_for_update(no_key=True).select_related("institution")


def course_run_qs_for_update() -> QuerySet[CourseRun]:
    """Runs locked for a read-modify-write (seats, capacity)."""
    # of=("self",): lock the run only, not its course and institution rows joined for reading.
    return CourseRun.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "course__institution"
    )


def _upcoming_runs(today: dt.date) -> QuerySet[CourseRun]:
    return CourseRun.objects.filter(is_cancelled=False, ends_on__gte=today)


def course_list_published(*, filters: CatalogueFilters | None = None) -> QuerySet[Course]:
    """Published courses matching the filters, annotated for the catalogue card and sorted."""
    filters = filters or CatalogueFilters()
    today = clock.today()
    upcoming = _upcoming_runs(today).filter(course=OuterRef("pk"))
    next_run = upcoming.filter(starts_on__gte=today).order_by("starts_on", "pk")
    courses = (
        Course.objects.filter(status=CourseStatus.PUBLISHED)
        .select_related("institution")
        # The long texts are shown on the course page only; sorting 1,000 wide rows is slow.
        .defer(*CATALOGUE_CARD_DEFERRED_FIELDS)
        .annotate(
            next_run_starts_on=Subquery(next_run.values("starts_on")[:1]),
            lowest_price=Subquery(upcoming.order_by("price_amount", "pk").values("price_amount")[:1]),
            lowest_price_currency=Subquery(
                upcoming.order_by("price_amount", "pk").values("currency")[:1]
            ),
        )
        .prefetch_related(
            Prefetch("languages", queryset=CourseLanguage.objects.order_by("language")),
            Prefetch(
                "partner_institutions", queryset=Institution.objects.order_by("short_name")
            ),
        )
    )
    courses = _apply_filters(courses, filters, today)
    return _apply_sort(courses, filters)


def _apply_filters(courses: QuerySet[Course], filters: CatalogueFilters, today: dt.date):
    if filters.query:
        for word in filters.query.split()[:8]:
            in_outcomes = LearningOutcome.objects.filter(
                course=OuterRef("pk"), statement__icontains=word
            )
            courses = courses.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(code__iexact=word)
                | Exists(in_outcomes)
            )
    if filters.eqf_levels:
        courses = courses.filter(eqf_level__in=filters.eqf_levels)
    if filters.ects_min is not None:
        courses = courses.filter(ects_credits__gte=filters.ects_min)
    if filters.ects_max is not None:
        courses = courses.filter(ects_credits__lte=filters.ects_max)
    if filters.languages:
        courses = courses.filter(
            Exists(CourseLanguage.objects.filter(course=OuterRef("pk"), language__in=filters.languages))
        )
    if filters.participation_forms:
        courses = courses.filter(participation_form__in=filters.participation_forms)
    if filters.fields_of_study:
        courses = courses.filter(field_of_study__in=filters.fields_of_study)
    if filters.institution:
        courses = courses.filter(
            Q(institution__slug=filters.institution)
            | Q(partner_institutions__slug=filters.institution)
        ).distinct()
    if filters.price == PriceFilter.FREE:
        courses = courses.filter(lowest_price=0)
    elif filters.price == PriceFilter.PAID:
        courses = courses.filter(lowest_price__gt=0)
    if filters.starting_soon:
        horizon = today + dt.timedelta(days=settings.MCPORTAL_STARTING_SOON_DAYS)
        courses = courses.filter(next_run_starts_on__gte=today, next_run_starts_on__lte=horizon)
    return courses


def _apply_sort(courses: QuerySet[Course], filters: CatalogueFilters) -> QuerySet[Course]:
    sort = filters.sort or CatalogueSort.RELEVANCE
    if sort == CatalogueSort.RELEVANCE and filters.query:
        first_word = filters.query.split()[0]
        courses = courses.annotate(
            title_match=Case(
                When(title__icontains=filters.query, then=Value(0)),
                When(title__icontains=first_word, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        return courses.order_by("title_match", "title", "pk")
    orderings = {
        CatalogueSort.RELEVANCE: ["next_run_starts_on", "title", "pk"],
        CatalogueSort.STARTING_SOON: ["next_run_starts_on", "title", "pk"],
        CatalogueSort.TITLE: ["title", "pk"],
        CatalogueSort.ECTS_ASC: ["ects_credits", "title", "pk"],
        CatalogueSort.ECTS_DESC: ["-ects_credits", "title", "pk"],
        CatalogueSort.EQF: ["eqf_level", "title", "pk"],
        CatalogueSort.NEWEST: ["-published_at", "pk"],
    }
    ordering = orderings.get(CatalogueSort(sort), orderings[CatalogueSort.RELEVANCE])
    if ordering[0] == "next_run_starts_on":
        # Courses without an upcoming run go last, whatever the database's NULL ordering.
        return courses.order_by(F("next_run_starts_on").asc(nulls_last=True), *ordering[1:])
    return courses.order_by(*ordering)


def course_get_published(*, slug: str) -> Course | None:
    """One published course with everything its public page shows, or None."""
    today = clock.today()
    return (
        Course.objects.filter(status=CourseStatus.PUBLISHED, slug=slug)
        .select_related("institution")
        .prefetch_related(
            Prefetch("outcomes", queryset=LearningOutcome.objects.order_by("position")),
            Prefetch("languages", queryset=CourseLanguage.objects.order_by("language")),
            Prefetch("partner_institutions", queryset=Institution.objects.order_by("short_name")),
            Prefetch(
                "runs",
                queryset=_upcoming_runs(today).order_by("starts_on", "pk"),
                to_attr="upcoming_runs",
            ),
        )
        .first()
    )


def institution_choices_in_catalogue() -> list[tuple[str, str]]:
    """(slug, name) of institutions that award a published course, for the catalogue filter."""
    return list(
        institution_list_in_catalogue().values_list("slug", "short_name").order_by("short_name")
    )


def institution_list_in_catalogue() -> QuerySet[Institution]:
    """Institutions that award at least one published course (for the catalogue filter)."""
    published = Course.objects.filter(status=CourseStatus.PUBLISHED)
    return Institution.objects.filter(
        Q(Exists(published.filter(institution=OuterRef("pk"))))
        | Q(Exists(published.filter(partner_institutions=OuterRef("pk"))))
    ).order_by("short_name")


def course_list_for_staff(*, user, capability: Capability = Capability.COURSE_VIEW_DRAFTS):
    """Courses of every institution where the user holds the capability, any status."""
    institutions = institutions_for_capability(user, capability)
    return (
        Course.objects.filter(institution__in=institutions)
        .select_related("institution")
        .annotate(
            next_run_starts_on=Subquery(
                _upcoming_runs(clock.today())
                .filter(course=OuterRef("pk"))
                .order_by("starts_on", "pk")
                .values("starts_on")[:1]
            )
        )
        .annotate(
            status_rank=Case(
                When(status=CourseStatus.DRAFT, then=Value(0)),
                When(status=CourseStatus.PUBLISHED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("status_rank", "title", "pk")
    )


def course_get_for_staff(*, user, slug: str, capability: Capability) -> Course | None:
    """The course, if the user holds the capability in its institution; else None."""
    return (
        course_list_for_staff(user=user, capability=capability)
        .prefetch_related(
            Prefetch("outcomes", queryset=LearningOutcome.objects.order_by("position")),
            "languages",
            "partner_institutions",
            Prefetch("runs", queryset=CourseRun.objects.order_by("starts_on", "pk")),
        )
        .filter(slug=slug)
        .first()
    )


def course_count_by_status(*, institution: Institution) -> dict[str, int]:
    """How many courses the institution has per status (for dashboards and evidence)."""
    rows = (
        Course.objects.filter(institution=institution)
        .values("status")
        .annotate(total=Count("pk"))
        .order_by()
    )
    counts = {status: 0 for status in CourseStatus.values}
    counts.update({row["status"]: row["total"] for row in rows})
    return counts
