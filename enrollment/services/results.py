"""Recording and correcting results, one at a time or from a CSV file, through one path with history.

Every value a result takes is kept as an AssessmentResultRevision (who, when, why); each action —
one result recorded, or one file imported — writes one audit event; after results change,
completion is re-evaluated in the same transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from courses.models import CourseRun
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.models import User
from mcportal.core.roles import Capability

from ..choices import LIVE_STATUSES
from ..grading import score_quantize
from ..models import Assessment, AssessmentResult, AssessmentResultRevision, Enrollment
from ..results_import import (
    RECORDABLE_STATUSES,
    AssessmentRef,
    EnrollmentRef,
    ImportContext,
    ImportReport,
    ResultsImportRejected,
    results_csv_parse,
    results_rows_validate,
    score_problem,
)
from ..unit_access import assessment_scopes
from .authority import authority_require_capability
from .completion import completion_apply, run_rules
from .state import enrollments_lock, refusal, run_and_enrollment_lock, run_lock

BULK_BATCH = 1000


@dataclass(frozen=True)
class ResultChange:
    """One score to record for one learner in one assessment."""

    enrollment: Enrollment
    assessment: Assessment
    score: Decimal
    reason: str = ""


@dataclass(frozen=True)
class ResultsApplied:
    results: list[AssessmentResult]
    created: int
    corrected: int
    unchanged: int


def _results_apply(
    *, changes: list[ResultChange], existing: dict[tuple[int, int], AssessmentResult], actor
) -> ResultsApplied:
    """Create or correct each result and keep each new value as a revision (who, when, why).

    One upsert on the (enrollment, assessment) unique constraint writes new and corrected results
    alike, which keeps 10,000 corrections as cheap as 10,000 new results. The caller holds the run
    and enrolment locks, has validated everything, writes the audit event of its action and
    re-evaluates completion. A score equal to the recorded one changes nothing, without a revision.
    """
    now = clock.now()
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    written, reasons, results = [], [], []
    created = corrected = unchanged = 0
    for change in changes:
        current = existing.get((change.enrollment.pk, change.assessment.pk))
        if current is not None and current.score == change.score:
            unchanged += 1
            results.append(current)
            continue
        if current is None:
            created += 1
        else:
            corrected += 1
        result = AssessmentResult(
            enrollment=change.enrollment, assessment=change.assessment, score=change.score,
            passed=change.score >= change.assessment.pass_mark, recorded_at=now, recorded_by=recorded_by,
        )
        written.append(result)
        reasons.append(change.reason)
        results.append(result)
    AssessmentResult.objects.bulk_create(
        written,
        batch_size=BULK_BATCH,
        update_conflicts=True,
        unique_fields=["enrollment", "assessment"],
        update_fields=["score", "passed", "recorded_at", "recorded_by"],
    )
    AssessmentResultRevision.objects.bulk_create(
        [
            AssessmentResultRevision(
                result=result, score=result.score, passed=result.passed, recorded_at=now,
                recorded_by=recorded_by, reason=reason,
            )
            for result, reason in zip(written, reasons, strict=True)
        ],
        batch_size=BULK_BATCH,
    )
    return ResultsApplied(results=results, created=created, corrected=corrected, unchanged=unchanged)


def _refuse_unless_recordable(run: CourseRun, enrollment: Enrollment) -> None:
    if run.closed_at is not None:
        raise refusal(_("This run is closed; its results are final."), field="run", code="run_closed")
    if enrollment.status not in RECORDABLE_STATUSES:
        message = _("Results are recorded for active learners only; this enrolment is “%(status)s”.") % {
            "status": enrollment.get_status_display()
        }
        raise refusal(message, field="enrollment", code="not_active")


@transaction.atomic
def result_record(
    *, enrollment: Enrollment, assessment: Assessment, score: Decimal, actor, reason: str = ""
) -> AssessmentResult:
    """Record the learner's score in the assessment, or correct it (a correction needs a reason).

    For ACTIVE learners, and for COMPLETED ones as long as they still pass: their final score and
    grade follow the correction, but a correction that would take the pass away is refused
    (Conflict), because a completion may already have been certified; it is never silently undone.
    Closed runs are final. Instructors and registrars of the run's institution; revision and audit
    row written, completion re-evaluated, all in one transaction.
    """
    run, enrollment = run_and_enrollment_lock(enrollment.pk)
    authority_require_capability(actor, Capability.RESULTS_RECORD, run.course.institution)
    assessment = Assessment.objects.filter(pk=assessment.pk, run=run).first()
    problems = []
    if assessment is None:
        problems.append(FieldProblem(_("This assessment is not part of the learner's run."),
                                     field="assessment", code="unknown_assessment"))
    if isinstance(score, int):
        score = Decimal(score)
    if (why := score_problem(score)) is not None:
        problems.append(FieldProblem(why, field="score", code="invalid_score"))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), problems=problems)
    score = score_quantize(score)
    _refuse_unless_recordable(run, enrollment)
    scopes = assessment_scopes(run=run, enrollment_ids=[enrollment.pk])
    if scopes is not None and assessment.pk not in scopes[enrollment.pk]:
        # Pay-per-module: the learner did not buy the unit this assessment belongs to.
        raise refusal(_("The learner has not bought the unit this assessment belongs to."),
                      field="assessment", code="unit_not_bought")
    existing = AssessmentResult.objects.filter(enrollment=enrollment, assessment=assessment).first()
    if existing is not None and existing.score != score and not reason.strip():
        message = _("A correction needs a reason; the learner's history shows it.")
        raise ValidationFailed(message, problems=[FieldProblem(message, field="reason", code="required")])
    previous = None if existing is None else existing.score
    applied = _results_apply(
        changes=[ResultChange(enrollment, assessment, score, reason.strip())],
        existing={} if existing is None else {(enrollment.pk, assessment.pk): existing},
        actor=actor,
    )
    result = applied.results[0]
    if applied.created or applied.corrected:
        audit_record(
            actor=actor, action="result.recorded" if applied.created else "result.corrected", target=result,
            institution=run.course.institution, reason=reason.strip(),
            data={
                "enrollment": enrollment.pk, "assessment": assessment.pk, "score": str(result.score),
                **({"previous_score": str(previous)} if applied.corrected else {}),
            },
        )
    completion_apply(run=run, enrollments=[enrollment], actor=actor)
    return result


def _import_context(run: CourseRun, enrollments: list[Enrollment], users: dict[str, int]):
    """What the rows refer to, in three queries: assessments, current results, the rules."""
    assessments = list(Assessment.objects.filter(run=run).order_by("position"))
    preferred: dict[int, Enrollment] = {}
    # A learner may have left and enrolled again: the live enrolment is the one results go to.
    for enrollment in sorted(enrollments, key=lambda e: (e.status in LIVE_STATUSES, e.created_at, e.pk)):
        preferred[enrollment.learner_id] = enrollment
    existing = list(AssessmentResult.objects.filter(enrollment_id__in=[e.pk for e in preferred.values()]))
    existing_scores: dict[int, dict[int, Decimal]] = {}
    for result in existing:
        existing_scores.setdefault(result.enrollment_id, {})[result.assessment_id] = result.score
    context = ImportContext(
        assessments=[AssessmentRef(a.pk, a.position, a.title) for a in assessments],
        learner_ids_by_email=users,
        enrollments_by_learner={
            learner_id: EnrollmentRef(e.pk, e.status, e.get_status_display())
            for learner_id, e in preferred.items()
        },
        existing_scores=existing_scores,
        rules=run_rules(run),
        threshold=run.pass_threshold,
        grading_scheme=run.course.grading_scheme,
        assessment_scopes=assessment_scopes(run=run, enrollment_ids=[e.pk for e in preferred.values()]),
    )
    return context, assessments, preferred, existing


@transaction.atomic
def results_import(
    *, run: CourseRun, csv_file: bytes | str, actor, reason: str = "", dry_run: bool = False
) -> ImportReport:
    """Validate every row of the CSV file, then record all results in one transaction, or none.

    Any bad row raises ResultsImportRejected whose report lists each row's line and reason, and
    nothing is saved. Rows go through the same path as result_record (upsert, revisions,
    completion). dry_run validates and counts new, corrected and unchanged results, saving
    nothing. Instructors and registrars of the run's institution; one audit event,
    results.imported, with the counts and the file's SHA-256.
    """
    authority_require_capability(actor, Capability.RESULTS_RECORD, run.course.institution)
    rows, problems = results_csv_parse(csv_file)
    if problems:
        raise ResultsImportRejected(ImportReport(rows=len(rows), problems=problems, dry_run=dry_run))
    run = run_lock(run.pk)
    if run.closed_at is not None:
        raise refusal(_("This run is closed; its results are final."), field="run", code="run_closed")

    emails = {row.email.lower() for row in rows if row.email}
    users = dict(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "pk")
    )
    enrollments = enrollments_lock(Enrollment.objects.filter(run=run, learner_id__in=users.values()), run)
    context, assessments, preferred, existing = _import_context(run, enrollments, users)
    planned, problems = results_rows_validate(rows, context, reason=reason)
    report = ImportReport(rows=len(rows), dry_run=dry_run, problems=problems)
    if problems:
        raise ResultsImportRejected(report)
    report.created = sum(1 for p in planned if p.previous_score is None)
    report.corrected = sum(1 for p in planned if p.previous_score is not None and p.changes_anything)
    report.unchanged = len(planned) - report.created - report.corrected
    if dry_run:
        return report

    enrollments_by_id = {e.pk: e for e in preferred.values()}
    assessments_by_id = {a.pk: a for a in assessments}
    applied = _results_apply(
        changes=[
            ResultChange(enrollments_by_id[p.enrollment_id], assessments_by_id[p.assessment_id], p.score,
                         p.reason)
            for p in planned
        ],
        existing={(result.enrollment_id, result.assessment_id): result for result in existing},
        actor=actor,
    )
    touched = {p.enrollment_id for p in planned if p.changes_anything}
    completion = completion_apply(
        run=run,
        enrollments=[e for e in enrollments_by_id.values() if e.pk in touched],
        actor=actor,
        rules=context.rules,
    )
    report.completed = len(completion.completed)
    report.regraded = len(completion.regraded)
    digest = hashlib.sha256(csv_file.encode() if isinstance(csv_file, str) else csv_file).hexdigest()
    audit_record(
        actor=actor, action="results.imported", target=run, institution=run.course.institution,
        reason=reason,
        data={
            "rows": report.rows, "created": applied.created, "corrected": applied.corrected,
            "unchanged": applied.unchanged, "completed": report.completed, "sha256": digest,
        },
    )
    return report

