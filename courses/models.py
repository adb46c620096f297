"""Courses (microcredential offerings with every EU element), their outcomes, languages and runs."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mcportal.core.models import BaseModel, Institution
from mcportal.core.money import CURRENCY_CHOICES, Money

from .choices import (
    AssessmentType,
    CourseStatus,
    EQFLevel,
    FieldOfStudy,
    GradingScheme,
    Language,
    ParticipationForm,
    QFEHEACycle,
    QualityAssuranceType,
    Stackability,
    SupervisionVerification,
)


class Course(BaseModel):
    """A microcredential offering. Only the services in courses.services change its status."""

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("lead awarding institution"),
        help_text=_("Owns the course; its staff edit it."),
    )
    partner_institutions = models.ManyToManyField(
        Institution,
        blank=True,
        related_name="joint_courses",
        verbose_name=_("joint awarding institutions"),
        help_text=_("Other institutions that award this microcredential jointly."),
    )
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    code = models.CharField(_("course code"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Markdown. Links and lists are allowed.")
    )
    eqf_level = models.PositiveSmallIntegerField(
        _("EQF level"), choices=EQFLevel.choices, null=True, blank=True
    )
    qf_ehea_cycle = models.CharField(
        _("QF-EHEA cycle"), max_length=8, choices=QFEHEACycle.choices, blank=True
    )
    workload_hours = models.PositiveIntegerField(
        _("notional workload (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3000)],
    )
    ects_credits = models.DecimalField(
        _("ECTS credits"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("60"))],
    )
    assessment_type = models.CharField(
        _("type of assessment"), max_length=24, choices=AssessmentType.choices, blank=True
    )
    assessment_details = models.TextField(_("assessment details"), blank=True)
    participation_form = models.CharField(
        _("form of participation"), max_length=8, choices=ParticipationForm.choices, blank=True
    )
    quality_assurance_type = models.CharField(
        _("type of quality assurance"),
        max_length=32,
        choices=QualityAssuranceType.choices,
        blank=True,
    )
    quality_assurance_details = models.TextField(_("quality assurance details"), blank=True)
    prerequisites = models.TextField(_("prerequisites"), blank=True)
    supervision_verification = models.CharField(
        _("supervision and identity verification"),
        max_length=24,
        choices=SupervisionVerification.choices,
        blank=True,
    )
    grading_scheme = models.CharField(
        _("grading scheme"), max_length=16, choices=GradingScheme.choices, blank=True
    )
    stackability = models.CharField(
        _("integration / stackability"), max_length=16, choices=Stackability.choices, blank=True
    )
    stackability_details = models.TextField(
        _("stacks towards"), blank=True, help_text=_("Which larger credential, and how.")
    )
    further_information = models.TextField(_("further information"), blank=True)
    further_information_url = models.URLField(_("further information link"), blank=True)
    field_of_study = models.CharField(
        _("field of study (ISCED-F)"), max_length=4, choices=FieldOfStudy.choices, blank=True
    )
    target_groups = models.TextField(_("target groups"), blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("credential validity (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Leave empty if the credential does not expire."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CourseStatus.choices, default=CourseStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CourseStatus.values), name="courses_course_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(eqf_level__isnull=True) | Q(eqf_level__gte=1, eqf_level__lte=8),
                name="courses_course_eqf_level_1_8",
            ),
            models.CheckConstraint(
                condition=Q(ects_credits__isnull=True) | Q(ects_credits__gt=0),
                name="courses_course_ects_positive",
            ),
        ]
        indexes = [models.Index(fields=["status", "title"], name="courses_status_title_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def hours_per_ects(self) -> Decimal | None:
        if not self.workload_hours or not self.ects_credits:
            return None
        return (Decimal(self.workload_hours) / self.ects_credits).quantize(Decimal("0.1"))


class LearningOutcome(models.Model):
    """One ordered statement of what the learner can do after the course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="outcomes")
    position = models.PositiveSmallIntegerField(_("position"))
    statement = models.TextField(_("statement"))

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"], name="courses_outcome_unique_position"
            )
        ]

    def __str__(self) -> str:
        return self.statement


class CourseLanguage(models.Model):
    """A language the course is taught and assessed in."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)

    class Meta:
        ordering = ["course", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "language"], name="courses_language_unique"
            ),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="courses_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_language_display()


class CourseRun(BaseModel):
    """One scheduled delivery of a course, with its enrolment window, capacity and price."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="runs")
    label = models.CharField(_("label"), max_length=100, help_text=_("e.g. Spring 2027"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    enrolment_opens_at = models.DateTimeField(_("enrolment opens"))
    enrolment_closes_at = models.DateTimeField(_("enrolment closes"))
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    # Kept by the enrolment services under a row lock on this run.
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    price_amount = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("0 for a free run."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    # Tier prices for the checkout (payments' PriceTier); empty means the individual price applies.
    price_partner_amount = models.DecimalField(
        _("price for partner institutions"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Leave empty to charge the standard price."),
    )
    price_corporate_amount = models.DecimalField(
        _("price for corporate clients"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Leave empty to charge the standard price."),
    )
    location = models.CharField(
        _("location"), max_length=200, blank=True, help_text=_("Where on-site sessions happen.")
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    pass_threshold = models.DecimalField(
        _("pass threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("The weighted grade a learner must reach to complete the course."),
    )
    # Set by the enrolment service that closes the run: results are final from then on.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="courses_run_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(enrolment_closes_at__gt=F("enrolment_opens_at")),
                name="courses_run_enrolment_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(price_amount__gte=0), name="courses_run_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")),
                name="courses_run_seats_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["course", "starts_on"], name="courses_run_start_idx")]

    def __str__(self) -> str:
        return f"{self.course.title} — {self.label}"

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)

    @property
    def is_free(self) -> bool:
        return self.price_amount == 0

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    def enrolment_is_open_at(self, moment: dt.datetime) -> bool:
        return (
            not self.is_cancelled
            and self.enrolment_opens_at <= moment < self.enrolment_closes_at
        )

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0
