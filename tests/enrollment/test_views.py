"""Learner pages of enrolment: enrolling from the course page, withdrawing, cancelling, the dashboard."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import result_record, unit_progress_mark
from mcportal.core import clock
from mcportal.core.models import AuditEvent
from tests.enrollment.conftest import enrol
from tests.factories.enrollment import AssessmentFactory, LearnerFactory, UnitFactory

DASHBOARD = "/learning/"


def _enrol_url(run):
    return reverse("enrollment:enrol", kwargs={"run_id": run.pk})


def _leave_url(enrollment):
    return reverse("enrollment:leave", kwargs={"enrollment_id": enrollment.pk})


def _messages(response):
    return [str(message) for message in response.context["messages"]]


# ----------------------------------------------------------------------------- enrolling


def test_enrolling_in_a_free_run_activates_at_once(client_for, free_run):
    learner = LearnerFactory()

    response = client_for(learner).post(_enrol_url(free_run), follow=True)

    enrollment = Enrollment.objects.get(learner=learner, run=free_run)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert _messages(response) == [
        f"You are enrolled in {free_run.course.title} ({free_run.label}). Welcome!"
    ]


def test_enrolling_in_a_priced_run_waits_for_payment(client_for, priced_run):
    learner = LearnerFactory()

    response = client_for(learner).post(_enrol_url(priced_run), follow=True)

    assert Enrollment.objects.get(learner=learner, run=priced_run).status == EnrollmentStatus.PENDING_PAYMENT
    content = response.content.decode()
    message = _messages(response)[0]
    assert "Pay for it with “Pay now” below" in message
    assert "finance office" not in message
    assert "pay it with “Pay now” by card or bank transfer" in content
    assert "the finance office will confirm your payment" not in content
    assert "Awaiting payment" in content


def test_enrolling_in_a_full_run_joins_the_waiting_list(client_for, make_run):
    run = make_run(capacity=1)
    enrol(run)
    learner = LearnerFactory()

    response = client_for(learner).post(_enrol_url(run), follow=True)

    assert Enrollment.objects.get(learner=learner, run=run).status == EnrollmentStatus.WAITLISTED
    assert "you are on its waiting list" in _messages(response)[0]


def test_anonymous_visitor_is_sent_to_log_in_and_back_to_the_course(client, free_run):
    response = client.post(_enrol_url(free_run))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=%2Fcourses%2F{free_run.course.slug}%2F"
    assert not Enrollment.objects.exists()


def test_unverified_email_gets_a_friendly_message_and_nothing_is_created(client_for, free_run):
    learner = LearnerFactory(email_verified_at=None)
    audit_before = AuditEvent.objects.count()

    response = client_for(learner).post(_enrol_url(free_run), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(free_run.course.get_absolute_url(), 302)]
    assert _messages(response) == [
        f"Confirm your e-mail address before enrolling: follow the link we sent to {learner.email}."
    ]
    assert not Enrollment.objects.exists()
    assert AuditEvent.objects.count() == audit_before
    free_run.refresh_from_db()
    assert free_run.seats_taken == 0


def test_enrolling_twice_says_so_and_changes_nothing(client_for, free_run):
    learner = LearnerFactory()
    enrol(free_run, learner)

    response = client_for(learner).post(_enrol_url(free_run), follow=True)

    assert _messages(response) == ["You are already enrolled in this run (Active)."]
    assert Enrollment.objects.filter(learner=learner).count() == 1


def test_enrol_is_post_only(client_for, free_run):
    response = client_for(LearnerFactory()).get(_enrol_url(free_run))

    assert response.status_code == 405
    assert not Enrollment.objects.exists()


# ----------------------------------------------------------------------------- the course page


def test_course_page_offers_the_right_action_to_each_visitor(client_for, make_run):
    open_run = make_run(label="Open")
    full_run = make_run(label="Full", capacity=1)
    enrol(full_run)
    learner = LearnerFactory()

    anonymous = client_for(None).get(open_run.course.get_absolute_url()).content.decode()
    unverified = (
        client_for(LearnerFactory(email_verified_at=None))
        .get(open_run.course.get_absolute_url())
        .content.decode()
    )
    verified = client_for(learner).get(open_run.course.get_absolute_url()).content.decode()
    full = client_for(learner).get(full_run.course.get_absolute_url()).content.decode()

    assert f'href="/accounts/login/?next=/courses/{open_run.course.slug}/"' in anonymous
    assert f'href="/accounts/signup/?next=/courses/{open_run.course.slug}/"' in anonymous
    assert _enrol_url(open_run) not in anonymous
    assert "first confirm your e-mail address" in unverified
    assert _enrol_url(open_run) not in unverified
    assert f'<form method="post" action="{_enrol_url(open_run)}">' in verified
    assert "Enrol now" in verified
    assert "Join the waiting list" in full


def test_course_page_shows_the_learners_enrolment_with_one_more_query(
    client_for, free_run, django_assert_num_queries
):
    learner = LearnerFactory()
    client = client_for(learner)
    client.get(free_run.course.get_absolute_url())
    # session, user, the page's five, the learner's live enrolments in these runs, the header's staff check
    with django_assert_num_queries(9) as before:
        client.get(free_run.course.get_absolute_url())
    enrol(free_run, learner)

    with django_assert_num_queries(9):
        response = client.get(free_run.course.get_absolute_url())

    content = response.content.decode()
    assert "You are enrolled: <strong>Active</strong>." in content
    assert 'href="/learning/"' in content
    assert _enrol_url(free_run) not in content
    assert len(before.captured_queries) == 9


def test_course_page_says_when_enrolment_opens(client_for, make_run):
    run = make_run(enrolment_opens_at=clock.now() + dt.timedelta(days=3))

    content = client_for(LearnerFactory()).get(run.course.get_absolute_url()).content.decode()

    assert "Enrolment opens on" in content
    assert _enrol_url(run) not in content


# ----------------------------------------------------------------------------- leaving


def test_learner_withdraws_after_confirming(client_for, free_run):
    enrollment = enrol(free_run)
    client = client_for(enrollment.learner)

    page = client.get(_leave_url(enrollment))
    response = client.post(_leave_url(enrollment), {"reason": "Moved abroad"}, follow=True)

    assert "Withdraw from the course?" in page.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.WITHDRAWN
    assert _messages(response) == [f"You have withdrawn from {free_run.course.title} ({free_run.label})."]
    event = AuditEvent.objects.get(action="enrollment.withdrawn")
    assert event.reason == "Moved abroad"
    free_run.refresh_from_db()
    assert free_run.seats_taken == 0


def test_learner_cancels_a_pending_enrolment(client_for, priced_run):
    enrollment = enrol(priced_run)

    client_for(enrollment.learner).post(_leave_url(enrollment), {"reason": ""})

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED


def test_another_learner_cannot_withdraw_someone_elses_enrolment(client_for, free_run):
    enrollment = enrol(free_run)

    response = client_for(LearnerFactory()).post(_leave_url(enrollment), {"reason": ""})

    assert response.status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="enrollment.withdrawn").exists()


def test_an_ended_enrolment_cannot_be_left_again(client_for, free_run):
    enrollment = enrol(free_run)
    client = client_for(enrollment.learner)
    client.post(_leave_url(enrollment), {"reason": ""})

    response = client.post(_leave_url(enrollment), {"reason": ""}, follow=True)

    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="enrollment.withdrawn").count() == 1


# ----------------------------------------------------------------------------- dashboard


def test_dashboard_needs_a_login(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_empty_dashboard_links_to_the_catalogue(db, client_for):
    content = client_for(LearnerFactory()).get(DASHBOARD).content.decode()

    assert "You are not enrolled in any course yet" in content
    assert 'href="/courses/"' in content


def test_dashboard_shows_progress_due_date_results_and_status(client_for, make_run, instructor):
    today = clock.today()
    run = make_run(capacity=None)
    first = UnitFactory(run=run, position=1, title="Reads")
    UnitFactory(run=run, position=2, title="Alignment", due_on=today + dt.timedelta(days=10))
    quiz = AssessmentFactory(run=run, position=1, title="Quiz", weight=Decimal("40"), is_required=False)
    AssessmentFactory(run=run, position=2, title="Exam", weight=Decimal("60"))
    learner = LearnerFactory()
    enrollment = enrol(run, learner)
    unit_progress_mark(enrollments=[enrollment], unit=first, actor=instructor)
    result_record(enrollment=enrollment, assessment=quiz, score=Decimal("72.5"), actor=instructor)
    waiting_run = make_run(capacity=1)
    enrol(waiting_run)
    enrol(waiting_run, learner)

    response = client_for(learner).get(DASHBOARD)

    content = " ".join(response.content.decode().split())
    assert "1 of 2 units" in content
    assert 'aria-valuenow="50"' in content
    assert "Next due: <strong>Alignment</strong>" in content
    assert "72.50 %" in content
    assert "“Exam” is required and has no result yet." in content
    assert "On the waiting list" in content
    assert "you have been on its waiting list since" in content
    assert content.count("Withdraw…") == 1
    assert content.count("Leave the waiting list…") == 1
    main = content.split('<main id="main" class="site-main">')[1].split("</main>")[0]
    # The only mention of credentials is the link to the learner's credentials page.
    assert main.count("redential") == 2
    assert '<a href="/learning/credentials/">My credentials</a>' in main


def test_dashboard_shows_a_completed_enrolment_with_its_final_grade(client_for, enrollment_in):
    enrollment = enrollment_in(EnrollmentStatus.COMPLETED)

    content = client_for(enrollment.learner).get(DASHBOARD).content.decode()

    assert f"the final grade <strong>{enrollment.final_grade}</strong> (80 %)" in content
    assert "Withdraw…" not in content


def test_dashboard_shows_a_failed_enrolment(client_for, enrollment_in):
    enrollment = enrollment_in(EnrollmentStatus.FAILED)

    content = client_for(enrollment.learner).get(DASHBOARD).content.decode()

    assert "Not passed" in content
    assert "you did not pass it (final score 0 %)" in content


@pytest.mark.parametrize("enrolments", [1, 4])
def test_dashboard_costs_a_fixed_number_of_queries(
    client_for, make_run, django_assert_num_queries, enrolments
):
    learner = LearnerFactory()
    for _ in range(enrolments):
        run = make_run()
        UnitFactory(run=run)
        AssessmentFactory(run=run)
        enrol(run, learner)
    client = client_for(learner)

    # session, user, the selector's five, the header's staff check
    with django_assert_num_queries(8):
        response = client.get(DASHBOARD)

    assert len(response.context["cards"]) == enrolments
