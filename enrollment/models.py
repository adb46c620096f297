"""Enrolments of learners in course runs, the run's units and assessments, and results."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import CourseRun
from mcportal.core.models import BaseModel

from .choices import LIVE_STATUSES, AssessmentKind, EnrollmentStatus

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Unit(models.Model):
    """An ordered part of a run's content, with an optional due date."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    # Pay-per-module: a priced run whose units carry prices sells them one by one (see
    # enrollment/services/unit_sales.py); a unit without a price comes with every purchase.
    price_amount = models.DecimalField(
        _("price of this unit"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "Only for a priced run: set it to sell this unit on its own (in the run's currency, "
            "standard price; partner and corporate learners get the run's tier discount). Leave "
            "empty to include the unit with every purchase."
        ),
    )

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="enrollment_unit_unique_position"),
            models.CheckConstraint(
                condition=Q(price_amount__isnull=True) | Q(price_amount__gt=0),
                name="enrollment_unit_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class Assessment(models.Model):
    """One assessed piece of a run: its weight in the final grade and its own pass mark."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="assessments")
    # The unit it assesses, if any: a learner who bought only some units of a run is assessed only
    # on the assessments of those units (and on those that belong to no unit).
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments",
        verbose_name=_("unit"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AssessmentKind.choices)
    weight = models.DecimalField(
        _("weight (%)"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS,
        help_text=_("Share of the final grade; the weights of a run add up to 100."),
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS,
        default=Decimal("50"),
    )
    is_required = models.BooleanField(
        _("required"), default=True, help_text=_("A learner must pass it to complete the course.")
    )
    is_supervised = models.BooleanField(_("supervised"), default=False)
    identity_verified = models.BooleanField(_("identity verified"), default=False)
    due_on = models.DateField(_("due on"), null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "position"], name="enrollment_assessment_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="enrollment_assessment_weight_pct"
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100),
                name="enrollment_assessment_pass_mark_pct",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Enrollment(BaseModel):
    """A learner in a course run. Only enrollment.services changes its status."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    run = models.ForeignKey(CourseRun, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(_("status"), max_length=16, choices=EnrollmentStatus.choices)
    waitlisted_at = models.DateTimeField(_("joined the waiting list"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    final_score = models.DecimalField(
        _("final score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    final_grade = models.CharField(
        _("final grade"), max_length=32, blank=True,
        help_text=_("In the course's grading scheme, e.g. A, Pass, 87.5 %."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_valid"
            ),
            models.UniqueConstraint(
                fields=["learner", "run"],
                condition=Q(status__in=sorted(LIVE_STATUSES)),
                name="enrollment_one_live_per_learner_and_run",
            ),
            # The waiting list is served in waitlisted_at order; a row without it would be skipped.
            models.CheckConstraint(
                condition=~Q(status=EnrollmentStatus.WAITLISTED) | Q(waitlisted_at__isnull=False),
                name="enrollment_waitlisted_has_time",
            ),
            # A completed or failed enrolment carries the outcome the credential and the learner see.
            models.CheckConstraint(
                condition=~Q(status=EnrollmentStatus.COMPLETED)
                | Q(final_score__isnull=False, completed_at__isnull=False, ended_at__isnull=False),
                name="enrollment_completed_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(status=EnrollmentStatus.FAILED)
                | Q(final_score__isnull=False, ended_at__isnull=False),
                name="enrollment_failed_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(final_score__isnull=True) | Q(final_score__gte=0, final_score__lte=100),
                name="enrollment_final_score_pct",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="enrollment_run_status_idx"),
            models.Index(fields=["run", "waitlisted_at"], name="enrollment_waitlist_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.run}"


class UnitProgress(models.Model):
    """A learner attended or finished a unit."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="unit_progress")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(_("completed at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "unit"], name="enrollment_unit_progress_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}: unit {self.unit_id} done"


class AssessmentResult(models.Model):
    """The current result of one learner in one assessment; corrections keep a revision history."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="results")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="results")
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS
    )
    passed = models.BooleanField(_("passed"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "assessment"], name="enrollment_result_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="enrollment_result_score_pct"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score} % ({'passed' if self.passed else 'not passed'})"


class AssessmentResultRevision(models.Model):
    """Every value a result has had, who recorded it, when and why (append-only)."""

    result = models.ForeignKey(AssessmentResult, on_delete=models.CASCADE, related_name="revisions")
    score = models.DecimalField(max_digits=5, decimal_places=2)
    passed = models.BooleanField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["result", "-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.score} % at {self.recorded_at:%Y-%m-%d %H:%M}"


class EnrollmentUnitAccess(models.Model):
    """A unit the learner bought in a run sold per unit (pay-per-module); revoked rows stay as history.

    Only enrollment.services.unit_sales writes these: granted when an order is paid, revoked when
    that unit's money goes back before any result was recorded in it.
    """

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="unit_accesses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accesses")
    # The payments order that paid it (payments sits below enrollment, so this reference is allowed).
    order = models.ForeignKey(
        "payments.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=255, blank=True)

    class Meta:
        ordering = ["enrollment", "unit__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "unit"], condition=Q(revoked_at__isnull=True),
                name="enrollment_unit_access_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}: unit {self.unit_id}{' (revoked)' if self.revoked_at else ''}"
