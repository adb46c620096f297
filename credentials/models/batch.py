"""Batches of issuance: one item per enrolment, processed in chunks by Celery workers."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models import CourseRun
from credentials.choices import BatchItemStatus, BatchStatus
from enrollment.models import Enrollment
from mcportal.core.models import BaseModel, Institution

from .credential import Credential


class IssuanceBatch(BaseModel):
    """Issue credentials to many completed enrolments; counters are updated with F()."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="issuance_batches")
    run = models.ForeignKey(CourseRun, on_delete=models.PROTECT, related_name="issuance_batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=24, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    issued_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values), name="credentials_batch_status_valid"
            ),
            models.UniqueConstraint(
                fields=["institution", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="credentials_batch_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.pk} for {self.run}"

    @property
    def processed(self) -> int:
        return self.issued_count + self.failed_count + self.skipped_count

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)


class IssuanceBatchItem(models.Model):
    """One enrolment of a batch: its own idempotency key, with the reason when it fails."""

    batch = models.ForeignKey(IssuanceBatch, on_delete=models.CASCADE, related_name="items")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=BatchItemStatus.choices, default=BatchItemStatus.PENDING)
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "enrollment"], name="credentials_batch_item_unique"),
            models.CheckConstraint(
                condition=Q(status__in=BatchItemStatus.values), name="credentials_batch_item_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="credentials_batch_item_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.enrollment_id}: {self.status}"
