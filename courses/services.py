"""Every change to courses and runs: create, update, outcomes, publish, archive, runs.

Each service is atomic and audited; views, the API, the admin and seed_demo all call these.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.text import slugify

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, InvalidTransition, ValidationFailed
from mcportal.core.models import Institution
from mcportal.core.page_cache import page_cache_bump

from .choices import COURSE_TRANSITIONS, CourseStatus, Language
from .models import Course, CourseLanguage, CourseRun, LearningOutcome
from .selectors import CATALOGUE_CACHE_NAMESPACE, course_qs_for_update, course_run_qs_for_update
from .signals import run_cancelled
from .validation import course_publication_report

COURSE_EDITABLE_FIELDS = frozenset(
    {
        "code", "title", "summary", "description", "eqf_level", "qf_ehea_cycle",
        "workload_hours", "ects_credits", "assessment_type", "assessment_details",
        "participation_form", "quality_assurance_type", "quality_assurance_details",
        "prerequisites", "supervision_verification", "grading_scheme", "stackability",
        "stackability_details", "further_information", "further_information_url",
        "field_of_study", "target_groups", "validity_months",
    }
)
COURSE_RUN_EDITABLE_FIELDS = frozenset(
    {
        "label", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at",
        "capacity", "price_amount", "currency", "location", "pass_threshold",
        "price_partner_amount", "price_corporate_amount",
    }
)


# Path segments the staff pages use themselves (/staff/courses/new/): a course there would be
# unreachable.
RESERVED_SLUGS = frozenset({"new"})


def _record_change(**audit) -> None:
    """Audit the change and let cached catalogue pages go stale once it commits."""
    audit_record(**audit)
    page_cache_bump(CATALOGUE_CACHE_NAMESPACE)


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:100] or "course"
    candidate, suffix = base, 2
    while (
        candidate in RESERVED_SLUGS
        or Course.objects.filter(slug=candidate).exclude(pk=exclude_pk).exists()
    ):
        candidate = f"{base}-{suffix}"
        suffix += 1
    return candidate


def _assign(instance, changes: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            "Some fields cannot be changed here.",
            problems=[FieldProblem(f"'{name}' cannot be set.", field=name) for name in sorted(unknown)],
        )
    for name, value in changes.items():
        setattr(instance, name, value)
    return list(changes)


def _full_clean(instance, *, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=True)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "Please correct the highlighted fields.",
            problems=[
                FieldProblem(str(message), field=None if name == "__all__" else name)
                for name, messages in exc.message_dict.items()
                for message in messages
            ],
        ) from exc


def _set_outcomes(course: Course, statements: list[str]) -> None:
    cleaned = [statement.strip() for statement in statements if statement and statement.strip()]
    course.outcomes.all().delete()
    LearningOutcome.objects.bulk_create(
        LearningOutcome(course=course, position=position, statement=statement)
        for position, statement in enumerate(cleaned, start=1)
    )


def _set_languages(course: Course, languages: Iterable[str]) -> None:
    codes = sorted(set(languages))
    invalid = [code for code in codes if code not in Language.values]
    if invalid:
        raise ValidationFailed(
            "Unknown language.",
            problems=[FieldProblem(f"'{code}' is not a language we offer.", field="languages")
                      for code in invalid],
        )
    course.languages.all().delete()
    CourseLanguage.objects.bulk_create(CourseLanguage(course=course, language=code) for code in codes)


def _raise_if_unpublishable(course: Course) -> None:
    report = course_publication_report(course)
    if not report.is_publishable:
        raise ValidationFailed(
            "The course lacks elements that the EU Recommendation makes mandatory.",
            problems=[
                FieldProblem(problem.message, field=problem.field, code=problem.element)
                for problem in report.problems
            ],
        )


@transaction.atomic
def course_create(
    *,
    institution: Institution,
    actor,
    attributes: Mapping[str, Any],
    outcomes: list[str] | None = None,
    languages: Iterable[str] = (),
    partner_institutions: Iterable[Institution] = (),
    slug: str | None = None,
) -> Course:
    """Create a draft course with its outcomes and languages; audited as course.created."""
    if slug in RESERVED_SLUGS:
        raise ValidationFailed(
            "This web address is reserved.",
            problems=[FieldProblem(f"'{slug}' is reserved; choose another web address.", field="slug")],
        )
    course = Course(institution=institution)
    _assign(course, attributes, COURSE_EDITABLE_FIELDS)
    course.slug = slug or _unique_slug(course.title)
    _full_clean(course)
    course.save()
    course.partner_institutions.set([p for p in partner_institutions if p.pk != institution.pk])
    _set_outcomes(course, outcomes or [])
    _set_languages(course, languages)
    _record_change(actor=actor, action="course.created", target=course, institution=institution)
    return course


@transaction.atomic
def course_update(
    *,
    course: Course,
    actor,
    changes: Mapping[str, Any],
    outcomes: list[str] | None = None,
    languages: Iterable[str] | None = None,
    partner_institutions: Iterable[Institution] | None = None,
) -> Course:
    """Change a course; a published course must still pass the EU-elements check, else nothing is saved."""
    course = course_qs_for_update().get(pk=course.pk)
    changed = _assign(course, changes, COURSE_EDITABLE_FIELDS)
    _full_clean(course, exclude=["slug"])
    course.save()
    if partner_institutions is not None:
        course.partner_institutions.set(
            [p for p in partner_institutions if p.pk != course.institution_id]
        )
        changed.append("partner_institutions")
    if outcomes is not None:
        _set_outcomes(course, outcomes)
        changed.append("outcomes")
    if languages is not None:
        _set_languages(course, languages)
        changed.append("languages")
    if course.status == CourseStatus.PUBLISHED:
        _raise_if_unpublishable(course)
    _record_change(
        actor=actor,
        action="course.updated",
        target=course,
        institution=course.institution,
        data={"fields": sorted(changed)},
    )
    return course


def _transition(course: Course, target: CourseStatus) -> None:
    if target not in COURSE_TRANSITIONS[CourseStatus(course.status)]:
        raise InvalidTransition(course.status, target, entity="course")


@transaction.atomic
def course_publish(*, course: Course, actor) -> Course:
    """Publish the course if every mandatory EU element is present and consistent.

    On refusal, ValidationFailed lists each problem with its element and field; nothing changes.
    """
    course = course_qs_for_update().get(pk=course.pk)
    _transition(course, CourseStatus.PUBLISHED)
    _raise_if_unpublishable(course)
    previous = course.status
    course.status = CourseStatus.PUBLISHED
    course.published_at = clock.now()
    course.save(update_fields=["status", "published_at", "updated_at"])
    _record_change(
        actor=actor,
        action="course.published",
        target=course,
        institution=course.institution,
        data={"from": previous},
    )
    return course


@transaction.atomic
def course_withdraw_to_draft(*, course: Course, actor, reason: str = "") -> Course:
    """Take a course out of the catalogue for rework (published or archived → draft)."""
    course = course_qs_for_update().get(pk=course.pk)
    _transition(course, CourseStatus.DRAFT)
    previous = course.status
    course.status = CourseStatus.DRAFT
    course.save(update_fields=["status", "updated_at"])
    _record_change(
        actor=actor, action="course.withdrawn", target=course, institution=course.institution,
        reason=reason, data={"from": previous},
    )
    return course


@transaction.atomic
def course_archive(*, course: Course, actor, reason: str = "") -> Course:
    """Archive a course: it leaves the catalogue; issued credentials stay valid."""
    course = course_qs_for_update().get(pk=course.pk)
    _transition(course, CourseStatus.ARCHIVED)
    previous = course.status
    course.status = CourseStatus.ARCHIVED
    course.save(update_fields=["status", "updated_at"])
    _record_change(
        actor=actor, action="course.archived", target=course, institution=course.institution,
        reason=reason, data={"from": previous},
    )
    return course


@transaction.atomic
def course_run_create(*, course: Course, actor, attributes: Mapping[str, Any]) -> CourseRun:
    """Schedule a run of the course; audited as course_run.created."""
    run = CourseRun(course=course)
    _assign(run, attributes, COURSE_RUN_EDITABLE_FIELDS)
    _full_clean(run)
    run.save()
    _record_change(actor=actor, action="course_run.created", target=run, institution=course.institution)
    return run


@transaction.atomic
def course_run_update(*, run: CourseRun, actor, changes: Mapping[str, Any]) -> CourseRun:
    """Change a run's dates, capacity or price; capacity may not drop below the seats taken."""
    run = course_run_qs_for_update().get(pk=run.pk)
    changed = _assign(run, changes, COURSE_RUN_EDITABLE_FIELDS)
    if run.capacity is not None and run.capacity < run.seats_taken:
        raise ValidationFailed(
            "The capacity is below the seats already taken.",
            problems=[
                FieldProblem(
                    f"{run.seats_taken} seats are taken; the capacity cannot be lower.",
                    field="capacity",
                )
            ],
        )
    _full_clean(run)
    run.save()
    _record_change(
        actor=actor, action="course_run.updated", target=run, institution=run.course.institution,
        data={"fields": sorted(changed)},
    )
    return run


@transaction.atomic
def course_run_cancel(*, run: CourseRun, actor, reason: str) -> CourseRun:
    """Cancel a run so nobody can enrol any more; the reason is kept in the audit trail.

    Sends run_cancelled after commit, so enrollment ends the run's enrolments and their orders.
    """
    run = course_run_qs_for_update().get(pk=run.pk)
    if run.is_cancelled:
        raise InvalidTransition("cancelled", "cancelled", entity="course run")
    if not reason.strip():
        raise ValidationFailed(
            "A reason is required.", problems=[FieldProblem("Say why the run is cancelled.", field="reason")]
        )
    run.is_cancelled = True
    run.save(update_fields=["is_cancelled", "updated_at"])
    _record_change(
        actor=actor, action="course_run.cancelled", target=run, institution=run.course.institution,
        reason=reason,
    )
    # Enrollment ends the run's enrolments (and their open orders) once this has committed.
    transaction.on_commit(
        lambda: run_cancelled.send(sender=CourseRun, run=run, actor=actor, reason=reason)
    )
    return run
