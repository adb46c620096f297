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

from courses.models import CourseRun
from mcportal.core.exceptions import ApplicationError
from mcportal.core.forms import form_add_service_error
from payments.choices import PriceTier
from payments.models import Bundle
from payments.selectors import bundle_get, bundle_list_on_sale, order_open_for_purchasable
from payments.services import BuyerDetails

from .choices import ENROLLMENT_TRANSITIONS, EnrollmentStatus
from .forms import BundleCheckoutForm, CheckoutForm, LeaveReasonForm
from .models import Enrollment
from .purchasables import enrollment_purchasable
from .selectors import (
    LearnerEnrollment,
    UnitCheckoutOffer,
    enrollment_get_for_learner,
    enrollment_list_for_learner,
    run_get_for_enrolment,
    unit_checkout_offer,
)
from .services import (
    bundle_checkout_order_create,
    bundle_runs,
    checkout_order_create,
    enrollment_cancel,
    enrollment_enrol,
    enrollment_withdraw,
    run_tier_prices,
)

ENROLLED_MESSAGES = {
    EnrollmentStatus.ACTIVE: gettext_lazy("You are enrolled in %(run)s. Welcome!"),
    EnrollmentStatus.PENDING_PAYMENT: gettext_lazy(
        "Your place in %(run)s is reserved. Pay for it with “Pay now” below (by card or bank "
        "transfer); your enrolment becomes active as soon as the payment arrives."
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


class CheckoutView(LoginRequiredMixin, View):
    """Pay a reserved place: choose the price tier, enter a voucher and invoice details, then the order.

    The form carries no price: whatever amount is posted is ignored, the order is priced on the server.
    """

    template_name = "enrollment/checkout.html"

    def get_enrollment(self, enrollment_id: int) -> Enrollment:
        enrollment = enrollment_get_for_learner(learner=self.request.user, enrollment_id=enrollment_id)
        if enrollment is None:
            raise Http404(_("You have no such enrolment."))
        return enrollment

    def make_form(
        self, enrollment: Enrollment, data=None, offer: UnitCheckoutOffer | None = None
    ) -> CheckoutForm:
        run = enrollment.run
        prices = run_tier_prices(run=run)
        choices = [
            (tier, f"{label} — {prices[tier]} {run.currency}") for tier, label in PriceTier.choices
        ]
        user = self.request.user
        initial = {"name": user.get_full_name(), "email": user.email}
        unit_choices = None
        if offer is not None:
            # Units are priced one by one; the tier gives its discount on each (see unit_sales).
            choices = list(PriceTier.choices)
            unit_choices = [
                (unit.pk, f"{unit.position}. {unit.title} — {unit.price_amount} {run.currency}")
                for unit in offer.for_sale
            ]
            chosen = self.request.GET.get("unit", "")
            initial["units"] = [int(chosen)] if chosen.isdigit() else []
        return CheckoutForm(data, tier_choices=choices, unit_choices=unit_choices, initial=initial)

    def render_form(
        self, enrollment: Enrollment, form: CheckoutForm, offer: UnitCheckoutOffer | None = None
    ) -> HttpResponse:
        open_order = order_open_for_purchasable(purchasable=enrollment_purchasable(enrollment))
        context = {"enrollment": enrollment, "form": form, "open_order": open_order, "offer": offer}
        return render(self.request, self.template_name, context)

    def checkout_offer(self, enrollment: Enrollment) -> UnitCheckoutOffer | None | bool:
        """The units on sale (run sold per unit), None (run sold whole), or False: nothing to pay."""
        offer = unit_checkout_offer(enrollment=enrollment)
        if offer is not None:
            payable = enrollment.status in (EnrollmentStatus.PENDING_PAYMENT, EnrollmentStatus.ACTIVE)
            return offer if payable and offer.for_sale else False
        return None if enrollment.status == EnrollmentStatus.PENDING_PAYMENT else False

    def get(self, request: HttpRequest, enrollment_id: int) -> HttpResponse:
        enrollment = self.get_enrollment(enrollment_id)
        offer = self.checkout_offer(enrollment)
        if offer is False:
            messages.info(request, _("This enrolment is not awaiting payment."))
            return HttpResponseRedirect(reverse("enrollment:dashboard"))
        return self.render_form(enrollment, self.make_form(enrollment, offer=offer), offer)

    def post(self, request: HttpRequest, enrollment_id: int) -> HttpResponse:
        enrollment = self.get_enrollment(enrollment_id)
        offer = self.checkout_offer(enrollment) or None
        form = self.make_form(enrollment, request.POST, offer=offer)
        if not form.is_valid():
            return self.render_form(enrollment, form, offer)
        data = form.cleaned_data
        try:
            order = checkout_order_create(
                enrollment=enrollment, tier=PriceTier(data["tier"]), voucher_code=data["voucher_code"],
                buyer=BuyerDetails(name=data["name"], email=data["email"], address=data["address"],
                                   company=data["company"], vat_id=data["vat_id"]),
                actor=request.user,
                unit_ids=data.get("units", ()),
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
            return self.render_form(enrollment, form, offer)
        return HttpResponseRedirect(reverse("payments:order", kwargs={"public_id": order.public_id}))


@dataclass(frozen=True)
class BundleOffer:
    """A bundle on sale and the runs it enrols the buyer in."""

    bundle: Bundle
    runs: list[CourseRun]


class BundleListView(View):
    """Bundles on sale: several courses for one flat fee."""

    def get(self, request: HttpRequest) -> HttpResponse:
        offers = [BundleOffer(bundle=bundle, runs=bundle_runs(bundle)) for bundle in bundle_list_on_sale()]
        return render(request, "enrollment/bundles.html", {"offers": offers})


class BundleCheckoutView(LoginRequiredMixin, View):
    """Buy a bundle: voucher and invoice details, then the order summary; enrolments follow payment."""

    template_name = "enrollment/bundle_checkout.html"

    def get_offer(self, bundle_id: int) -> BundleOffer:
        bundle = bundle_get(bundle_id=bundle_id)
        if bundle is None:
            raise Http404(_("No such bundle."))
        return BundleOffer(bundle=bundle, runs=bundle_runs(bundle))

    def render_form(self, offer: BundleOffer, form: BundleCheckoutForm) -> HttpResponse:
        return render(self.request, self.template_name, {"offer": offer, "form": form})

    def get(self, request: HttpRequest, bundle_id: int) -> HttpResponse:
        user = request.user
        form = BundleCheckoutForm(initial={"name": user.get_full_name(), "email": user.email})
        return self.render_form(self.get_offer(bundle_id), form)

    def post(self, request: HttpRequest, bundle_id: int) -> HttpResponse:
        offer = self.get_offer(bundle_id)
        form = BundleCheckoutForm(request.POST)
        if not form.is_valid():
            return self.render_form(offer, form)
        data = form.cleaned_data
        try:
            order = bundle_checkout_order_create(
                bundle=offer.bundle, voucher_code=data["voucher_code"],
                buyer=BuyerDetails(name=data["name"], email=data["email"], address=data["address"],
                                   company=data["company"], vat_id=data["vat_id"]),
                actor=request.user,
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
            return self.render_form(offer, form)
        return HttpResponseRedirect(reverse("payments:order", kwargs={"public_id": order.public_id}))
