"""Bitstring status lists: one per institution and purpose, with the bits and a version."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from credentials.bitstrings import MINIMUM_ENTRIES
from credentials.choices import StatusPurpose
from mcportal.core.models import BaseModel, Institution


class StatusList(BaseModel):
    """A W3C Bitstring Status List; bits change only through the revocation services."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(_("purpose"), max_length=16, choices=StatusPurpose.choices)
    sequence = models.PositiveIntegerField(
        _("sequence"), default=1, help_text=_("A new list starts when one fills up.")
    )
    size = models.PositiveIntegerField(_("entries"), default=MINIMUM_ENTRIES)
    allocated = models.PositiveIntegerField(_("entries in use"), default=0)
    bits = models.BinaryField(_("bits"), editable=False)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Increases whenever a bit changes (cache key, ETag).")
    )

    class Meta:
        ordering = ["institution", "purpose", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "purpose", "sequence"], name="credentials_statuslist_unique"
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=StatusPurpose.values), name="credentials_statuslist_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=models.F("size")), name="credentials_statuslist_not_overfull"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.purpose} list {self.sequence}"

    @property
    def is_full(self) -> bool:
        return self.allocated >= self.size


class StatusListEntry(models.Model):
    """An index of a list, reserved when allocated and then given to one credential.

    An index is never reused: a reservation whose credential never came stays taken.
    The unique constraint is the last guard against two allocations of one index.
    """

    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="entries")
    index = models.PositiveIntegerField(_("index"))
    credential = models.ForeignKey(
        "credentials.Credential", null=True, blank=True, on_delete=models.PROTECT,
        related_name="status_entries",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["status_list", "index"], name="credentials_status_index_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.status_list} #{self.index}"
