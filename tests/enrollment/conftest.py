"""Fixtures of the enrolment tests: open runs of published courses, enrolments in every status."""
from decimal import Decimal

import pytest

from courses.services import course_publish
from enrollment.choices import SEAT_HOLDING_STATUSES, EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import (
    enrollment_cancel,
    enrollment_enrol,
    enrollment_withdraw,
    result_record,
    run_close,
)
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import AssessmentFactory, LearnerFactory


@pytest.fixture
def make_run(institution, registrar):
    """A run of a published course of `institution`, open for enrolment now."""

    def make(*, price=Decimal("0.00"), capacity=30, grading_scheme="ects_grades",
             pass_threshold=Decimal("50.00"), supervision="", **attributes):
        course = CourseFactory(
            institution=institution, grading_scheme=grading_scheme, supervision_verification=supervision
        )
        course_publish(course=course, actor=registrar)
        return CourseRunFactory(
            course=course, price_amount=price, capacity=capacity, pass_threshold=pass_threshold, **attributes
        )

    return make


@pytest.fixture
def free_run(make_run):
    return make_run()


@pytest.fixture
def priced_run(make_run):
    return make_run(price=Decimal("250.00"))


def enrol(run, learner=None) -> Enrollment:
    """Enrol a (new, verified) learner in the run through the service, as the learner."""
    learner = learner or LearnerFactory()
    return enrollment_enrol(learner=learner, run=run, actor=learner)


def assert_seats_consistent(run) -> None:
    """seats_taken equals the number of the run's enrolments that hold a seat."""
    run.refresh_from_db()
    holding = Enrollment.objects.filter(run=run, status__in=SEAT_HOLDING_STATUSES).count()
    assert run.seats_taken == holding


@pytest.fixture
def enrollment_in(make_run, instructor):
    """Return an enrolment brought to the given status by the real services."""

    def reach(status: str) -> Enrollment:
        if status == EnrollmentStatus.WAITLISTED:
            run = make_run(capacity=1)
            enrol(run)
            return enrol(run)
        if status in (EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.CANCELLED):
            enrollment = enrol(make_run(price=Decimal("120.00")))
            if status == EnrollmentStatus.CANCELLED:
                enrollment = enrollment_cancel(enrollment=enrollment, actor=enrollment.learner, reason="")
            return enrollment
        run = make_run()
        AssessmentFactory(run=run, weight=Decimal("100"))
        enrollment = enrol(run)
        if status == EnrollmentStatus.COMPLETED:
            result_record(enrollment=enrollment, assessment=run.assessments.get(), score=Decimal("80"),
                          actor=instructor)
        elif status == EnrollmentStatus.FAILED:
            run_close(run=run, actor=instructor)
        elif status == EnrollmentStatus.WITHDRAWN:
            enrollment_withdraw(enrollment=enrollment, actor=enrollment.learner, reason="")
        enrollment.refresh_from_db()
        assert enrollment.status == status
        return enrollment

    return reach
