"""Shared steps of the enrolment state machine: locking in order, the transition check, seat counting.

Lock order, everywhere: the run row first, then enrolment rows ordered by pk. The run row is what
serialises seats, results and closing of one run.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from courses.models import CourseRun
from mcportal.core.exceptions import Conflict, FieldProblem, InvalidTransition

from ..choices import ENROLLMENT_TRANSITIONS, EnrollmentStatus
from ..models import Enrollment
from ..selectors import enrollment_qs_for_update, run_qs_for_update


def refusal(message: str, *, field: str | None, code: str) -> Conflict:
    """A Conflict (409) whose one problem repeats the message with the field and a code for clients."""
    return Conflict(message, problems=[FieldProblem(message, field=field, code=code)])


def run_lock(run_id: int) -> CourseRun:
    """Lock the run row (its course and institution come along, unlocked) and return it fresh."""
    return run_qs_for_update().get(pk=run_id)


def run_and_enrollment_lock(enrollment_id: int) -> tuple[CourseRun, Enrollment]:
    """Lock the enrolment's run, then the enrolment; both fresh from the database."""
    run_id = Enrollment.objects.values_list("run_id", flat=True).get(pk=enrollment_id)
    run = run_lock(run_id)
    enrollment = enrollment_qs_for_update().select_related("learner").get(pk=enrollment_id)
    enrollment.run = run
    return run, enrollment


def enrollments_lock(queryset: QuerySet[Enrollment], run: CourseRun) -> list[Enrollment]:
    """Lock the enrolments (of a run already locked) in pk order, with their learners loaded."""
    enrollments = list(
        queryset.select_related("learner").select_for_update(no_key=True, of=("self",)).order_by("pk")
    )
    for enrollment in enrollments:
        enrollment.run = run
    return enrollments


def transition_check(enrollment: Enrollment, target: EnrollmentStatus,
                     *, allowed_from: Iterable[str] | None = None) -> None:
    """Raise InvalidTransition unless the table (and the service's narrower allowed_from) permit it."""
    current = EnrollmentStatus(enrollment.status)
    legal = target in ENROLLMENT_TRANSITIONS[current]
    if allowed_from is not None:
        legal = legal and current in set(allowed_from)
    if not legal:
        raise InvalidTransition(current, target, entity="course enrolment")


def seat_is_free(run: CourseRun) -> bool:
    """Tell whether the locked run has a seat left (no capacity means no limit)."""
    return run.capacity is None or run.seats_taken < run.capacity


def seats_change(run: CourseRun, delta: int) -> None:
    """Add delta to the locked run's seats_taken (kept equal to its seat-holding enrolments)."""
    if not delta:
        return
    run.seats_taken += delta
    run.save(update_fields=["seats_taken", "updated_at"])
