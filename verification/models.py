"""Models of verification: one event per verification made, without any personal data."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from credentials.models import Credential
from mcportal.core import clock
from mcportal.core.models import Institution


class VerificationMethod(models.TextChoices):
    PAGE = "page", _("Verification page (link or QR code)")
    FILE = "file", _("Uploaded or pasted file")
    API = "api", _("API")


class Verdict(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    UNKNOWN_ISSUER = "unknown_issuer", _("Unknown issuer")
    INVALID = "invalid", _("Invalid")


class VerificationEvent(models.Model):
    """That a verification happened, how and with which verdict (no IP, no user, no document).

    The institution is the issuer when the credential is one of this portal's, so leadership can
    count verifications of its own credentials even for uploads that match no stored credential.
    """

    created_at = models.DateTimeField(default=clock.now, editable=False)
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    method = models.CharField(max_length=8, choices=VerificationMethod.choices, editable=False)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=VerificationMethod.values), name="verification_event_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="verification_event_verdict_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "created_at"], name="verification_event_inst_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.method}: {self.verdict}"
