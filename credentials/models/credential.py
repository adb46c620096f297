"""Issued credentials: the signed document exactly as issued, its PDF, status and lineage."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from credentials.choices import CredentialStatus, PdfStatus, RevocationReason
from enrollment.models import Enrollment
from mcportal.core.models import BaseModel, Institution

from .signing_key import SigningKey


class Credential(BaseModel):
    """One issued microcredential. The signed JSON is never edited; corrections reissue."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    verification_code = models.CharField(
        _("verification code"), max_length=16, unique=True, editable=False,
        help_text=_("Short code printed on the PDF; the public page is /v/<code>."),
    )
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="credentials")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="credentials")
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="credentials")
    status = models.CharField(
        _("status"), max_length=16, choices=CredentialStatus.choices, default=CredentialStatus.ISSUED,
        editable=False,
    )
    # A fingerprint of the course's certified elements at issue time: one credential per
    # enrolment and course version.
    course_version = models.CharField(_("course version"), max_length=64, editable=False)
    title = models.CharField(_("title"), max_length=200, editable=False)
    learner_name = models.CharField(_("name on the credential"), max_length=200, editable=False)
    issued_at = models.DateTimeField(_("issued at"), editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )
    valid_from = models.DateTimeField(_("valid from"), editable=False)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True, editable=False)
    signed_document = models.TextField(_("signed JSON-LD"), editable=False)
    # The plain facts the document was built from (no e-mail, no salt): the PDF prints these.
    facts = models.JSONField(_("certified facts"), default=dict, editable=False)
    document_sha256 = models.CharField(_("SHA-256 of the signed JSON"), max_length=64, editable=False)
    pdf = models.FileField(_("signed PDF"), upload_to="credentials/pdf/%Y/%m/", blank=True, editable=False)
    pdf_status = models.CharField(
        _("PDF"), max_length=16, choices=PdfStatus.choices, default=PdfStatus.PENDING, editable=False
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    pdf_error = models.TextField(blank=True, editable=False)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by",
        editable=False,
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=32, choices=RevocationReason.choices, blank=True, editable=False
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CredentialStatus.values), name="credentials_credential_status_valid"
            ),
            models.UniqueConstraint(
                fields=["enrollment", "course_version"],
                condition=~Q(status=CredentialStatus.REVOKED),
                name="credentials_one_live_credential_per_enrolment_and_version",
            ),
        ]
        indexes = [models.Index(fields=["institution", "issued_at"], name="credentials_issued_idx")]

    def __str__(self) -> str:
        return f"{self.title} — {self.learner_name} ({self.verification_code})"

    @property
    def urn(self) -> str:
        return f"urn:uuid:{self.public_id}"

    def get_absolute_url(self) -> str:
        return reverse("verification:credential", kwargs={"code": self.verification_code})
