"""The enrolment state machine: every pair of statuses, legal or not, through the real services.

Each service moves to one target status; for every source status it either makes exactly the
move the table allows, or raises InvalidTransition and changes nothing. Together the services
cover every legal pair of ENROLLMENT_TRANSITIONS.
"""
import itertools
from decimal import Decimal

import pytest

from enrollment.choices import ENROLLMENT_TRANSITIONS, EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import (
    enrollment_activate_after_payment,
    enrollment_cancel,
    enrollment_complete,
    enrollment_confirm_payment_manually,
    enrollment_withdraw,
    result_record,
    run_close,
)
from enrollment.services.state import transition_check
from mcportal.core.exceptions import InvalidTransition
from mcportal.core.models import AuditEvent
from tests.factories.enrollment import AssessmentFactory

from .conftest import assert_seats_consistent, enrol

pytestmark = pytest.mark.django_db

S = EnrollmentStatus
ALL = list(S)
LEGAL_PAIRS = {(source, target) for source, targets in ENROLLMENT_TRANSITIONS.items() for target in targets}


def _confirm(enrollment, users):
    return enrollment_confirm_payment_manually(enrollment=enrollment, actor=users["finance"], reason="Paid")


def _activate(enrollment, users):
    return enrollment_activate_after_payment(enrollment_id=enrollment.pk)


def _withdraw(enrollment, users):
    return enrollment_withdraw(enrollment=enrollment, actor=enrollment.learner, reason="")


def _cancel(enrollment, users):
    return enrollment_cancel(enrollment=enrollment, actor=enrollment.learner, reason="")


def _complete(enrollment, users):
    return enrollment_complete(enrollment=enrollment, actor=users["instructor"])


# service → (target status, the source statuses it serves)
SERVICES = {
    "confirm_payment_manually": (_confirm, S.ACTIVE, {S.PENDING_PAYMENT}),
    "activate_after_payment": (_activate, S.ACTIVE, {S.PENDING_PAYMENT}),
    "withdraw": (_withdraw, S.WITHDRAWN, {S.ACTIVE}),
    "cancel": (_cancel, S.CANCELLED, {S.PENDING_PAYMENT, S.WAITLISTED}),
    "complete": (_complete, S.COMPLETED, {S.ACTIVE}),
}
# Moves made by the system rather than by a service on one enrolment; tested below.
SYSTEM_MOVES = {
    (S.WAITLISTED, S.ACTIVE): "promotion in a free run",
    (S.WAITLISTED, S.PENDING_PAYMENT): "promotion in a priced run",
    (S.ACTIVE, S.FAILED): "run_close",
}


def test_the_services_and_system_moves_cover_exactly_the_legal_transitions():
    served = {(source, target) for _, target, sources in SERVICES.values() for source in sources}

    assert served | set(SYSTEM_MOVES) == LEGAL_PAIRS
    assert served <= LEGAL_PAIRS


@pytest.mark.parametrize(("source", "target"), list(itertools.product(ALL, ALL)))
def test_the_transition_check_follows_the_table(source, target):
    enrollment = Enrollment(status=source)

    if (source, target) in LEGAL_PAIRS:
        transition_check(enrollment, target)
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition_check(enrollment, target)
        assert (refused.value.current, refused.value.target) == (source, target)
        assert refused.value.status_code == 409


@pytest.mark.parametrize(("service", "source"), list(itertools.product(SERVICES, ALL)))
def test_each_service_from_each_status(service, source, enrollment_in, finance, instructor):
    move, target, sources = SERVICES[service]
    enrollment = enrollment_in(source)
    if service == "complete" and source == S.ACTIVE:
        # The rules must be met: a passing result would complete on its own, so pass the
        # assessment while the weights are short of 100, then make them whole.
        assessment = enrollment.run.assessments.get()
        assessment.weight = Decimal("90")
        assessment.save()
        result_record(enrollment=enrollment, assessment=assessment, score=Decimal("95"), actor=instructor)
        AssessmentFactory(run=enrollment.run, weight=Decimal("10"), is_required=False)
    before_status = Enrollment.objects.get(pk=enrollment.pk).status
    before_audit = AuditEvent.objects.count()

    if source in sources:
        moved = move(enrollment, {"finance": finance, "instructor": instructor})
        assert moved.status == target
        assert Enrollment.objects.get(pk=enrollment.pk).status == target
        assert AuditEvent.objects.count() > before_audit
    elif service == "activate_after_payment" and Enrollment.objects.get(pk=enrollment.pk).activated_at:
        # A repeated payment event for an enrolment that was activated once changes nothing.
        assert move(enrollment, {}).status == source
        assert AuditEvent.objects.count() == before_audit
    else:
        with pytest.raises(InvalidTransition):
            move(enrollment, {"finance": finance, "instructor": instructor})
        assert Enrollment.objects.get(pk=enrollment.pk).status == before_status
        assert AuditEvent.objects.count() == before_audit
    assert_seats_consistent(enrollment.run)


@pytest.mark.parametrize(("price", "expected"), [("0.00", S.ACTIVE), ("75.00", S.PENDING_PAYMENT)])
def test_promotion_moves_waitlisted_to_active_or_pending_payment(price, expected, make_run):
    run = make_run(capacity=1, price=Decimal(price))
    holder, waiting = enrol(run), enrol(run)

    if holder.status == S.PENDING_PAYMENT:
        enrollment_cancel(enrollment=holder, actor=holder.learner, reason="")
    else:
        enrollment_withdraw(enrollment=holder, actor=holder.learner, reason="")

    assert Enrollment.objects.get(pk=waiting.pk).status == expected
    assert_seats_consistent(run)


def test_run_close_moves_each_status_as_the_table_allows(make_run, instructor):
    run = make_run(capacity=2, price=Decimal("10.00"))
    AssessmentFactory(run=run, weight=Decimal("100"))
    active, pending, waiting = enrol(run), enrol(run), enrol(run)
    enrollment_confirm_payment_manually(
        enrollment=active, actor=_finance_of(run), reason="Paid in cash"
    )

    summary = run_close(run=run, actor=instructor)

    statuses = dict(Enrollment.objects.filter(run=run).values_list("pk", "status"))
    assert statuses == {active.pk: S.FAILED, pending.pk: S.CANCELLED, waiting.pk: S.CANCELLED}
    assert (summary.completed, summary.failed, summary.cancelled) == (0, 1, 2)
    assert_seats_consistent(run)


def _finance_of(run):
    from tests.factories.core import MembershipFactory

    return MembershipFactory(institution=run.course.institution, role="finance").user
