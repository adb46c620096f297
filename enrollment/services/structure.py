"""A run's structure: its ordered units and its assessments (kind, weight, pass mark, supervision).

The assessments decide completion, so once anyone in the run has completed or failed, or the run
is closed, the parts that grade (weights, pass marks, which are required, adding or deleting
assessments) are frozen; before that, a change re-evaluates the active learners' results at once.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef, Sum
from django.utils.translation import gettext as _

from courses.choices import SupervisionVerification
from courses.models import CourseRun
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.roles import Capability

from ..choices import SEAT_HOLDING_STATUSES, EnrollmentStatus
from ..grading import HUNDRED, percentage_format
from ..models import Assessment, AssessmentResult, Enrollment, EnrollmentUnitAccess, Unit, UnitProgress
from .authority import authority_require_capability
from .completion import completion_apply
from .state import enrollments_lock, refusal, run_lock

UNIT_FIELDS = frozenset({"position", "title", "description", "due_on", "price_amount"})
ASSESSMENT_FIELDS = frozenset(
    {"position", "title", "kind", "weight", "pass_mark", "is_required", "is_supervised",
     "identity_verified", "due_on", "unit"}
)
# Changing these changes who passes (the unit decides who is assessed in a run sold per unit).
GRADING_FIELDS = frozenset({"weight", "pass_mark", "is_required", "unit"})
# Positions are moved out of the way through this offset while reordering (unique per run).
REORDER_OFFSET = 10_000


def _locked_run_for_structure(run_id: int, actor) -> CourseRun:
    run = run_lock(run_id)
    authority_require_capability(actor, Capability.COURSE_EDIT, run.course.institution)
    if run.closed_at is not None:
        raise refusal(_("This run is closed; its structure is final."), field="run", code="run_closed")
    return run


def _refuse_if_outcomes_exist(run: CourseRun) -> None:
    decided = Enrollment.objects.filter(
        run=run, status__in=[EnrollmentStatus.COMPLETED, EnrollmentStatus.FAILED]
    ).exists()
    if decided:
        message = _(
            "Learners of this run have already completed or failed under the current assessments; "
            "weights, pass marks and required assessments can no longer change."
        )
        raise refusal(message, field=None, code="outcomes_exist")


def _assign(instance: models.Model, attributes: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """Set the attributes; return the values they replaced (compare after full_clean converted them)."""
    unknown = set(attributes) - allowed
    if unknown:
        raise ValidationFailed(
            _("Some fields cannot be changed here."),
            problems=[FieldProblem(_("“%(name)s” cannot be set.") % {"name": name}, field=name)
                      for name in sorted(unknown)],
        )
    before = {name: getattr(instance, name) for name in attributes}
    for name, value in attributes.items():
        setattr(instance, name, value)
    return before


def _changed(instance: models.Model, before: dict[str, Any]) -> set[str]:
    return {name for name, value in before.items() if getattr(instance, name) != value}


def _full_clean(instance: models.Model) -> None:
    try:
        instance.full_clean(exclude=["run"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as error:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            problems=[
                FieldProblem(str(message), field=None if name == "__all__" else name)
                for name, messages in error.message_dict.items()
                for message in messages
            ],
        ) from error


def _fresh(model: type[models.Model], run: CourseRun, instance: models.Model | None) -> models.Model:
    """A new row of the run, or the given one re-read; a row of another run is refused."""
    if instance is None:
        return model(run=run)
    fresh = model.objects.get(pk=instance.pk)
    if fresh.run_id != run.pk:
        message = _("This item belongs to another run.")
        raise ValidationFailed(message, problems=[FieldProblem(message, field=None, code="other_run")])
    return fresh


def _placed_and_clean(model: type[models.Model], run: CourseRun, instance: models.Model) -> None:
    """Validate the fields; a new row goes last unless given a position, and a taken one is refused."""
    siblings = model.objects.filter(run=run).exclude(pk=instance.pk)
    if instance.position is None:
        instance.position = (siblings.aggregate(last=Max("position"))["last"] or 0) + 1
    _full_clean(instance)
    if siblings.filter(position=instance.position).exists():
        message = _("Position %(position)d is taken; reorder instead.") % {"position": instance.position}
        raise ValidationFailed(message, problems=[FieldProblem(message, field="position", code="taken")])


def _check_sale_mode_change(run: CourseRun, unit: Unit, *, was_priced: bool) -> None:
    """A run is sold whole or per unit for its admitted learners: refuse switching once anyone is in.

    Pricing the first unit of a run that learners already enrolled in (and paid) as a whole would
    shrink what they are assessed on; un-pricing the last one would make buyers of some units
    answer for all of them.
    """
    other_priced = Unit.objects.filter(run=run, price_amount__isnull=False).exclude(pk=unit.pk).exists()
    if other_priced or was_priced == (unit.price_amount is not None):
        return
    if unit.price_amount is not None:
        # Admitted learners (paid or confirmed) hold the whole run; pending ones have not paid yet
        # (a whole-run order they still pay grants every unit, see checkout_order_paid).
        enrolled = Enrollment.objects.filter(
            run=run, status__in=SEAT_HOLDING_STATUSES, activated_at__isnull=False
        ).exists()
        if enrolled:
            message = _("Learners are already enrolled in the whole run; its units can no longer be "
                        "sold separately.")
            raise refusal(message, field="price_amount", code="sold_whole")
    elif EnrollmentUnitAccess.objects.filter(unit__run=run, revoked_at__isnull=True).exists():
        message = _("Learners have bought units of this run; it cannot go back to being sold whole.")
        raise refusal(message, field="price_amount", code="sold_per_unit")


@transaction.atomic
def run_unit_save(*, run: CourseRun, actor, attributes: Mapping[str, Any], unit: Unit | None = None) -> Unit:
    """Create a unit of the run (last unless a free position is given) or change one; audited.

    Instructors and registrars of the run's institution; refused once the run is closed.
    """
    run = _locked_run_for_structure(run.pk, actor)
    is_new = unit is None
    unit = _fresh(Unit, run, unit)
    was_priced = unit.price_amount is not None
    before = _assign(unit, attributes, UNIT_FIELDS)
    _placed_and_clean(Unit, run, unit)
    if unit.price_amount is not None and run.is_free:
        message = _("This run is free; its units cannot be sold separately.")
        raise ValidationFailed(
            message, problems=[FieldProblem(message, field="price_amount", code="free_run")]
        )
    _check_sale_mode_change(run, unit, was_priced=was_priced)
    changed = _changed(unit, before)
    unit.save()
    audit_record(
        actor=actor, action="unit.created" if is_new else "unit.updated", target=unit,
        institution=run.course.institution,
        data={"run": run.pk, "fields": sorted(changed),
              "price": None if unit.price_amount is None else str(unit.price_amount)},
    )
    return unit


@transaction.atomic
def run_unit_delete(*, unit: Unit, actor) -> None:
    """Delete a unit nobody has been marked in yet (else Conflict); audited."""
    run = _locked_run_for_structure(unit.run_id, actor)
    unit = Unit.objects.get(pk=unit.pk)
    marked = UnitProgress.objects.filter(unit=unit).count()
    if marked:
        message = _("%(count)d learners are marked in this unit; it cannot be deleted.") % {"count": marked}
        raise refusal(message, field=None, code="progress_exists")
    audit_record(actor=actor, action="unit.deleted", target=unit, institution=run.course.institution,
                 data={"run": run.pk, "title": unit.title, "position": unit.position})
    unit.delete()


def _reorder(model: type[models.Model], run: CourseRun, ids: list[int], actor, action: str) -> list:
    rows = {row.pk: row for row in model.objects.filter(run=run)}
    if sorted(ids) != sorted(rows) or len(set(ids)) != len(ids):
        message = _("Give every item of the run exactly once.")
        raise ValidationFailed(message, problems=[FieldProblem(message, field="order", code="invalid")])
    ordered = [rows[pk] for pk in ids]
    # Two steps, because (run, position) is unique at every moment.
    for index, row in enumerate(ordered, start=1):
        row.position = REORDER_OFFSET + index
    model.objects.bulk_update(ordered, ["position"])
    for index, row in enumerate(ordered, start=1):
        row.position = index
    model.objects.bulk_update(ordered, ["position"])
    audit_record(actor=actor, action=action, target=run, institution=run.course.institution,
                 data={"order": ids})
    return ordered


@transaction.atomic
def run_units_reorder(*, run: CourseRun, unit_ids: list[int], actor) -> list[Unit]:
    """Put the run's units in the given order (every unit once); audited as units.reordered."""
    run = _locked_run_for_structure(run.pk, actor)
    return _reorder(Unit, run, unit_ids, actor, "units.reordered")


@transaction.atomic
def run_assessments_reorder(*, run: CourseRun, assessment_ids: list[int], actor) -> list[Assessment]:
    """Put the run's assessments in the given order (every one once); audited as assessments.reordered."""
    run = _locked_run_for_structure(run.pk, actor)
    return _reorder(Assessment, run, assessment_ids, actor, "assessments.reordered")


def _check_weights(run: CourseRun, assessment: Assessment) -> None:
    others = Assessment.objects.filter(run=run).exclude(pk=assessment.pk).aggregate(total=Sum("weight"))
    total = (others["total"] or Decimal("0")) + Decimal(assessment.weight)
    if total > HUNDRED:
        message = _(
            "The weights of the run's assessments would add up to %(total)s; they must add up to 100."
        ) % {"total": percentage_format(total).removesuffix(" %")}
        raise ValidationFailed(
            message, problems=[FieldProblem(message, field="weight", code="weights_over_100")]
        )


def _check_supervision(run: CourseRun, assessment: Assessment) -> None:
    """A required assessment must be as supervised and identity-checked as the course declares."""
    declared = run.course.supervision_verification
    if not assessment.is_required or not declared:
        return
    problems = []
    if declared in (SupervisionVerification.SUPERVISED_NO_ID, SupervisionVerification.SUPERVISED_WITH_ID) \
            and not assessment.is_supervised:
        problems.append(FieldProblem(
            _("The course declares supervised assessment; a required assessment must be supervised."),
            field="is_supervised", code="supervision",
        ))
    if declared == SupervisionVerification.SUPERVISED_WITH_ID and not assessment.identity_verified:
        problems.append(FieldProblem(
            _("The course declares identity verification; a required assessment must verify identity."),
            field="identity_verified", code="identity_verification",
        ))
    if problems:
        raise ValidationFailed(_("The assessment does not match the course's declared supervision."),
                               problems=problems)


def _results_reevaluate(run: CourseRun, assessment: Assessment | None, actor) -> None:
    """After a grading change: refresh the passed flags and complete active learners who now pass."""
    if assessment is not None:
        results = AssessmentResult.objects.filter(assessment=assessment)
        results.filter(score__gte=assessment.pass_mark, passed=False).update(passed=True)
        results.filter(score__lt=assessment.pass_mark, passed=True).update(passed=False)
    with_results = Exists(AssessmentResult.objects.filter(enrollment=OuterRef("pk")))
    active = enrollments_lock(
        Enrollment.objects.filter(with_results, run=run, status=EnrollmentStatus.ACTIVE), run
    )
    completion_apply(run=run, enrollments=active, actor=actor)


@transaction.atomic
def run_assessment_save(
    *, run: CourseRun, actor, attributes: Mapping[str, Any], assessment: Assessment | None = None
) -> Assessment:
    """Create an assessment of the run or change one; audited, and completion re-evaluated if grading changed.

    The weights may not add up to more than 100 (exactly 100 lets learners complete); a required
    assessment must be as supervised and identity-checked as the course declares. Grading changes
    are refused once anyone completed or failed. Instructors and registrars of the institution.
    """
    run = _locked_run_for_structure(run.pk, actor)
    is_new = assessment is None
    assessment = _fresh(Assessment, run, assessment)
    before = _assign(assessment, attributes, ASSESSMENT_FIELDS)
    _placed_and_clean(Assessment, run, assessment)
    if assessment.unit_id is not None and assessment.unit.run_id != run.pk:
        message = _("This unit belongs to another run.")
        raise ValidationFailed(message, problems=[FieldProblem(message, field="unit", code="other_run")])
    changed = _changed(assessment, before)
    grading_changed = is_new or bool(changed & GRADING_FIELDS)
    if grading_changed:
        _refuse_if_outcomes_exist(run)
    _check_weights(run, assessment)
    _check_supervision(run, assessment)
    assessment.save()
    audit_record(
        actor=actor, action="assessment.created" if is_new else "assessment.updated", target=assessment,
        institution=run.course.institution,
        data={"run": run.pk, "fields": sorted(changed), "weight": str(assessment.weight),
              "pass_mark": str(assessment.pass_mark), "is_required": assessment.is_required},
    )
    if grading_changed:
        _results_reevaluate(run, None if is_new else assessment, actor)
    return assessment


@transaction.atomic
def run_assessment_delete(*, assessment: Assessment, actor) -> None:
    """Delete an assessment that has no results (else Conflict), before anyone completed; audited."""
    run = _locked_run_for_structure(assessment.run_id, actor)
    assessment = Assessment.objects.get(pk=assessment.pk)
    recorded = AssessmentResult.objects.filter(assessment=assessment).count()
    if recorded:
        message = _("%(count)d results are recorded in this assessment; it cannot be deleted.") % {
            "count": recorded
        }
        raise refusal(message, field=None, code="results_exist")
    _refuse_if_outcomes_exist(run)
    audit_record(
        actor=actor, action="assessment.deleted", target=assessment, institution=run.course.institution,
        data={"run": run.pk, "title": assessment.title, "weight": str(assessment.weight)},
    )
    assessment.delete()
    _results_reevaluate(run, None, actor)
