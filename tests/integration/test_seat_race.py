"""Seats under concurrency, on PostgreSQL with two real database connections (one per thread).

Each service call runs in its own thread, hence its own connection and transaction. A pause after
the seat is taken, while the transaction is still open, makes the two calls overlap for sure: if
the run row were not locked, both would read the same free seat.
"""
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection

from courses.models import CourseRun
from courses.services import course_publish
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import enrollment_enrol, enrollment_withdraw
from enrollment.services import enrolments as enrolment_services
from mcportal.core.exceptions import Conflict
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import LearnerFactory
from tests.fixtures.concurrency import audit_record_then_pause, run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def last_seat_run(registrar):
    course = CourseFactory(institution=registrar.memberships.get().institution)
    course_publish(course=course, actor=registrar)
    return CourseRunFactory(course=course, capacity=1, price_amount=Decimal("0.00"))


def _enrol_call(run, learner):
    return lambda: enrollment_enrol(learner=learner, run=run, actor=learner)


def test_two_learners_racing_for_the_last_seat_never_both_get_it(last_seat_run):
    first, second = LearnerFactory(), LearnerFactory()

    with mock.patch.object(enrolment_services, "audit_record", audit_record_then_pause):
        outcomes = run_concurrently(_enrol_call(last_seat_run, first), _enrol_call(last_seat_run, second))

    assert all(isinstance(outcome, Enrollment) for outcome in outcomes), outcomes
    statuses = sorted(Enrollment.objects.filter(run=last_seat_run).values_list("status", flat=True))
    assert statuses == [EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED]
    last_seat_run.refresh_from_db()
    assert last_seat_run.seats_taken == 1


def test_without_the_run_lock_both_would_get_the_seat(last_seat_run):
    """The control: the same race with the lock taken away shows what the lock prevents."""
    first, second = LearnerFactory(), LearnerFactory()
    unlocked = CourseRun.objects.select_related("course__institution")

    with mock.patch.object(enrolment_services, "audit_record", audit_record_then_pause), \
            mock.patch("enrollment.services.state.run_qs_for_update", return_value=unlocked):
        run_concurrently(_enrol_call(last_seat_run, first), _enrol_call(last_seat_run, second))

    statuses = list(Enrollment.objects.filter(run=last_seat_run).values_list("status", flat=True))
    assert statuses == [EnrollmentStatus.ACTIVE, EnrollmentStatus.ACTIVE]
    last_seat_run.refresh_from_db()
    assert last_seat_run.seats_taken == 1  # a lost update: two seats used, one counted


def test_a_double_submitted_enrolment_creates_one_enrolment(last_seat_run):
    learner = LearnerFactory()

    with mock.patch.object(enrolment_services, "audit_record", audit_record_then_pause):
        outcomes = run_concurrently(_enrol_call(last_seat_run, learner), _enrol_call(last_seat_run, learner))

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Conflict", "Enrollment"]
    refused = next(outcome for outcome in outcomes if isinstance(outcome, Conflict))
    assert refused.problems[0].code == "already_enrolled"
    assert Enrollment.objects.filter(learner=learner).count() == 1


def test_two_seats_freed_at_once_go_to_the_first_two_waiting_in_order(registrar):
    course = CourseFactory(institution=registrar.memberships.get().institution)
    course_publish(course=course, actor=registrar)
    run = CourseRunFactory(course=course, capacity=2)
    holders = [LearnerFactory(), LearnerFactory()]
    active = [enrollment_enrol(learner=learner, run=run, actor=learner) for learner in holders]
    waiting = [enrollment_enrol(learner=learner, run=run, actor=learner)
               for learner in (LearnerFactory(), LearnerFactory(), LearnerFactory())]

    with mock.patch.object(enrolment_services, "audit_record", audit_record_then_pause):
        outcomes = run_concurrently(
            *[lambda e=e: enrollment_withdraw(enrollment=e, actor=e.learner, reason="") for e in active]
        )

    assert all(isinstance(outcome, Enrollment) for outcome in outcomes), outcomes
    statuses = [Enrollment.objects.get(pk=e.pk).status for e in waiting]
    assert statuses == [EnrollmentStatus.ACTIVE, EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED]
    run.refresh_from_db()
    assert run.seats_taken == 2
