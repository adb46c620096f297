"""Reads of enrolments, run structure and results: learner dashboard, staff roster, API and services.

Every list here costs a fixed number of SQL queries whatever the number of rows: annotations for
per-row figures, prefetches for the rest.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from courses.choices import CourseStatus
from courses.models import CourseRun
from courses.selectors import course_run_qs_for_update
from mcportal.core import clock
from mcportal.core.choices import Role
from mcportal.core.models import Institution
from mcportal.core.roles import Capability, institutions_for_capability, user_roles

from .choices import LIVE_STATUSES, EnrollmentStatus
from .completion import AssessmentRule, CompletionOutcome, completion_evaluate, weights_total
from .models import (
    Assessment,
    AssessmentResult,
    AssessmentResultRevision,
    Enrollment,
    EnrollmentUnitAccess,
    Unit,
    UnitProgress,
)
from .unit_access import assessment_scopes, units_purchased_ids

HUNDRED = Decimal("100")

# Roster orderings offered to pages and the API: key → ORDER BY (the pk keeps pages stable).
ROSTER_ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("learner__full_name", "learner__email", "pk"),
    "-name": ("-learner__full_name", "-learner__email", "-pk"),
    "email": ("learner__email", "pk"),
    "-email": ("-learner__email", "-pk"),
    "status": ("status", "learner__full_name", "pk"),
    "-status": ("-status", "learner__full_name", "pk"),
    "progress": ("units_done", "learner__full_name", "pk"),
    "-progress": ("-units_done", "learner__full_name", "pk"),
    "score": ("weighted_score", "learner__full_name", "pk"),
    "-score": ("-weighted_score", "learner__full_name", "pk"),
    "enrolled": ("created_at", "pk"),
    "-enrolled": ("-created_at", "-pk"),
}
ROSTER_DEFAULT_ORDERING = "name"
# A spreadsheet opens a cell that starts with one of these as a formula (CSV injection).
SPREADSHEET_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ----------------------------------------------------------------------------- locks


def run_qs_for_update() -> QuerySet[CourseRun]:
    """Runs locked for enrolment, results and closing; only the run row, not its course or institution.

    Every enrolment service locks the run first, then enrolments (ordered by pk), so the run row
    serialises seat changes, results and closing of one run without blocking other runs.
    """
    return course_run_qs_for_update().select_for_update(no_key=True, of=("self",))


def enrollment_qs_for_update() -> QuerySet[Enrollment]:
    """Enrolments locked for a transition (only their own rows); lock the run first, order by pk."""
    return Enrollment.objects.select_for_update(no_key=True, of=("self",))


# ----------------------------------------------------------------------------- who may


def user_may_manage_enrolments(*, user, institution: Institution) -> bool:
    """Registrars of the institution (and superusers) withdraw, cancel and enrol learners for them."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or Role.REGISTRAR in user_roles(user, institution)


# ----------------------------------------------------------------------------- single objects


def run_get_for_staff(*, user, run_id: int, capability: Capability) -> CourseRun | None:
    """The run, if the user holds the capability in the institution that owns its course; else None."""
    return (
        CourseRun.objects.select_related("course__institution")
        .filter(pk=run_id, course__institution__in=institutions_for_capability(user, capability))
        .first()
    )


def run_get_for_enrolment(*, run_id: int) -> CourseRun | None:
    """A run of a published course (what a learner may try to enrol in), or None."""
    return (
        CourseRun.objects.select_related("course__institution")
        .filter(pk=run_id, course__status=CourseStatus.PUBLISHED)
        .first()
    )


def enrollment_get_for_staff(*, user, enrollment_id: int, capability: Capability) -> Enrollment | None:
    """The enrolment, if the user holds the capability in the institution of its run; else None."""
    return (
        Enrollment.objects.select_related("learner", "run__course__institution")
        .filter(
            pk=enrollment_id,
            run__course__institution__in=institutions_for_capability(user, capability),
        )
        .first()
    )


def enrollment_get_for_learner(*, learner, enrollment_id: int) -> Enrollment | None:
    """One of the learner's own enrolments, or None (never someone else's)."""
    if not learner.is_authenticated:
        return None
    return (
        Enrollment.objects.select_related("learner", "run__course__institution")
        .filter(learner=learner, pk=enrollment_id)
        .first()
    )


def enrollment_summary_get_for_learner(*, learner, enrollment_id: int) -> LearnerEnrollment | None:
    """One of the learner's own enrolments with its dashboard figures, or None (never someone else's)."""
    rows = _learner_enrollments(
        Enrollment.objects.filter(learner=learner, pk=enrollment_id) if learner.is_authenticated
        else Enrollment.objects.none()
    )
    return rows[0] if rows else None


# ----------------------------------------------------------------------------- learner dashboard


@dataclass(frozen=True)
class ResultLine:
    """One assessment of the run and the learner's current result in it (None until recorded)."""

    assessment: Assessment
    result: AssessmentResult | None
    # False when the assessment belongs to a unit the learner has not bought (pay-per-module).
    assessed: bool = True


@dataclass(frozen=True)
class UnitOffer:
    """One unit of a run sold per unit, as the learner sees it: bought, included, or for sale."""

    unit: Unit
    purchased: bool

    @property
    def included(self) -> bool:
        """A unit without a price comes with every purchase."""
        return self.unit.price_amount is None


@dataclass(frozen=True)
class LearnerEnrollment:
    """One enrolment as the learner's dashboard shows it."""

    enrollment: Enrollment
    units_total: int
    units_done: int
    next_due_on: dt.date | None
    next_due_title: str
    results: list[ResultLine]
    outcome: CompletionOutcome | None
    # The run's units with what the learner holds, when the run is sold per unit; else empty.
    unit_offers: list[UnitOffer] = field(default_factory=list)

    @property
    def units_for_sale(self) -> list[UnitOffer]:
        return [offer for offer in self.unit_offers if not offer.purchased and not offer.included]

    @property
    def progress_percent(self) -> int | None:
        """Units done / units, as a whole percentage; None when the run has no units."""
        if not self.units_total:
            return None
        return self.units_done * 100 // self.units_total


def _next_due(units: list[Unit], done_unit_ids: set[int], assessments: list[Assessment],
              scored_ids: set[int], today: dt.date) -> tuple[dt.date | None, str]:
    pending = [
        (unit.due_on, unit.title) for unit in units
        if unit.due_on and unit.due_on >= today and unit.pk not in done_unit_ids
    ] + [
        (assessment.due_on, assessment.title) for assessment in assessments
        if assessment.due_on and assessment.due_on >= today and assessment.pk not in scored_ids
    ]
    if not pending:
        return None, ""
    return min(pending, key=lambda item: item[0])


def _unit_offers(
    run: CourseRun, units: list[Unit], assessments: list[Assessment], held: set[int]
) -> tuple[list[UnitOffer], frozenset[int] | None]:
    """From loaded rows: the units as offers and the assessments in scope (None: sold whole).

    The same rule as enrollment.unit_access.assessment_scopes, without its queries.
    """
    if run.is_free or not any(unit.price_amount is not None for unit in units):
        return [], None
    offers = [UnitOffer(unit=unit, purchased=unit.pk in held) for unit in units]
    open_units = held | {unit.pk for unit in units if unit.price_amount is None}
    assessed = frozenset(
        assessment.pk for assessment in assessments
        if assessment.unit_id is None or assessment.unit_id in open_units
    )
    return offers, assessed


def _learner_enrollments(enrollments: QuerySet[Enrollment]) -> list[LearnerEnrollment]:
    enrollments = enrollments.select_related("run__course__institution").prefetch_related(
        Prefetch("run__units", queryset=Unit.objects.order_by("position")),
        Prefetch("run__assessments", queryset=Assessment.objects.order_by("position")),
        Prefetch("results", queryset=AssessmentResult.objects.order_by("assessment_id")),
        Prefetch("unit_progress", queryset=UnitProgress.objects.only("pk", "enrollment_id", "unit_id")),
    )
    today = clock.today()
    enrollments = list(enrollments)
    # Pay-per-module: one more query, only when some run on the page sells its units separately.
    sold_per_unit = [
        e.pk for e in enrollments
        if not e.run.is_free and any(unit.price_amount is not None for unit in e.run.units.all())
    ]
    held = units_purchased_ids(enrollment_ids=sold_per_unit) if sold_per_unit else {}
    rows = []
    for enrollment in enrollments:
        run = enrollment.run
        units = list(run.units.all())
        assessments = list(run.assessments.all())
        results = {result.assessment_id: result for result in enrollment.results.all()}
        done_unit_ids = {progress.unit_id for progress in enrollment.unit_progress.all()}
        next_due_on, next_due_title = _next_due(units, done_unit_ids, assessments, set(results), today)
        unit_offers, assessed = _unit_offers(run, units, assessments, held.get(enrollment.pk, set()))
        outcome = None
        if enrollment.status == EnrollmentStatus.ACTIVE and assessments:
            outcome = completion_evaluate(
                rules=[AssessmentRule.of(assessment) for assessment in assessments],
                scores={assessment_id: result.score for assessment_id, result in results.items()},
                threshold=run.pass_threshold,
                grading_scheme=run.course.grading_scheme,
                assessed=assessed,
            )
        rows.append(
            LearnerEnrollment(
                enrollment=enrollment,
                units_total=len(units),
                units_done=len(done_unit_ids),
                next_due_on=next_due_on,
                next_due_title=next_due_title,
                results=[
                    ResultLine(assessment, results.get(assessment.pk),
                               assessed=assessed is None or assessment.pk in assessed)
                    for assessment in assessments
                ],
                outcome=outcome,
                unit_offers=unit_offers,
            )
        )
    return rows


def enrollment_list_for_learner(*, learner) -> list[LearnerEnrollment]:
    """The learner's enrolments, newest first, with progress, next due date, results and what is still unmet.

    Five queries whatever the number of enrolments (six when a run sells its units separately).
    """
    if not learner.is_authenticated:
        return []
    return _learner_enrollments(Enrollment.objects.filter(learner=learner).order_by("-created_at", "-pk"))


def enrollment_live_by_run_for_learner(*, learner, run_ids: list[int]) -> dict[int, Enrollment]:
    """run id → the learner's live enrolment in it, for the given runs (one query; none if anonymous)."""
    if not getattr(learner, "is_authenticated", False) or not run_ids:
        return {}
    enrollments = Enrollment.objects.filter(learner=learner, run_id__in=run_ids, status__in=LIVE_STATUSES)
    return {enrollment.run_id: enrollment for enrollment in enrollments}


@dataclass(frozen=True)
class UnitCheckoutOffer:
    """A run sold per unit at checkout: every unit, and those the learner may still buy."""

    units: list[UnitOffer]

    @property
    def for_sale(self) -> list[Unit]:
        return [offer.unit for offer in self.units if not offer.purchased and not offer.included]

    @property
    def held(self) -> list[Unit]:
        return [offer.unit for offer in self.units if offer.purchased or offer.included]


def unit_checkout_offer(*, enrollment: Enrollment) -> UnitCheckoutOffer | None:
    """The units of the enrolment's run with what the learner holds; None when the run is sold whole."""
    run = enrollment.run
    units = list(Unit.objects.filter(run=run).order_by("position"))
    if run.is_free or not any(unit.price_amount is not None for unit in units):
        return None
    held = units_purchased_ids(enrollment_ids=[enrollment.pk]).get(enrollment.pk, set())
    return UnitCheckoutOffer(units=[UnitOffer(unit=unit, purchased=unit.pk in held) for unit in units])


# ----------------------------------------------------------------------------- run structure


@dataclass(frozen=True)
class RunStructure:
    """A run's units and assessments, and whether the weights allow anyone to complete yet."""

    run: CourseRun
    units: list[Unit]
    assessments: list[Assessment]

    @property
    def weights_total(self) -> Decimal:
        return weights_total(AssessmentRule.of(assessment) for assessment in self.assessments)

    @property
    def weights_complete(self) -> bool:
        return self.weights_total == HUNDRED


def run_structure_get(*, run: CourseRun) -> RunStructure:
    """The run's ordered units and assessments (two queries)."""
    return RunStructure(
        run=run,
        units=list(Unit.objects.filter(run=run).order_by("position")),
        assessments=list(Assessment.objects.filter(run=run).order_by("position")),
    )


def run_assessment_list(*, run: CourseRun) -> QuerySet[Assessment]:
    """The run's assessments in order."""
    return Assessment.objects.filter(run=run).order_by("position")


# ----------------------------------------------------------------------------- roster


def run_roster(
    *,
    run: CourseRun,
    status: str | None = None,
    search: str = "",
    ordering: str = ROSTER_DEFAULT_ORDERING,
    with_results: bool = True,
) -> QuerySet[Enrollment]:
    """The run's enrolments with units_done, progress_percent and weighted_score, results prefetched.

    One query here (the run's unit count) and, when evaluated, one for the rows plus one for the
    results (and, for a run sold per unit, one for the units bought, as `units_bought`), whatever
    the number of enrolments. Unknown orderings fall back to the name.
    """
    unit_counts = Unit.objects.filter(run=run).aggregate(total=Count("pk"), priced=Count("price_amount"))
    units_total = unit_counts["total"]
    # Pay-per-module: rows then carry the units each learner bought (one more query, only then).
    sold_per_unit = bool(unit_counts["priced"]) and not run.is_free
    units_done = (
        UnitProgress.objects.filter(enrollment=OuterRef("pk"))
        .order_by()
        .values("enrollment")
        .annotate(total=Count("pk"))
        .values("total")
    )
    score_sum = (
        AssessmentResult.objects.filter(enrollment=OuterRef("pk"))
        .order_by()
        .values("enrollment")
        .annotate(total=Sum(F("score") * F("assessment__weight")))
        .values("total")
    )
    decimal = DecimalField(max_digits=12, decimal_places=4)
    score_total = Coalesce(
        Subquery(score_sum, output_field=decimal), Value(Decimal("0")), output_field=decimal
    )
    # Always over the whole run's weights, also when it is sold per unit (enrollment/completion.py).
    weighted_score = ExpressionWrapper(score_total / Value(HUNDRED), output_field=decimal)
    roster = (
        Enrollment.objects.filter(run=run)
        .select_related("learner")
        .annotate(
            units_done=Coalesce(Subquery(units_done, output_field=IntegerField()), Value(0)),
            weighted_score=weighted_score,
            units_total=Value(units_total, output_field=IntegerField()),
            progress_percent=(
                ExpressionWrapper(F("units_done") * 100 / Value(units_total), output_field=IntegerField())
                if units_total
                else Value(None, output_field=IntegerField())
            ),
        )
    )
    if with_results:
        roster = roster.prefetch_related(
            Prefetch("results", queryset=AssessmentResult.objects.order_by("assessment_id"))
        )
    if with_results and sold_per_unit:
        roster = roster.prefetch_related(
            Prefetch(
                "unit_accesses",
                queryset=EnrollmentUnitAccess.objects.filter(revoked_at__isnull=True)
                .select_related("unit").order_by("unit__position"),
                to_attr="units_bought",
            )
        )
    if status:
        roster = roster.filter(status=status)
    for word in search.split()[:8]:
        roster = roster.filter(Q(learner__email__icontains=word) | Q(learner__full_name__icontains=word))
    return roster.order_by(*ROSTER_ORDERINGS.get(ordering, ROSTER_ORDERINGS[ROSTER_DEFAULT_ORDERING]))


def run_roster_status_counts(*, run: CourseRun) -> dict[str, int]:
    """How many enrolments the run has in each status (for the roster's filter tabs)."""
    counts = {status: 0 for status in EnrollmentStatus.values}
    rows = Enrollment.objects.filter(run=run).order_by().values("status").annotate(total=Count("pk"))
    counts.update({row["status"]: row["total"] for row in rows})
    return counts


def _spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(SPREADSHEET_FORMULA_PREFIXES) else text


def run_roster_csv_rows(
    *,
    run: CourseRun,
    status: str | None = None,
    search: str = "",
    ordering: str = ROSTER_DEFAULT_ORDERING,
) -> Iterator[list[str]]:
    """The roster as CSV rows: a header, then one row per enrolment with a column per assessment.

    Four queries whatever the number of rows; text that a spreadsheet would run as a formula is
    prefixed with an apostrophe.
    """
    assessments = list(run_assessment_list(run=run))
    enrollments = list(
        run_roster(run=run, status=status, search=search, ordering=ordering, with_results=False)
    )
    # Plain tuples: building 10,000 result objects would cost more than the whole query.
    scores: dict[int, dict[int, Decimal]] = {}
    rows = AssessmentResult.objects.filter(enrollment__run=run).values_list(
        "enrollment_id", "assessment_id", "score"
    )
    for enrollment_id, assessment_id, score in rows:
        scores.setdefault(enrollment_id, {})[assessment_id] = score
    yield [
        "email", "name", "status", "progress_percent", "weighted_score", "final_score", "final_grade",
        *[_spreadsheet_safe(assessment.title) for assessment in assessments],
    ]
    for enrollment in enrollments:
        scored = scores.get(enrollment.pk, {})
        yield [
            _spreadsheet_safe(enrollment.learner.email),
            _spreadsheet_safe(enrollment.learner.full_name),
            enrollment.status,
            "" if enrollment.progress_percent is None else str(enrollment.progress_percent),
            f"{enrollment.weighted_score:.2f}",
            "" if enrollment.final_score is None else f"{enrollment.final_score:.2f}",
            _spreadsheet_safe(enrollment.final_grade),
            *["" if assessment.pk not in scored else f"{scored[assessment.pk]:.2f}"
              for assessment in assessments],
        ]


def run_waitlist(*, run: CourseRun) -> QuerySet[Enrollment]:
    """The run's waiting list in the order it is served."""
    return (
        Enrollment.objects.filter(run=run, status=EnrollmentStatus.WAITLISTED)
        .select_related("learner")
        .order_by("waitlisted_at", "pk")
    )


# ----------------------------------------------------------------------------- results


def enrollment_results_with_history(*, enrollment: Enrollment) -> list[AssessmentResult]:
    """The enrolment's current results in assessment order, each with its revisions newest first."""
    return list(
        AssessmentResult.objects.filter(enrollment=enrollment)
        .select_related("assessment", "recorded_by")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=AssessmentResultRevision.objects.select_related("recorded_by").order_by(
                    "-recorded_at", "-pk"
                ),
            )
        )
        .order_by("assessment__position")
    )


def enrollment_outcome_explain(*, enrollment: Enrollment) -> CompletionOutcome:
    """Apply the completion rules to the enrolment's current results (what a page shows as "why")."""
    assessments = list(run_assessment_list(run=enrollment.run))
    scores = dict(
        AssessmentResult.objects.filter(enrollment=enrollment).values_list("assessment_id", "score")
    )
    scopes = assessment_scopes(run=enrollment.run, enrollment_ids=[enrollment.pk])
    return completion_evaluate(
        rules=[AssessmentRule.of(assessment) for assessment in assessments],
        scores=scores,
        threshold=enrollment.run.pass_threshold,
        grading_scheme=enrollment.run.course.grading_scheme,
        assessed=None if scopes is None else scopes[enrollment.pk],
    )

