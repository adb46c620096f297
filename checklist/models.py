"""Models of checklist: versioned checklist templates (from D3.2), per-institution assessments,
their evidence and history, and alliances of institutions for the comparison view."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mcportal.core import clock
from mcportal.core.models import BaseModel, Institution

from .choices import ActivityStatus, EvidenceKind


class ChecklistTemplate(BaseModel):
    """One version of the checklist. Exactly one published version is current; drafts are edited
    in the admin and published as a new version, so older versions stay as they were."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=255)
    source = models.JSONField(_("source"), default=dict, blank=True)
    change_note = models.TextField(_("what changed"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    is_current = models.BooleanField(_("current"), default=False, editable=False)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="checklist_one_current_template",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(published_at__isnull=False),
                name="checklist_current_template_is_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class ChecklistArea(models.Model):
    """A thematic area of the checklist (e.g. 2. Technical Implementation) with its description."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="areas")
    position = models.PositiveSmallIntegerField(_("number"))
    key = models.SlugField(_("key"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="checklist_area_position_unique"),
            models.UniqueConstraint(fields=["template", "key"], name="checklist_area_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class ChecklistActivity(models.Model):
    """An activity of an area. Its key is stable across versions: assessments are keyed by it."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="activities", editable=False
    )
    area = models.ForeignKey(ChecklistArea, on_delete=models.CASCADE, related_name="activities")
    position = models.PositiveSmallIntegerField(_("position in the area"))
    key = models.SlugField(
        _("key"),
        max_length=64,
        help_text=_("Stable identifier; keep it when rewording so that assessments stay attached."),
    )
    title = models.CharField(_("activity"), max_length=200)
    task_description = models.TextField(_("task description"))
    guiding_questions = models.TextField(_("guiding questions"), blank=True)

    class Meta:
        ordering = ["area__position", "position"]
        verbose_name_plural = _("checklist activities")
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="checklist_activity_key_unique"),
            models.UniqueConstraint(fields=["area", "position"], name="checklist_activity_position_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # The template is the area's; stored too so that the key is unique per version.
        self.template_id = self.area.template_id
        super().save(*args, **kwargs)


class ActivityAssessment(BaseModel):
    """Where one institution stands on one activity. Only checklist.services writes it."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="checklist_assessments"
    )
    activity_key = models.SlugField(_("activity"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.NOT_STARTED
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checklist_responsibilities",
        verbose_name=_("responsible"),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["institution", "activity_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "activity_key"], name="checklist_assessment_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="checklist_assessment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution}: {self.activity_key} ({self.status})"


FIELD_LABELS = {
    "status": _("Status"),
    "responsible": _("Responsible person"),
    "deadline": _("Deadline"),
    "remarks": _("Remarks"),
    "evidence": _("Evidence"),
}


class ActivityChange(models.Model):
    """One field of an assessment changed (or evidence added/removed): who, when, old → new."""

    assessment = models.ForeignKey(ActivityAssessment, on_delete=models.CASCADE, related_name="changes")
    template_version = models.PositiveIntegerField(_("checklist version"))
    field = models.CharField(_("field"), max_length=32)
    old_value = models.TextField(_("before"), blank=True)
    new_value = models.TextField(_("after"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=clock.now, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.field}: {self.old_value!r} → {self.new_value!r}"

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


class Evidence(BaseModel):
    """A link or an uploaded file that backs an assessment; files are served only to staff."""

    assessment = models.ForeignKey(ActivityAssessment, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=8, choices=EvidenceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    file = models.FileField(_("file"), upload_to="checklist/evidence/%Y/%m/", blank=True, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    media_type = models.CharField(max_length=128, blank=True)
    size = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=EvidenceKind.LINK) & ~Q(url=""))
                | (Q(kind=EvidenceKind.FILE) & ~Q(file="")),
                name="checklist_evidence_link_or_file",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Alliance(BaseModel):
    """A network of institutions (e.g. Alliance4Life) whose leadership compares readiness."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    institutions = models.ManyToManyField(Institution, related_name="checklist_alliances", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
