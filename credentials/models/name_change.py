"""A learner's request to change the name printed on a credential; approval reissues it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from credentials.choices import NameChangeStatus
from mcportal.core.models import BaseModel

from .credential import Credential


class NameChangeRequest(BaseModel):
    """The name the learner asks for, why, and the registrar's decision (with the new credential)."""

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="name_change_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    current_name = models.CharField(_("name on the credential"), max_length=200, editable=False)
    requested_name = models.CharField(_("new name"), max_length=200)
    explanation = models.TextField(_("why the name changes"), max_length=2000)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NameChangeStatus.choices,
        default=NameChangeStatus.PENDING,
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_note = models.TextField(_("decision note"), blank=True, editable=False)
    new_credential = models.OneToOneField(
        Credential, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NameChangeStatus.values), name="credentials_name_change_status_valid"
            ),
            # One open request per credential: a second one would race the first to a reissue.
            models.UniqueConstraint(
                fields=["credential"],
                condition=Q(status=NameChangeStatus.PENDING),
                name="credentials_one_pending_name_change_per_credential",
            ),
        ]

    def __str__(self) -> str:
        # No names here: this string ends up in admin titles, logs and error reports.
        return f"Name-change request #{self.pk} ({self.status})"
