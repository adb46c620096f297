"""Enumerations of credentials: statuses, reasons, batch and item states, and their transitions."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class CredentialStatus(models.TextChoices):
    ISSUED = "issued", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


CREDENTIAL_TRANSITIONS: dict[str, set[str]] = {
    CredentialStatus.ISSUED: {CredentialStatus.SUSPENDED, CredentialStatus.REVOKED},
    CredentialStatus.SUSPENDED: {CredentialStatus.ISSUED, CredentialStatus.REVOKED},
    CredentialStatus.REVOKED: set(),
}


class RevocationReason(models.TextChoices):
    SUPERSEDED = "superseded", _("Replaced by a corrected version")
    ISSUED_IN_ERROR = "issued_in_error", _("Issued in error")
    ACADEMIC_MISCONDUCT = "academic_misconduct", _("Academic misconduct")
    LEARNER_REQUEST = "learner_request", _("At the learner's request")
    COURSE_WITHDRAWN = "course_withdrawn", _("Course withdrawn")
    OTHER = "other", _("Other")


class StatusPurpose(models.TextChoices):
    REVOCATION = "revocation", _("Revocation")
    SUSPENSION = "suspension", _("Suspension")


class PdfStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    COMPLETED_WITH_ERRORS = "completed_with_errors", _("Completed with errors")
    CANCELLED = "cancelled", _("Cancelled")


BATCH_TRANSITIONS: dict[str, set[str]] = {
    BatchStatus.QUEUED: {BatchStatus.RUNNING, BatchStatus.CANCELLED},
    BatchStatus.RUNNING: {
        BatchStatus.COMPLETED, BatchStatus.COMPLETED_WITH_ERRORS, BatchStatus.CANCELLED,
    },
    # A retry of the failed items runs the batch again.
    BatchStatus.COMPLETED_WITH_ERRORS: {BatchStatus.RUNNING},
    BatchStatus.COMPLETED: set(),
    BatchStatus.CANCELLED: set(),
}


class BatchItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (already issued)")


class SuspensionReason(models.TextChoices):
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    DISPUTED_RESULT = "disputed_result", _("Result disputed")
    PAYMENT_DISPUTE = "payment_dispute", _("Payment disputed")
    LEARNER_REQUEST = "learner_request", _("At the learner's request")
    OTHER = "other", _("Other")


class ReissueCause(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    NAME_CHANGE = "name_change", _("Change of name")


class NameChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


NAME_CHANGE_TRANSITIONS: dict[str, set[str]] = {
    NameChangeStatus.PENDING: {NameChangeStatus.APPROVED, NameChangeStatus.REJECTED},
    NameChangeStatus.APPROVED: set(),
    NameChangeStatus.REJECTED: set(),
}
