"""Enumerations of enrolment: statuses with their legal transitions, assessment kinds."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrollmentStatus(models.TextChoices):
    WAITLISTED = "waitlisted", _("On the waiting list")
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Not passed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


ENROLLMENT_TRANSITIONS: dict[str, set[str]] = {
    EnrollmentStatus.WAITLISTED: {
        EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.ACTIVE, EnrollmentStatus.CANCELLED,
    },
    EnrollmentStatus.PENDING_PAYMENT: {EnrollmentStatus.ACTIVE, EnrollmentStatus.CANCELLED},
    EnrollmentStatus.ACTIVE: {
        EnrollmentStatus.COMPLETED, EnrollmentStatus.FAILED, EnrollmentStatus.WITHDRAWN,
    },
    EnrollmentStatus.COMPLETED: set(),
    EnrollmentStatus.FAILED: set(),
    EnrollmentStatus.WITHDRAWN: set(),
    EnrollmentStatus.CANCELLED: set(),
}

# Statuses that hold a seat in the run (the run's seats_taken counts exactly these).
SEAT_HOLDING_STATUSES = frozenset(
    {EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED,
     EnrollmentStatus.FAILED}
)
# A learner has at most one enrolment in these statuses per run; after withdrawing or a
# cancellation they may enrol again.
LIVE_STATUSES = frozenset(
    {EnrollmentStatus.WAITLISTED, *SEAT_HOLDING_STATUSES}
)


class AssessmentKind(models.TextChoices):
    EXAM = "exam", _("Examination")
    ASSIGNMENT = "assignment", _("Assignment")
    PROJECT = "project", _("Project")
    PRACTICAL = "practical", _("Practical")
    QUIZ = "quiz", _("Quiz")
    PRESENTATION = "presentation", _("Presentation")
    PORTFOLIO = "portfolio", _("Portfolio")
    PARTICIPATION = "participation", _("Participation")
