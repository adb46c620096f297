"""Completion: applying the rules whenever results change, the explicit re-check, and closing a run.

The rules themselves are in enrollment/completion.py. A completion is final: a later correction may
change a completed learner's final score and grade, but never takes the pass away (see
completion_apply).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import CourseRun
from mcportal.core import clock
from mcportal.core.audit import AuditEntry, audit_record, audit_record_bulk
from mcportal.core.exceptions import Conflict, FieldProblem, ValidationFailed
from mcportal.core.roles import Capability
from payments.services import order_cancel_open

from ..choices import EnrollmentStatus
from ..completion import AssessmentRule, CompletionOutcome, completion_evaluate, weights_total
from ..grading import HUNDRED, percentage_format
from ..models import Assessment, AssessmentResult, Enrollment
from ..purchasables import enrollment_purchasable
from ..signals import enrollment_completed, enrollment_regraded
from ..unit_access import assessment_scopes
from .authority import authority_require_capability
from .notifications import learner_email
from .state import (
    enrollments_lock,
    refusal,
    run_and_enrollment_lock,
    run_lock,
    seats_change,
    transition_check,
)

BULK_BATCH = 1000
# Enrolments that closing a run brings to an end.
OPEN_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.WAITLISTED)

Scores = dict[int, Decimal]


def run_rules(run: CourseRun) -> list[AssessmentRule]:
    """The completion rules of the run's assessments, in order (one query)."""
    assessments = Assessment.objects.filter(run=run).order_by("position")
    return [AssessmentRule.of(assessment) for assessment in assessments]


def scores_by_enrollment(enrollment_ids: Iterable[int]) -> dict[int, Scores]:
    """enrollment id → {assessment id → current score} (one query)."""
    scores: dict[int, Scores] = defaultdict(dict)
    rows = AssessmentResult.objects.filter(enrollment_id__in=list(enrollment_ids)).values_list(
        "enrollment_id", "assessment_id", "score"
    )
    for enrollment_id, assessment_id, score in rows:
        scores[enrollment_id][assessment_id] = score
    return scores


def _evaluate(
    run: CourseRun, rules: list[AssessmentRule], scores: Scores, assessed: frozenset[int] | None = None
) -> CompletionOutcome:
    return completion_evaluate(
        rules=rules, scores=scores, threshold=run.pass_threshold, grading_scheme=run.course.grading_scheme,
        assessed=assessed,
    )


def _scope(scopes: dict[int, frozenset[int]] | None, enrollment: Enrollment) -> frozenset[int] | None:
    return None if scopes is None else scopes.get(enrollment.pk, frozenset())


def _outcome_data(final_score: Decimal, final_grade: str) -> dict:
    return {"final_score": str(final_score), "final_grade": final_grade}


def _mark_completed(enrollment: Enrollment, outcome: CompletionOutcome, now) -> None:
    transition_check(enrollment, EnrollmentStatus.COMPLETED)
    enrollment.status = EnrollmentStatus.COMPLETED
    enrollment.completed_at = enrollment.ended_at = enrollment.updated_at = now
    enrollment.final_score = outcome.final_score
    enrollment.final_grade = outcome.final_grade


def _completion_refused(enrollment: Enrollment, outcome: CompletionOutcome) -> Conflict:
    message = _(
        "%(learner)s has completed this course with %(grade)s; after this change they would no longer "
        "pass (%(why)s). A completion is never undone by a change of results: if the pass was "
        "awarded in error, a registrar revokes the credential."
    ) % {
        "learner": enrollment.learner.get_full_name(),
        "grade": enrollment.final_grade,
        "why": " ".join(outcome.unmet),
    }
    return refusal(message, field="score", code="would_undo_completion")


def outcomes_save(*, ended: list[Enrollment], regraded: list[Enrollment], now) -> None:
    """Save many enrolments' outcomes in few statements: those that ended at `now`, and re-graded ones.

    The scores, which differ per row, go in one bulk UPDATE first (a completed or failed row must
    have one, a constraint says so); then one UPDATE per new status sets what those rows share.
    """
    scored = [e for e in [*ended, *regraded] if e.final_score is not None]
    Enrollment.objects.bulk_update(scored, ["final_score", "final_grade"], batch_size=BULK_BATCH)
    by_status: dict[str, list[int]] = defaultdict(list)
    for enrollment in ended:
        by_status[enrollment.status].append(enrollment.pk)
    for status, ids in by_status.items():
        shared = {"status": status, "ended_at": now, "updated_at": now}
        if status == EnrollmentStatus.COMPLETED:
            shared["completed_at"] = now
        Enrollment.objects.filter(pk__in=ids).update(**shared)
    if regraded:
        Enrollment.objects.filter(pk__in=[e.pk for e in regraded]).update(updated_at=now)


@dataclass(frozen=True)
class CompletionChanges:
    """What completion_apply changed."""

    completed: list[Enrollment] = field(default_factory=list)
    regraded: list[Enrollment] = field(default_factory=list)


def completion_apply(
    *,
    run: CourseRun,
    enrollments: list[Enrollment],
    actor,
    rules: list[AssessmentRule] | None = None,
    scores: dict[int, Scores] | None = None,
) -> CompletionChanges:
    """Complete each given ACTIVE enrolment that now meets the rules; re-grade the COMPLETED ones.

    The caller holds the run lock and the enrolments' locks. A COMPLETED enrolment whose results
    no longer meet the rules raises Conflict, which undoes
    the caller's whole transaction: a correction never silently takes a pass away. Nobody
    completes while the weights do not add up to 100. Completions are audited and
    enrollment_completed is sent inside the transaction; re-grades send enrollment_regraded.
    """
    rules = run_rules(run) if rules is None else rules
    candidates = [e for e in enrollments if e.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)]
    if not candidates or weights_total(rules) != HUNDRED:
        return CompletionChanges()
    scores = scores_by_enrollment(e.pk for e in candidates) if scores is None else scores
    scopes = assessment_scopes(run=run, enrollment_ids=[e.pk for e in candidates])
    now = clock.now()
    changes = CompletionChanges()
    audit_entries = []
    previous_outcomes = {}
    for enrollment in candidates:
        outcome = _evaluate(run, rules, scores.get(enrollment.pk, {}), _scope(scopes, enrollment))
        if enrollment.status == EnrollmentStatus.ACTIVE:
            if outcome.passes:
                _mark_completed(enrollment, outcome, now)
                changes.completed.append(enrollment)
                audit_entries.append(AuditEntry(
                    "enrollment.completed", enrollment,
                    data=_outcome_data(outcome.final_score, outcome.final_grade),
                ))
            continue
        if not outcome.passes:
            raise _completion_refused(enrollment, outcome)
        if (outcome.final_score, outcome.final_grade) != (enrollment.final_score, enrollment.final_grade):
            previous_outcomes[enrollment.pk] = (enrollment.final_score, enrollment.final_grade)
            audit_entries.append(AuditEntry(
                "enrollment.regraded", enrollment,
                data={"from": _outcome_data(enrollment.final_score, enrollment.final_grade),
                      "to": _outcome_data(outcome.final_score, outcome.final_grade)},
            ))
            enrollment.final_score = outcome.final_score
            enrollment.final_grade = outcome.final_grade
            enrollment.updated_at = now
            changes.regraded.append(enrollment)
    changed = changes.completed + changes.regraded
    if not changed:
        return changes
    outcomes_save(ended=changes.completed, regraded=changes.regraded, now=now)
    audit_record_bulk(actor=actor, institution=run.course.institution, entries=audit_entries)
    for enrollment in changes.completed:
        enrollment_completed.send(sender=Enrollment, enrollment=enrollment)
    for enrollment in changes.regraded:
        previous_score, previous_grade = previous_outcomes[enrollment.pk]
        enrollment_regraded.send(
            sender=Enrollment, enrollment=enrollment,
            previous_final_score=previous_score, previous_final_grade=previous_grade,
        )
    return changes


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, actor) -> Enrollment:
    """ACTIVE → COMPLETED if the results meet the rules now; else ValidationFailed lists each unmet rule.

    Results complete learners on their own; this re-check is for staff after fixing the run's
    structure. Instructors and registrars of the run's institution; audited, signal sent.
    """
    run, enrollment = run_and_enrollment_lock(enrollment.pk)
    authority_require_capability(actor, Capability.RESULTS_RECORD, run.course.institution)
    transition_check(enrollment, EnrollmentStatus.COMPLETED)
    rules = run_rules(run)
    scopes = assessment_scopes(run=run, enrollment_ids=[enrollment.pk])
    outcome = _evaluate(run, rules, scores_by_enrollment([enrollment.pk]).get(enrollment.pk, {}),
                        _scope(scopes, enrollment))
    if not outcome.passes:
        raise ValidationFailed(
            _("The learner does not meet the completion rules yet."),
            problems=[FieldProblem(reason, field=None, code="rule_unmet") for reason in outcome.unmet],
        )
    completion_apply(run=run, enrollments=[enrollment], actor=actor, rules=rules)
    return enrollment


@dataclass(frozen=True)
class RunCloseSummary:
    """What closing a run did, for the page or API that asked."""

    run: CourseRun
    completed: int
    failed: int
    cancelled: int
    already_final: int


@transaction.atomic
def run_close(*, run: CourseRun, actor) -> RunCloseSummary:
    """Close the run: results become final, every ACTIVE learner who does not pass becomes FAILED.

    A learner who meets the rules at closing completes; orders awaiting payment are cancelled;
    waiting and pending enrolments are cancelled (pending ones free their seats, nobody is
    promoted) and e-mailed. Refused for a closed or cancelled run, and while the weights do not
    add up to 100 and learners are active.
    Instructors and registrars of the run's institution; every change is audited.
    """
    # Orders awaiting payment end with the run; locked before the run, the payment path's order.
    for enrollment_id in Enrollment.objects.filter(run_id=run.pk, status__in=OPEN_STATUSES).values_list(
        "pk", flat=True
    ):
        order_cancel_open(purchasable=enrollment_purchasable(Enrollment(pk=enrollment_id)),
                          reason=_("The run has closed."))
    run = run_lock(run.pk)
    institution = run.course.institution
    authority_require_capability(actor, Capability.RESULTS_RECORD, institution)
    if run.closed_at is not None:
        raise refusal(_("This run is already closed."), field="run", code="run_closed")
    if run.is_cancelled:
        raise refusal(_("A cancelled run is not closed."), field="run", code="run_cancelled")
    open_enrollments = enrollments_lock(Enrollment.objects.filter(run=run, status__in=OPEN_STATUSES), run)
    active = [e for e in open_enrollments if e.status == EnrollmentStatus.ACTIVE]
    rules = run_rules(run)
    total = weights_total(rules)
    if active and total != HUNDRED:
        message = _(
            "The weights of the assessments add up to %(total)s, not 100: nobody could pass. "
            "Fix the assessments before closing."
        ) % {"total": percentage_format(total).removesuffix(" %")}
        raise ValidationFailed(message, problems=[FieldProblem(message, field="assessments", code="weights")])

    scores = scores_by_enrollment(e.pk for e in active)
    scopes = assessment_scopes(run=run, enrollment_ids=[e.pk for e in active])
    passing = [e for e in active if _evaluate(run, rules, scores.get(e.pk, {}), _scope(scopes, e)).passes]
    changes = completion_apply(run=run, enrollments=passing, actor=actor, rules=rules, scores=scores)
    now = clock.now()
    seats_freed = sum(1 for e in open_enrollments if e.status == EnrollmentStatus.PENDING_PAYMENT)
    ended, entries = [], []
    for enrollment in open_enrollments:
        if enrollment.status == EnrollmentStatus.ACTIVE:
            outcome = _evaluate(run, rules, scores.get(enrollment.pk, {}), _scope(scopes, enrollment))
            transition_check(enrollment, EnrollmentStatus.FAILED)
            enrollment.status = EnrollmentStatus.FAILED
            enrollment.final_score, enrollment.final_grade = outcome.final_score, outcome.final_grade
            entries.append(AuditEntry("enrollment.failed", enrollment, reason=" ".join(outcome.unmet),
                                      data=_outcome_data(outcome.final_score, outcome.final_grade)))
        elif enrollment.status in (EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.WAITLISTED):
            entries.append(AuditEntry("enrollment.cancelled", enrollment, reason=_("The run has closed."),
                                      data={"from": enrollment.status, "by_learner": False}))
            transition_check(enrollment, EnrollmentStatus.CANCELLED)
            enrollment.status = EnrollmentStatus.CANCELLED
        else:
            continue
        enrollment.ended_at = enrollment.updated_at = now
        ended.append(enrollment)
    outcomes_save(ended=ended, regraded=[], now=now)
    audit_record_bulk(actor=actor, institution=institution, entries=entries)
    cancelled = [e for e in ended if e.status == EnrollmentStatus.CANCELLED]
    seats_change(run, -seats_freed)
    for enrollment in cancelled:
        learner_email(enrollment=enrollment, message="enrolment_cancelled", reason=_("The run has closed."),
                      by_learner=False)

    run.closed_at = now
    run.save(update_fields=["closed_at", "updated_at"])
    summary = RunCloseSummary(
        run=run,
        completed=len(changes.completed),
        failed=len(ended) - len(cancelled),
        cancelled=len(cancelled),
        already_final=Enrollment.objects.filter(run=run).count() - len(open_enrollments),
    )
    audit_record(
        actor=actor, action="course_run.closed", target=run, institution=institution,
        data={"completed": summary.completed, "failed": summary.failed, "cancelled": summary.cancelled},
    )
    return summary
