"""Learner pages of enrolment: enrolling from a course page, withdrawing or cancelling, the dashboard.

Each view checks who is asking, calls one service or selector and renders or redirects; refusals
from the services come back as a message on the page the learner came from, never as an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from mcportal.core.exceptions import ApplicationError

from .choices import ENROLLMENT_TRANSITIONS, EnrollmentStatus
from .forms import LeaveReasonForm
from .models import Enrollment
from .selectors import (
    LearnerEnrollment,
    enrollment_get_for_learner,
    enrollment_list_for_learner,
    run_get_for_enrolment,
)
from .services import enrollment_cancel, enrollment_enrol, enrollment_withdraw

ENROLLED_MESSAGES = {
    EnrollmentStatus.ACTIVE: gettext_lazy("You are enrolled in %(run)s. Welcome!"),
    EnrollmentStatus.PENDING_PAYMENT: gettext_lazy(
        "Your place in %(run)s is reserved. The finance office will confirm your payment; "
        "your enrolment becomes active then."
    ),
    EnrollmentStatus.WAITLISTED: gettext_lazy(
        "%(run)s is full, so you are on its waiting list. When a place frees up, it goes to the "
        "next person on the list and we e-mail you."
    ),
}


def _leave_action(status: str) -> str:
    """Which way out the learner has in this status: "withdraw", "cancel" or "" (none)."""
    legal = ENROLLMENT_TRANSITIONS[EnrollmentStatus(status)]
    if EnrollmentStatus.WITHDRAWN in legal:
        return "withdraw"
    if EnrollmentStatus.CANCELLED in legal:
        return "cancel"
    return ""


@dataclass(frozen=True)
class DashboardCard:
    """One enrolment on the dashboard and the way out the learner has, if any."""

    row: LearnerEnrollment
    leave_action: str

    @property
    def enrollment(self) -> Enrollment:
        return self.row.enrollment


class DashboardView(LoginRequiredMixin, View):
    """The learner's enrolments: progress, next due date, results, status and what to do next."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = enrollment_list_for_learner(learner=request.user)
        cards = [DashboardCard(row=row, leave_action=_leave_action(row.enrollment.status)) for row in rows]
        return render(request, "enrollment/dashboard.html", {"cards": cards})


class EnrolView(View):
    """POST from a course page: enrol the logged-in learner in the run, then say what happened."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = run_get_for_enrolment(run_id=run_id)
        if run is None:
            raise Http404(_("No open course has this run."))
        course_url = run.course.get_absolute_url()
        if not request.user.is_authenticated:
            login = reverse("accounts:login")
            return HttpResponseRedirect(f"{login}?{urlencode({'next': course_url})}")
        try:
            enrollment = enrollment_enrol(learner=request.user, run=run, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(course_url)
        label = f"{run.course.title} ({run.label})"
        messages.success(request, ENROLLED_MESSAGES[enrollment.status] % {"run": label})
        return HttpResponseRedirect(reverse("enrollment:dashboard"))


class LeaveView(LoginRequiredMixin, View):
    """GET asks the learner to confirm; POST withdraws (active) or cancels (waiting, awaiting payment)."""

    template_name = "enrollment/leave_confirm.html"

    def get_enrollment(self, enrollment_id: int) -> Enrollment:
        enrollment = enrollment_get_for_learner(learner=self.request.user, enrollment_id=enrollment_id)
        if enrollment is None:
            raise Http404(_("You have no such enrolment."))
        return enrollment

    def render_confirm(self, enrollment: Enrollment, form: LeaveReasonForm) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "enrollment": enrollment,
                "form": form,
                "action": _leave_action(enrollment.status),
            },
        )

    def get(self, request: HttpRequest, enrollment_id: int) -> HttpResponse:
        enrollment = self.get_enrollment(enrollment_id)
        if not _leave_action(enrollment.status):
            messages.info(request, _("This enrolment has already ended."))
            return HttpResponseRedirect(reverse("enrollment:dashboard"))
        return self.render_confirm(enrollment, LeaveReasonForm())

    def post(self, request: HttpRequest, enrollment_id: int) -> HttpResponse:
        enrollment = self.get_enrollment(enrollment_id)
        form = LeaveReasonForm(request.POST)
        if not form.is_valid():
            return self.render_confirm(enrollment, form)
        action = _leave_action(enrollment.status)
        service = enrollment_withdraw if action == "withdraw" else enrollment_cancel
        try:
            service(enrollment=enrollment, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            done = (
                _("You have withdrawn from %(run)s.")
                if action == "withdraw"
                else _("Your enrolment in %(run)s is cancelled.")
            )
            messages.success(
                request, done % {"run": f"{enrollment.run.course.title} ({enrollment.run.label})"}
            )
        return HttpResponseRedirect(reverse("enrollment:dashboard"))
