"""Enrolling, paying, withdrawing and cancelling, and the waiting list that fills freed seats in order.

Every service here locks the run row, then the enrolment row; the run's seats_taken always equals
the number of its enrolments in SEAT_HOLDING_STATUSES, because only these services move an
enrolment in or out of those statuses and they do it under the run lock.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from courses.choices import CourseStatus
from courses.models import CourseRun
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.roles import Capability
from payments.services import order_cancel_open, orders_paid_flag_for_refund

from ..choices import LIVE_STATUSES, EnrollmentStatus
from ..models import Enrollment
from ..purchasables import enrollment_purchasable
from ..selectors import enrollment_qs_for_update
from .authority import (
    authority_require_capability,
    authority_require_learner_or_registrar,
    authority_require_registrar,
)
from .notifications import learner_email
from .state import (
    enrollments_lock,
    refusal,
    run_and_enrollment_lock,
    run_lock,
    seat_is_free,
    seats_change,
    transition_check,
)


def _refuse_unless_enrollable(*, learner, run: CourseRun) -> None:
    """Raise Conflict naming the first reason this learner cannot enrol in the locked run now."""
    now = clock.now()
    if run.course.status != CourseStatus.PUBLISHED:
        raise refusal(_("This course is not open to learners."), field="run", code="course_not_published")
    if run.is_cancelled:
        raise refusal(_("This run has been cancelled."), field="run", code="run_cancelled")
    if run.closed_at is not None:
        raise refusal(_("This run is closed."), field="run", code="run_closed")
    if now < run.enrolment_opens_at:
        raise refusal(
            _("Enrolment opens on %(moment)s.")
            % {"moment": formats.date_format(run.enrolment_opens_at, "DATETIME_FORMAT")},
            field="run", code="enrolment_not_open",
        )
    if now >= run.enrolment_closes_at:
        raise refusal(
            _("Enrolment closed on %(moment)s.")
            % {"moment": formats.date_format(run.enrolment_closes_at, "DATETIME_FORMAT")},
            field="run", code="enrolment_closed",
        )
    if learner.email_verified_at is None:
        raise refusal(
            _("Confirm your e-mail address before enrolling: follow the link we sent to %(email)s.")
            % {"email": learner.email},
            field="email", code="email_unverified",
        )
    live = Enrollment.objects.filter(learner=learner, run=run, status__in=LIVE_STATUSES).first()
    if live is not None:
        raise refusal(
            _("You are already enrolled in this run (%(status)s).") % {"status": live.get_status_display()},
            field="run", code="already_enrolled",
        )


def _status_with_seat(run: CourseRun) -> EnrollmentStatus:
    return EnrollmentStatus.ACTIVE if run.is_free else EnrollmentStatus.PENDING_PAYMENT


def _waitlist_promote_next(run: CourseRun, *, actor, cause: str) -> Enrollment | None:
    """Give the free seat to the oldest waiting enrolment, audited and e-mailed; None if nobody waits."""
    waiting = (
        enrollment_qs_for_update()
        .select_related("learner")
        .filter(run=run, status=EnrollmentStatus.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if waiting is None:
        return None
    waiting.run = run
    target = _status_with_seat(run)
    transition_check(waiting, target)
    waiting.status = target
    update_fields = ["status", "updated_at"]
    if target == EnrollmentStatus.ACTIVE:
        waiting.activated_at = clock.now()
        update_fields.append("activated_at")
    waiting.save(update_fields=update_fields)
    seats_change(run, +1)
    audit_record(
        actor=actor, action="enrollment.promoted", target=waiting, institution=run.course.institution,
        reason=_("A seat became free."), data={"to": target, "cause": cause},
    )
    learner_email(enrollment=waiting, message="waitlist_promoted")
    return waiting


def _waitlist_fill(run: CourseRun, *, actor, cause: str) -> list[Enrollment]:
    """Promote waiting enrolments in order while the locked run has free seats (never once closed)."""
    if run.closed_at is not None or run.is_cancelled:
        return []
    promoted = []
    while seat_is_free(run):
        enrollment = _waitlist_promote_next(run, actor=actor, cause=cause)
        if enrollment is None:
            break
        promoted.append(enrollment)
    return promoted


def seat_release(run: CourseRun, *, cause: str) -> list[Enrollment]:
    """Free one seat of the locked run and hand it to the waiting list; returns who was promoted."""
    seats_change(run, -1)
    # The system promotes: nobody chose who gets the seat, the waiting list's order did.
    return _waitlist_fill(run, actor=None, cause=cause)


@transaction.atomic
def enrollment_enrol(*, learner, run: CourseRun, actor) -> Enrollment:
    """Enrol the learner: a seat gives ACTIVE (free run) or PENDING_PAYMENT (priced run), else WAITLISTED.

    Locks the run, so two learners racing for the last seat never both get it. Refuses with
    Conflict (field and code say why) when the course is unpublished, the run cancelled or closed,
    the window not open, the e-mail unverified or the learner already enrolled. Audited as
    enrollment.created; the learner is e-mailed after commit. The actor is the learner or a registrar.
    """
    run = run_lock(run.pk)
    institution = run.course.institution
    if not (getattr(actor, "is_authenticated", False) and actor.pk == learner.pk):
        authority_require_registrar(actor, institution)
    _refuse_unless_enrollable(learner=learner, run=run)
    # Whoever already waits goes first: seats can be free here after the capacity was raised.
    _waitlist_fill(run, actor=None, cause="enrolment")

    now = clock.now()
    enrollment = Enrollment(learner=learner, run=run)
    if seat_is_free(run):
        enrollment.status = _status_with_seat(run)
        if enrollment.status == EnrollmentStatus.ACTIVE:
            enrollment.activated_at = now
        seats_change(run, +1)
    else:
        enrollment.status = EnrollmentStatus.WAITLISTED
        enrollment.waitlisted_at = now
    enrollment.save()
    audit_record(
        actor=actor, action="enrollment.created", target=enrollment, institution=institution,
        data={"status": enrollment.status, "learner": learner.pk},
    )
    learner_email(
        enrollment=enrollment,
        message={
            EnrollmentStatus.ACTIVE: "enrolment_active",
            EnrollmentStatus.PENDING_PAYMENT: "enrolment_pending_payment",
            EnrollmentStatus.WAITLISTED: "waitlist_joined",
        }[enrollment.status],
    )
    return enrollment


def _activate(enrollment: Enrollment) -> None:
    transition_check(enrollment, EnrollmentStatus.ACTIVE, allowed_from=[EnrollmentStatus.PENDING_PAYMENT])
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.activated_at = clock.now()
    enrollment.save(update_fields=["status", "activated_at", "updated_at"])


@transaction.atomic
def enrollment_confirm_payment_manually(*, enrollment: Enrollment, actor, reason: str) -> Enrollment:
    """PENDING_PAYMENT → ACTIVE on a finance user's word (e.g. a bank transfer); the reason is required.

    Only finance of the run's institution; audited as enrollment.payment_confirmed_manually.
    """
    run, enrollment = run_and_enrollment_lock(enrollment.pk)
    authority_require_capability(actor, Capability.PAYMENTS_MANAGE, run.course.institution)
    if not reason.strip():
        raise ValidationFailed(
            _("Say how the payment was made."),
            problems=[FieldProblem(_("Say how the payment was made (e.g. the bank transfer reference)."),
                                   field="reason", code="required")],
        )
    _activate(enrollment)
    audit_record(
        actor=actor, action="enrollment.payment_confirmed_manually", target=enrollment,
        institution=run.course.institution, reason=reason,
    )
    learner_email(enrollment=enrollment, message="enrolment_active", payment_confirmed=True)
    return enrollment


@transaction.atomic
def enrollment_activate_after_payment(*, enrollment_id: int) -> Enrollment:
    """PENDING_PAYMENT → ACTIVE once the payments app saw the money; a repeat is a no-op.

    An enrolment that was activated before (and may have moved on since) is returned unchanged;
    a cancelled one raises InvalidTransition, and the caller refunds. Audited with no actor.
    """
    run, enrollment = run_and_enrollment_lock(enrollment_id)
    if enrollment.activated_at is not None:
        return enrollment
    _activate(enrollment)
    audit_record(
        actor=None, action="enrollment.activated_after_payment", target=enrollment,
        institution=run.course.institution,
    )
    learner_email(enrollment=enrollment, message="enrolment_active", payment_confirmed=True)
    return enrollment


def _reason_required_for_staff(reason: str, *, acting_for_self: bool) -> None:
    if not acting_for_self and not reason.strip():
        raise ValidationFailed(
            _("Say why."),
            problems=[FieldProblem(_("Give the reason; the learner and the audit trail see it."),
                                   field="reason", code="required")],
        )


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, actor, reason: str) -> Enrollment:
    """ACTIVE → WITHDRAWN by the learner or a registrar (who must give a reason); frees the seat.

    An order awaiting payment (further units) is cancelled, and the freed seat goes to the oldest
    waiting enrolment, in the same transaction. Audited as
    enrollment.withdrawn; the learner (and anyone promoted) is e-mailed after commit.
    """
    # The open order (e.g. for further units) is locked and cancelled first: the payment path
    # locks the order before the run and the enrolment, so this keeps the same lock order.
    order_cancel_open(purchasable=enrollment_purchasable(enrollment), reason=_("The learner withdrew."))
    run, enrollment = run_and_enrollment_lock(enrollment.pk)
    acting_for_self = authority_require_learner_or_registrar(actor, enrollment, run.course.institution)
    transition_check(enrollment, EnrollmentStatus.WITHDRAWN)
    _reason_required_for_staff(reason, acting_for_self=acting_for_self)
    enrollment.status = EnrollmentStatus.WITHDRAWN
    enrollment.ended_at = clock.now()
    enrollment.save(update_fields=["status", "ended_at", "updated_at"])
    audit_record(
        actor=actor, action="enrollment.withdrawn", target=enrollment,
        institution=run.course.institution, reason=reason, data={"by_learner": acting_for_self},
    )
    learner_email(enrollment=enrollment, message="enrolment_withdrawn", reason=reason,
                  by_learner=acting_for_self)
    seat_release(run, cause="withdrawal")
    return enrollment


@transaction.atomic
def enrollment_cancel(*, enrollment: Enrollment, actor, reason: str) -> Enrollment:
    """PENDING_PAYMENT or WAITLISTED → CANCELLED by the learner or a registrar (who must give a reason).

    Its order awaiting payment, if any, is cancelled (payments service) in the same transaction.
    A pending enrolment's seat is freed and goes to the waiting list in the same transaction.
    Audited as enrollment.cancelled; the learner is e-mailed after commit.
    """
    # The open order is locked and cancelled first, in the payment path's lock order (order, then
    # run, then enrolment); money that still arrives for it is flagged for finance by payments.
    order_cancel_open(
        purchasable=enrollment_purchasable(enrollment), reason=_("The enrolment was cancelled.")
    )
    run, enrollment = run_and_enrollment_lock(enrollment.pk)
    acting_for_self = authority_require_learner_or_registrar(actor, enrollment, run.course.institution)
    transition_check(enrollment, EnrollmentStatus.CANCELLED)
    _reason_required_for_staff(reason, acting_for_self=acting_for_self)
    held_a_seat = enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    previous = enrollment.status
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.ended_at = clock.now()
    enrollment.save(update_fields=["status", "ended_at", "updated_at"])
    audit_record(
        actor=actor, action="enrollment.cancelled", target=enrollment,
        institution=run.course.institution, reason=reason,
        data={"from": previous, "by_learner": acting_for_self},
    )
    learner_email(enrollment=enrollment, message="enrolment_cancelled", reason=reason,
                  by_learner=acting_for_self)
    if held_a_seat:
        seat_release(run, cause="cancellation")
    return enrollment


@transaction.atomic
def run_waitlist_fill(*, run: CourseRun, actor) -> list[Enrollment]:
    """Promote waiting enrolments in order into the run's free seats (after its capacity was raised).

    Registrars of the run's institution; each promotion is audited and e-mailed.
    """
    run = run_lock(run.pk)
    authority_require_registrar(actor, run.course.institution)
    if run.closed_at is not None or run.is_cancelled:
        raise refusal(_("This run is closed or cancelled; its waiting list is no longer served."),
                      field="run", code="run_closed")
    return _waitlist_fill(run, actor=actor, cause="staff")


@dataclass(frozen=True)
class RunCancellationSummary:
    """What ending a cancelled run's enrolments did."""

    cancelled: int
    withdrawn: int
    refunds_flagged: int


# What happens to each open enrolment when its run is cancelled: a run that does not take place
# cannot keep anyone enrolled, so active learners are withdrawn (the only way out of ACTIVE) too.
RUN_CANCELLATION_TARGETS = {
    EnrollmentStatus.WAITLISTED: EnrollmentStatus.CANCELLED,
    EnrollmentStatus.PENDING_PAYMENT: EnrollmentStatus.CANCELLED,
    EnrollmentStatus.ACTIVE: EnrollmentStatus.WITHDRAWN,
}


@transaction.atomic
def run_enrolments_end_after_cancellation(*, run_id: int, actor, reason: str) -> RunCancellationSummary:
    """End every open enrolment of a cancelled run; a repeat finds nothing left to end.

    Waiting and pending enrolments are cancelled and their orders awaiting payment cancelled;
    active ones are withdrawn, and what they paid is flagged for finance to refund. Seats are
    freed (nobody is promoted: the run is cancelled). Each learner is e-mailed (run_cancelled)
    after commit; every change is audited. Orders are locked before the run and the enrolments,
    the payment path's order, so money arriving meanwhile is flagged, never silently kept.
    """
    open_ids = list(
        Enrollment.objects.filter(run_id=run_id, status__in=list(RUN_CANCELLATION_TARGETS))
        .order_by("pk").values_list("pk", "status")
    )
    purchasables = [enrollment_purchasable(Enrollment(pk=pk)) for pk, _status in open_ids]
    for purchasable in purchasables:
        order_cancel_open(purchasable=purchasable, reason=_("The course run was cancelled."))
    flagged = orders_paid_flag_for_refund(
        purchasables=[enrollment_purchasable(Enrollment(pk=pk)) for pk, status in open_ids
                      if status == EnrollmentStatus.ACTIVE],
        note=_("The course run was cancelled: refund the learner."),
    )
    run = run_lock(run_id)
    if not run.is_cancelled:
        raise refusal(_("This run is not cancelled."), field="run", code="run_not_cancelled")
    enrollments = enrollments_lock(
        Enrollment.objects.filter(run=run, status__in=list(RUN_CANCELLATION_TARGETS)), run
    )
    now = clock.now()
    counts = {EnrollmentStatus.CANCELLED: 0, EnrollmentStatus.WITHDRAWN: 0}
    seats_freed = 0
    for enrollment in enrollments:
        previous = enrollment.status
        target = RUN_CANCELLATION_TARGETS[previous]
        transition_check(enrollment, target)
        seats_freed += previous != EnrollmentStatus.WAITLISTED
        enrollment.status = target
        enrollment.ended_at = now
        enrollment.save(update_fields=["status", "ended_at", "updated_at"])
        counts[target] += 1
        audit_record(
            actor=actor, action="enrollment.cancelled" if target == EnrollmentStatus.CANCELLED
            else "enrollment.withdrawn", target=enrollment, institution=run.course.institution,
            reason=reason, data={"from": previous, "by_learner": False, "cause": "run_cancelled"},
        )
        learner_email(enrollment=enrollment, message="run_cancelled", reason=reason,
                      was_active=previous == EnrollmentStatus.ACTIVE)
    seats_change(run, -seats_freed)
    return RunCancellationSummary(
        cancelled=counts[EnrollmentStatus.CANCELLED], withdrawn=counts[EnrollmentStatus.WITHDRAWN],
        refunds_flagged=len(flagged),
    )
