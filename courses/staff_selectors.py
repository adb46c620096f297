"""Reads behind the staff course pages: the filtered list, the detail bundle and the audit trail."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mcportal.core.models import AuditEvent, Institution
from mcportal.core.roles import Capability, institutions_for_capability, user_has_capability

from .choices import COURSE_TRANSITIONS, CourseStatus
from .models import Course, CourseRun
from .selectors import course_get_for_staff, course_list_for_staff
from .validation import ELEMENTS, PublicationReport, course_publication_report

AUDIT_TRAIL_LENGTH = 100

AUDIT_ACTION_LABELS = {
    "course.created": _("Course created"),
    "course.updated": _("Course edited"),
    "course.published": _("Published"),
    "course.withdrawn": _("Withdrawn to draft"),
    "course.archived": _("Archived"),
    "course_run.created": _("Run scheduled"),
    "course_run.updated": _("Run edited"),
    "course_run.cancelled": _("Run cancelled"),
}


def course_list_for_staff_filtered(*, user, status: str = "", query: str = "") -> QuerySet[Course]:
    """Courses the user may see in the staff area, narrowed by status and a title/code search."""
    courses = course_list_for_staff(user=user)
    if status:
        courses = courses.filter(status=status)
    for word in query.split()[:8]:
        courses = courses.filter(
            Q(title__icontains=word) | Q(code__icontains=word) | Q(slug__icontains=word)
        )
    return courses


def institutions_for_course_create(*, user) -> QuerySet[Institution]:
    """Institutions in which the user may create courses (the lead-institution choices)."""
    return institutions_for_capability(user, Capability.COURSE_EDIT).order_by("short_name")


@dataclass(frozen=True)
class AuditEntry:
    """One audit event with a label a person can read."""

    event: AuditEvent
    label: str

    @property
    def is_about_run(self) -> bool:
        return self.event.target_type == CourseRun._meta.label_lower


def course_audit_trail(*, course: Course, limit: int = AUDIT_TRAIL_LENGTH) -> list[AuditEntry]:
    """Audit events of the course and of its runs, newest first."""
    # course.runs.all() uses the prefetch of course_get_for_staff when there is one.
    run_ids = [str(run.pk) for run in course.runs.all()]
    events = (
        AuditEvent.objects.filter(
            Q(target_type=Course._meta.label_lower, target_id=str(course.pk))
            | Q(target_type=CourseRun._meta.label_lower, target_id__in=run_ids)
        )
        .select_related("actor")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    return [
        AuditEntry(event=event, label=str(AUDIT_ACTION_LABELS.get(event.action, event.action)))
        for event in events
    ]


@dataclass(frozen=True)
class ChecklistRow:
    """One element of Annex I, whether the course states it, and what is wrong with it."""

    key: str
    label: str
    mandatory: bool
    present: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return self.present and not self.problems


@dataclass(frozen=True)
class CourseStaffDetail:
    """Everything the staff detail page of a course shows, and what the viewer may do there."""

    course: Course
    report: PublicationReport
    checklist: list[ChecklistRow]
    audit_trail: list[AuditEntry]
    runs: list[CourseRun]
    can_edit: bool
    can_publish: bool

    @property
    def mandatory_rows(self) -> list[ChecklistRow]:
        return [row for row in self.checklist if row.mandatory]

    @property
    def optional_rows(self) -> list[ChecklistRow]:
        return [row for row in self.checklist if not row.mandatory]

    def _may_move_to(self, status: CourseStatus) -> bool:
        return self.can_publish and status in COURSE_TRANSITIONS[CourseStatus(self.course.status)]

    @property
    def may_publish(self) -> bool:
        return self._may_move_to(CourseStatus.PUBLISHED)

    @property
    def may_withdraw(self) -> bool:
        return self._may_move_to(CourseStatus.DRAFT)

    @property
    def may_archive(self) -> bool:
        return self._may_move_to(CourseStatus.ARCHIVED)


def _checklist(report: PublicationReport) -> list[ChecklistRow]:
    return [
        ChecklistRow(
            key=element.key,
            label=str(element.label),
            mandatory=element.mandatory,
            present=report.present.get(element.key, False),
            problems=[p.message for p in report.problems if p.element == element.key],
            warnings=[w.message for w in report.warnings if w.element == element.key],
        )
        for element in ELEMENTS
    ]


def course_staff_detail_get(*, user, slug: str) -> CourseStaffDetail | None:
    """The course with its EU-elements checklist, runs and audit trail, if the user may see it."""
    course = course_get_for_staff(user=user, slug=slug, capability=Capability.COURSE_VIEW_DRAFTS)
    if course is None:
        return None
    report = course_publication_report(course)
    return CourseStaffDetail(
        course=course,
        report=report,
        checklist=_checklist(report),
        audit_trail=course_audit_trail(course=course),
        runs=list(course.runs.all()),
        can_edit=user_has_capability(user, Capability.COURSE_EDIT, course.institution),
        can_publish=user_has_capability(user, Capability.COURSE_PUBLISH, course.institution),
    )
