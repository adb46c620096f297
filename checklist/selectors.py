"""Reads of checklist: the current template, an institution's readiness, activity details,
who may do what, and the alliance comparison. Composes checklist.evidence; writes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from mcportal.core import clock
from mcportal.core.models import Institution, Membership, User
from mcportal.core.roles import Capability, institutions_for_capability, user_has_capability

from .choices import TRACKED_FIELDS, ActivityStatus
from .evidence import ActivityEvidence, evidence_for_institution
from .models import (
    ActivityAssessment,
    ActivityChange,
    Alliance,
    ChecklistActivity,
    ChecklistArea,
    ChecklistTemplate,
    Evidence,
)

# Deadlines within this many days count as "upcoming" on the dashboard.
UPCOMING_DAYS = 30
RECENT_CHANGES = 15


def template_get_current() -> ChecklistTemplate:
    """Return the current published checklist with its areas and activities prefetched, in order."""
    return ChecklistTemplate.objects.prefetch_related(
        Prefetch("areas", queryset=ChecklistArea.objects.order_by("position")),
        Prefetch("areas__activities", queryset=ChecklistActivity.objects.order_by("position")),
    ).get(is_current=True)


def template_activity_get(*, template: ChecklistTemplate, key: str) -> ChecklistActivity | None:
    for area in template.areas.all():
        for activity in area.activities.all():
            if activity.key == key:
                return activity
    return None


def institutions_for_checklist(*, user) -> QuerySet[Institution]:
    """Institutions whose checklist the user may read."""
    return institutions_for_capability(user, Capability.CHECKLIST_VIEW).order_by("short_name")


def institution_get_for_checklist(*, user, slug: str) -> Institution | None:
    """The institution if the user may read its checklist, else None (the view answers 404)."""
    return institutions_for_checklist(user=user).filter(slug=slug).first()


def responsible_candidates(*, institution: Institution) -> QuerySet[User]:
    """Members of the institution (any staff role): the people who can be made responsible."""
    return (
        User.objects.filter(memberships__institution=institution, is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


@dataclass(frozen=True)
class AssessmentPermissions:
    """What a user may change on one activity of one institution."""

    can_view: bool
    fields: frozenset[str]
    can_manage_evidence: bool

    @property
    def can_edit(self) -> bool:
        return bool(self.fields) or self.can_manage_evidence


MANAGER_FIELDS = frozenset(TRACKED_FIELDS)
# A responsible person reports progress; leadership assigns people and deadlines.
RESPONSIBLE_FIELDS = frozenset({"status", "remarks"})


def assessment_permissions_for_user(
    *, user, institution: Institution, assessment: ActivityAssessment | None
) -> AssessmentPermissions:
    """Leadership changes everything; the responsible person their own activity's status, remarks
    and evidence; other staff of the institution read; everyone else nothing."""
    if not user_has_capability(user, Capability.CHECKLIST_VIEW, institution):
        return AssessmentPermissions(can_view=False, fields=frozenset(), can_manage_evidence=False)
    if user_has_capability(user, Capability.CHECKLIST_MANAGE, institution):
        return AssessmentPermissions(can_view=True, fields=MANAGER_FIELDS, can_manage_evidence=True)
    if (
        assessment is not None
        and assessment.responsible_id is not None
        and assessment.responsible_id == user.pk
    ):
        return AssessmentPermissions(can_view=True, fields=RESPONSIBLE_FIELDS, can_manage_evidence=True)
    return AssessmentPermissions(can_view=True, fields=frozenset(), can_manage_evidence=False)


@dataclass
class ActivityRow:
    """One activity with the institution's assessment (or the defaults) and its live evidence."""

    activity: ChecklistActivity
    area: ChecklistArea
    assessment: ActivityAssessment | None
    evidence: ActivityEvidence | None
    evidence_items: int = 0

    @property
    def key(self) -> str:
        return self.activity.key

    @property
    def status(self) -> str:
        return self.assessment.status if self.assessment else ActivityStatus.NOT_STARTED

    @property
    def status_label(self) -> str:
        return str(ActivityStatus(self.status).label)

    @property
    def responsible(self) -> User | None:
        return self.assessment.responsible if self.assessment else None

    @property
    def deadline(self) -> dt.date | None:
        return self.assessment.deadline if self.assessment else None

    @property
    def remarks(self) -> str:
        return self.assessment.remarks if self.assessment else ""

    @property
    def is_open(self) -> bool:
        return self.status in (ActivityStatus.NOT_STARTED, ActivityStatus.IN_PROGRESS)

    @property
    def mismatch(self) -> bool:
        """Marked done although the portal's own data source shows nothing for it."""
        return (
            self.status == ActivityStatus.DONE
            and self.evidence is not None
            and self.evidence.supports_done is False
        )


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    in_progress: int = 0
    not_applicable: int = 0

    def add(self, status: str) -> None:
        self.total += 1
        if status == ActivityStatus.DONE:
            self.done += 1
        elif status == ActivityStatus.IN_PROGRESS:
            self.in_progress += 1
        elif status == ActivityStatus.NOT_APPLICABLE:
            self.not_applicable += 1

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def not_started(self) -> int:
        return self.applicable - self.done - self.in_progress

    @property
    def percent(self) -> int:
        """Done activities as a share of the applicable ones (100 when none applies)."""
        if not self.applicable:
            return 100
        return round(100 * self.done / self.applicable)

    @property
    def in_progress_percent(self) -> int:
        if not self.applicable:
            return 0
        return round(100 * self.in_progress / self.applicable)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "applicable": self.applicable,
            "done": self.done,
            "in_progress": self.in_progress,
            "not_started": self.not_started,
            "not_applicable": self.not_applicable,
            "readiness_percent": self.percent,
        }


@dataclass
class AreaProgress:
    area: ChecklistArea
    rows: list[ActivityRow]
    progress: Progress


@dataclass
class Readiness:
    """Everything the dashboard, its exports and its API show for one institution."""

    institution: Institution
    template: ChecklistTemplate
    today: dt.date
    areas: list[AreaProgress]
    overall: Progress
    overdue: list[ActivityRow]
    upcoming: list[ActivityRow]
    mismatches: list[ActivityRow]
    recent_changes: list[ActivityChange]
    responsible_people: list[User]
    responsible_filter: User | None = None
    rows: list[ActivityRow] = field(default_factory=list)

    @property
    def visible_rows(self) -> list[ActivityRow]:
        return [row for area in self.areas for row in area.rows]


def _assessments_by_key(institution: Institution) -> dict[str, ActivityAssessment]:
    return {
        assessment.activity_key: assessment
        for assessment in ActivityAssessment.objects.filter(institution=institution).select_related(
            "responsible"
        )
    }


def _evidence_counts(institution: Institution) -> dict[int, int]:
    counts: dict[int, int] = {}
    for assessment_id in Evidence.objects.filter(assessment__institution=institution).values_list(
        "assessment_id", flat=True
    ):
        counts[assessment_id] = counts.get(assessment_id, 0) + 1
    return counts


def _recent_changes(institution: Institution, template: ChecklistTemplate) -> list[ActivityChange]:
    titles = {
        activity.key: activity.title for area in template.areas.all() for activity in area.activities.all()
    }
    changes = list(
        ActivityChange.objects.filter(assessment__institution=institution).select_related(
            "actor", "assessment"
        )[:RECENT_CHANGES]
    )
    for change in changes:
        # Activities dropped from the current version still show under their key.
        change.activity_title = titles.get(change.assessment.activity_key, change.assessment.activity_key)
    return changes


def readiness_get(
    *, institution: Institution, responsible: User | None = None, with_evidence: bool = True
) -> Readiness:
    """Compute the institution's readiness on the current checklist: overall and per area, overdue
    and upcoming deadlines, mismatches with live evidence, recent changes. The responsible filter
    narrows the lists of activities; the overall and per-area figures stay institution-wide."""
    template = template_get_current()
    today = clock.today()
    assessments = _assessments_by_key(institution)
    evidence_counts = _evidence_counts(institution)
    evidence = evidence_for_institution(institution=institution) if with_evidence else {}
    overall = Progress()
    areas: list[AreaProgress] = []
    all_rows: list[ActivityRow] = []
    for area in template.areas.all():
        progress = Progress()
        rows = []
        for activity in area.activities.all():
            assessment = assessments.get(activity.key)
            row = ActivityRow(
                activity=activity,
                area=area,
                assessment=assessment,
                evidence=evidence.get(activity.key),
                evidence_items=evidence_counts.get(assessment.pk, 0) if assessment else 0,
            )
            progress.add(row.status)
            overall.add(row.status)
            all_rows.append(row)
            if responsible is None or (row.responsible and row.responsible.pk == responsible.pk):
                rows.append(row)
        areas.append(AreaProgress(area=area, rows=rows, progress=progress))
    visible = [row for area in areas for row in area.rows]
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)
    overdue = sorted(
        (row for row in visible if row.is_open and row.deadline and row.deadline < today),
        key=lambda row: row.deadline,
    )
    upcoming = sorted(
        (row for row in visible if row.is_open and row.deadline and today <= row.deadline <= horizon),
        key=lambda row: row.deadline,
    )
    people = {row.responsible.pk: row.responsible for row in all_rows if row.responsible}
    return Readiness(
        institution=institution,
        template=template,
        today=today,
        areas=areas,
        overall=overall,
        overdue=overdue,
        upcoming=upcoming,
        mismatches=[row for row in visible if row.mismatch],
        recent_changes=_recent_changes(institution, template),
        responsible_people=sorted(people.values(), key=lambda user: (user.full_name, user.email)),
        responsible_filter=responsible,
        rows=all_rows,
    )


@dataclass
class ActivityDetail:
    institution: Institution
    template: ChecklistTemplate
    area: ChecklistArea
    activity: ChecklistActivity
    assessment: ActivityAssessment | None
    evidence: ActivityEvidence | None
    evidence_items: list[Evidence]
    history: list[ActivityChange]
    permissions: AssessmentPermissions

    @property
    def row(self) -> ActivityRow:
        return ActivityRow(
            activity=self.activity,
            area=self.area,
            assessment=self.assessment,
            evidence=self.evidence,
            evidence_items=len(self.evidence_items),
        )

    @property
    def guiding_questions(self) -> str:
        """The activity's questions; where the document's cell spans the area, the area's ones."""
        if self.activity.guiding_questions:
            return self.activity.guiding_questions
        return " ".join(
            activity.guiding_questions
            for activity in self.area.activities.all()
            if activity.guiding_questions
        )

    @property
    def questions_are_the_areas(self) -> bool:
        return not self.activity.guiding_questions


def activity_detail_get(*, user, institution: Institution, key: str) -> ActivityDetail | None:
    """One activity of the current checklist with the institution's answer, evidence and history."""
    template = template_get_current()
    activity = template_activity_get(template=template, key=key)
    if activity is None:
        return None
    area = next(area for area in template.areas.all() if area.pk == activity.area_id)
    assessment = (
        ActivityAssessment.objects.filter(institution=institution, activity_key=key)
        .select_related("responsible", "updated_by")
        .first()
    )
    return ActivityDetail(
        institution=institution,
        template=template,
        area=area,
        activity=activity,
        assessment=assessment,
        evidence=evidence_for_institution(institution=institution, activity_keys=[key]).get(key),
        evidence_items=list(assessment.evidence.select_related("added_by")) if assessment else [],
        history=list(assessment.changes.select_related("actor")) if assessment else [],
        permissions=assessment_permissions_for_user(
            user=user, institution=institution, assessment=assessment
        ),
    )


def evidence_get_for_user(*, user, institution: Institution, key: str, evidence_id: int) -> Evidence | None:
    """An evidence item of the institution's activity, if the user may read the checklist."""
    if not user_has_capability(user, Capability.CHECKLIST_VIEW, institution):
        return None
    return (
        Evidence.objects.filter(
            pk=evidence_id, assessment__institution=institution, assessment__activity_key=key
        )
        .select_related("assessment", "assessment__responsible")
        .first()
    )


def alliances_for_user(*, user) -> QuerySet[Alliance]:
    """Alliances the user compares: those with a member institution where the user is leadership
    or auditor (all alliances for superusers)."""
    institutions = institutions_for_capability(user, Capability.CHECKLIST_ALLIANCE_VIEW)
    return Alliance.objects.filter(institutions__in=institutions).distinct().order_by("name")


def alliance_get_for_user(*, user, slug: str) -> Alliance | None:
    return alliances_for_user(user=user).filter(slug=slug).first()


@dataclass
class AllianceComparison:
    alliance: Alliance
    areas: list[ChecklistArea]
    # One row per institution: (institution, overall progress, progress per area in area order).
    rows: list[tuple[Institution, Progress, list[Progress]]]

    @property
    def area_rows(self) -> list[tuple[ChecklistArea, list[Progress]]]:
        """The same figures turned round: per area, the progress of each institution in row order."""
        return [
            (area, [per_area[index] for _institution, _overall, per_area in self.rows])
            for index, area in enumerate(self.areas)
        ]


def alliance_comparison_get(*, alliance: Alliance) -> AllianceComparison:
    """Readiness per area of every member institution, from their assessments (no live evidence)."""
    template = template_get_current()
    areas = list(template.areas.all())
    institutions = list(alliance.institutions.order_by("short_name"))
    statuses: dict[int, dict[str, str]] = {institution.pk: {} for institution in institutions}
    for institution_id, key, status in ActivityAssessment.objects.filter(
        institution__in=institutions
    ).values_list("institution_id", "activity_key", "status"):
        statuses[institution_id][key] = status
    rows = []
    for institution in institutions:
        overall = Progress()
        per_area = []
        for area in areas:
            progress = Progress()
            for activity in area.activities.all():
                status = statuses[institution.pk].get(activity.key, ActivityStatus.NOT_STARTED)
                progress.add(status)
                overall.add(status)
            per_area.append(progress)
        rows.append((institution, overall, per_area))
    return AllianceComparison(alliance=alliance, areas=areas, rows=rows)


def member_is_responsible_candidate(*, institution: Institution, user: User) -> bool:
    return Membership.objects.filter(institution=institution, user=user).exists()
