"""Enumerations of checklist: the status of an activity and the kinds of evidence."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class EvidenceKind(models.TextChoices):
    LINK = "link", _("Link")
    FILE = "file", _("File")


# Fields of an activity assessment whose changes are recorded in its history, in form order.
TRACKED_FIELDS = ("status", "responsible", "deadline", "remarks")
