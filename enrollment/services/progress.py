"""Unit progress: marking units as attended or done for many learners at once, and undoing a mistake."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import CourseRun
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.roles import Capability

from ..choices import EnrollmentStatus
from ..models import Enrollment, Unit, UnitProgress
from .authority import authority_require_capability
from .state import enrollments_lock, refusal, run_lock

# Attendance can still be recorded after a learner completed on their assessments.
PROGRESS_STATUSES = frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED})


def _locked_for_progress(
    unit: Unit, enrollments: Iterable[Enrollment], actor
) -> tuple[CourseRun, Unit, list[Enrollment]]:
    """Lock the unit's run and the enrolments; refuse the whole batch if any enrolment does not fit."""
    run = run_lock(unit.run_id)
    authority_require_capability(actor, Capability.RESULTS_RECORD, run.course.institution)
    unit = Unit.objects.get(pk=unit.pk)
    if run.closed_at is not None:
        raise refusal(_("This run is closed; its records are final."), field="run", code="run_closed")
    wanted = {enrollment.pk for enrollment in enrollments}
    locked = enrollments_lock(Enrollment.objects.filter(pk__in=wanted, run=run), run)
    problems = [
        FieldProblem(_("Enrolment %(id)d is not in this run.") % {"id": missing}, field="enrollments",
                     code="not_in_run")
        for missing in sorted(wanted - {enrollment.pk for enrollment in locked})
    ] + [
        FieldProblem(
            _("%(learner)s is “%(status)s”; progress is recorded for active learners only.")
            % {"learner": enrollment.learner.get_full_name(), "status": enrollment.get_status_display()},
            field="enrollments", code="not_active",
        )
        for enrollment in locked if enrollment.status not in PROGRESS_STATUSES
    ]
    if problems:
        raise ValidationFailed(_("Nothing was recorded: some learners cannot be marked."), problems=problems)
    return run, unit, locked


@transaction.atomic
def unit_progress_mark(*, enrollments: Iterable[Enrollment], unit: Unit, actor) -> int:
    """Mark the unit done for every given enrolment (all or none); returns how many were newly marked.

    Learners already marked keep their first mark. Instructors and registrars of the run's
    institution; one audit row lists the enrolments marked.
    """
    run, unit, locked = _locked_for_progress(unit, enrollments, actor)
    already = set(
        UnitProgress.objects.filter(unit=unit, enrollment__in=locked).values_list("enrollment_id", flat=True)
    )
    now = clock.now()
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    new = [
        UnitProgress(enrollment=enrollment, unit=unit, completed_at=now, recorded_by=recorded_by)
        for enrollment in locked if enrollment.pk not in already
    ]
    UnitProgress.objects.bulk_create(new, batch_size=1000)
    if new:
        audit_record(
            actor=actor, action="unit_progress.marked", target=unit, institution=run.course.institution,
            data={"enrollments": [progress.enrollment_id for progress in new]},
        )
    return len(new)


@transaction.atomic
def unit_progress_clear(*, enrollments: Iterable[Enrollment], unit: Unit, actor, reason: str) -> int:
    """Remove the unit's done mark from the given enrolments (a mistaken bulk mark); returns how many.

    Same permissions and all-or-none rule as unit_progress_mark; the reason is required and audited.
    """
    if not reason.strip():
        message = _("Say why the marks are removed.")
        raise ValidationFailed(message, problems=[FieldProblem(message, field="reason", code="required")])
    run, unit, locked = _locked_for_progress(unit, enrollments, actor)
    marks = UnitProgress.objects.filter(unit=unit, enrollment__in=locked)
    cleared = sorted(marks.values_list("enrollment_id", flat=True))
    marks.delete()
    if cleared:
        audit_record(
            actor=actor, action="unit_progress.cleared", target=unit, institution=run.course.institution,
            reason=reason, data={"enrollments": cleared},
        )
    return len(cleared)
