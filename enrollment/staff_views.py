"""Staff pages of a run: roster and its CSV, bulk progress, closing, results, structure and payments.

Each view finds the run (or enrolment) among the user's institutions (else 404), checks the
capability there (else 403), calls one service or selector and renders; the services check the
same capability again, so no interface can do more than another.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from courses.models import CourseRun
from mcportal.core.exceptions import ApplicationError, ValidationFailed
from mcportal.core.forms import form_add_problems
from mcportal.core.roles import Capability, StaffAreaRequiredMixin, user_has_capability

from .choices import EnrollmentStatus
from .models import Assessment, AssessmentResult, Enrollment, Unit
from .results_import import ResultsImportRejected
from .selectors import (
    enrollment_get_for_staff,
    enrollment_outcome_explain,
    enrollment_results_with_history,
    run_get_for_staff,
    run_roster,
    run_roster_csv_rows,
    run_roster_status_counts,
    run_structure_get,
)
from .services import (
    enrollment_confirm_payment_manually,
    result_record,
    results_import,
    run_assessment_delete,
    run_assessment_save,
    run_close,
    run_unit_delete,
    run_unit_save,
    unit_progress_mark,
)
from .staff_forms import (
    BulkProgressForm,
    RequiredReasonForm,
    ResultForm,
    ResultsImportForm,
    RosterFilterForm,
    UnitForm,
)

ROSTER_PAGE_SIZE = 50


def roster_url(run: CourseRun) -> str:
    return reverse("enrollment_staff:roster", kwargs={"run_id": run.pk})


def structure_url(run: CourseRun) -> str:
    return reverse("enrollment_staff:structure", kwargs={"run_id": run.pk})


class RunAccessMixin(StaffAreaRequiredMixin):
    """Find the run among the user's institutions (else 404) and check the capability there (else 403)."""

    capability = Capability.RESULTS_RECORD

    def get_run(self) -> CourseRun:
        run = run_get_for_staff(
            user=self.request.user, run_id=self.kwargs["run_id"], capability=Capability.COURSE_VIEW_DRAFTS
        )
        if run is None:
            raise Http404
        if not user_has_capability(self.request.user, self.capability, run.course.institution):
            raise PermissionDenied
        return run

    def get_enrollment(self, run: CourseRun) -> Enrollment:
        enrollment = enrollment_get_for_staff(
            user=self.request.user,
            enrollment_id=self.kwargs["enrollment_id"],
            capability=Capability.COURSE_VIEW_DRAFTS,
        )
        if enrollment is None or enrollment.run_id != run.pk:
            raise Http404
        return enrollment


# ----------------------------------------------------------------------------- roster


@dataclass(frozen=True)
class RosterRow:
    """One enrolment of the roster page and its result (or None) for each assessment, in column order."""

    enrollment: Enrollment
    results: list[AssessmentResult | None]


def _roster_rows(enrollments, assessments: list[Assessment]) -> list[RosterRow]:
    rows = []
    for enrollment in enrollments:
        results = {result.assessment_id: result for result in enrollment.results.all()}
        rows.append(RosterRow(enrollment, [results.get(assessment.pk) for assessment in assessments]))
    return rows


@dataclass(frozen=True)
class StatusTab:
    status: str
    label: str
    count: int


def _status_tabs(counts: dict[str, int]) -> list[StatusTab]:
    """An "All" tab, then one per status that has enrolments."""
    tabs = [StatusTab("", _("All"), sum(counts.values()))]
    tabs += [
        StatusTab(value, str(label), counts[value])
        for value, label in EnrollmentStatus.choices
        if counts[value]
    ]
    return tabs


@dataclass(frozen=True)
class SortLink:
    """A roster column header: where clicking it leads, and the direction the column is sorted in now."""

    query: str
    direction: str  # "ascending", "descending" or ""


SORTABLE_COLUMNS = ("name", "status", "progress", "score")


def _sort_links(params, current: str) -> dict[str, SortLink]:
    """Each sortable column's link: ascending first, descending when it is already ascending."""
    links = {}
    for column in SORTABLE_COLUMNS:
        query = params.copy()
        query.pop("page", None)
        query["sort"] = f"-{column}" if current == column else column
        direction = {column: "ascending", f"-{column}": "descending"}.get(current, "")
        links[column] = SortLink(query.urlencode(), direction)
    return links


class RosterView(RunAccessMixin, View):
    """The run's learners with progress and results per assessment; filters, sorting, 50 per page."""

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        structure = run_structure_get(run=run)
        filter_form = RosterFilterForm(request.GET)
        filters = filter_form.filters()
        page_obj = Paginator(run_roster(run=run, **filters), ROSTER_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "enrollment/staff/roster.html",
            {
                "run": run,
                "course": run.course,
                "structure": structure,
                "filter_form": filter_form,
                "filters": filters,
                "status_tabs": _status_tabs(run_roster_status_counts(run=run)),
                "page_obj": page_obj,
                "rows": _roster_rows(page_obj.object_list, structure.assessments),
                "bulk_form": BulkProgressForm(units=structure.units),
                "export_query": request.GET.urlencode(),
                "sort_links": _sort_links(request.GET, filters["ordering"]),
                # Pay-per-module: each row then names the units the learner bought.
                "sold_per_unit": not run.is_free
                and any(unit.price_amount is not None for unit in structure.units),
            },
        )


class RosterCsvView(RunAccessMixin, View):
    """The roster (same filters and order as the page, every page) as a CSV file."""

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        filters = RosterFilterForm(request.GET).filters()

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in run_roster_csv_rows(run=run, **filters)),
            content_type="text/csv; charset=utf-8",
        )
        name = slugify(f"{run.course.slug}-{run.label}") or f"run-{run.pk}"
        response["Content-Disposition"] = f'attachment; filename="roster-{name}.csv"'
        return response


class ProgressMarkView(RunAccessMixin, View):
    """POST from the roster: mark a unit as attended for the ticked learners (all or none)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        structure = run_structure_get(run=run)
        form = BulkProgressForm(request.POST, units=structure.units)
        if form.is_valid():
            unit = next(unit for unit in structure.units if unit.pk == form.cleaned_data["unit"])
            # Only ids: the service locks the rows itself and reports any that are not in this run.
            enrollments = [Enrollment(pk=pk) for pk in form.cleaned_data["enrollments"]]
            try:
                marked = unit_progress_mark(enrollments=enrollments, unit=unit, actor=request.user)
            except ApplicationError as exc:
                messages.error(
                    request, " ".join([exc.message, *[problem.message for problem in exc.problems]])
                )
            else:
                messages.success(
                    request,
                    ngettext(
                        "“%(unit)s” is marked done for %(count)d more learner.",
                        "“%(unit)s” is marked done for %(count)d more learners.",
                        marked,
                    )
                    % {"unit": unit.title, "count": marked},
                )
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        back = roster_url(run)
        query = request.POST.get("return_query", "")
        return HttpResponseRedirect(f"{back}?{query}" if query else back)


class RunCloseView(RunAccessMixin, View):
    """GET explains what closing does with the run's counts; POST closes the run (run_close)."""

    template_name = "enrollment/staff/run_close.html"

    def render_confirm(self, run: CourseRun, errors: list[str]) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "run": run,
                "course": run.course,
                "status_tabs": _status_tabs(run_roster_status_counts(run=run)),
                "errors": errors,
            },
        )

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        return self.render_confirm(self.get_run(), [])

    def post(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        try:
            summary = run_close(run=run, actor=request.user)
        except ApplicationError as exc:
            return self.render_confirm(run, [exc.message])
        messages.success(
            request,
            _(
                "The run is closed: %(completed)d completed, %(failed)d did not pass, "
                "%(cancelled)d waiting or unpaid enrolments were cancelled."
            )
            % {"completed": summary.completed, "failed": summary.failed, "cancelled": summary.cancelled},
        )
        return HttpResponseRedirect(roster_url(run))


# ----------------------------------------------------------------------------- results


class LearnerResultsView(RunAccessMixin, View):
    """One learner's results with their history; a form records a score or corrects one (with a reason)."""

    template_name = "enrollment/staff/learner_results.html"

    def render_page(
        self, run: CourseRun, enrollment: Enrollment, assessments, form: ResultForm
    ) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "run": run,
                "course": run.course,
                "enrollment": enrollment,
                "form": form,
                "results": enrollment_results_with_history(enrollment=enrollment),
                "assessments": assessments,
                "outcome": enrollment_outcome_explain(enrollment=enrollment) if assessments else None,
            },
        )

    def get(self, request: HttpRequest, run_id: int, enrollment_id: int) -> HttpResponse:
        run = self.get_run()
        enrollment = self.get_enrollment(run)
        assessments = run_structure_get(run=run).assessments
        initial = {"assessment": request.GET.get("assessment")} if request.GET.get("assessment") else None
        return self.render_page(
            run, enrollment, assessments, ResultForm(initial=initial, assessments=assessments)
        )

    def post(self, request: HttpRequest, run_id: int, enrollment_id: int) -> HttpResponse:
        run = self.get_run()
        enrollment = self.get_enrollment(run)
        assessments = run_structure_get(run=run).assessments
        form = ResultForm(request.POST, assessments=assessments)
        if form.is_valid():
            assessment = next(a for a in assessments if a.pk == form.cleaned_data["assessment"])
            try:
                result_record(
                    enrollment=enrollment,
                    assessment=assessment,
                    score=form.cleaned_data["score"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                form_add_problems(form, exc.problems or [])
                if not exc.problems:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("The score in “%(assessment)s” is saved.") % {"assessment": assessment.title}
                )
                return HttpResponseRedirect(request.path)
        return self.render_page(run, enrollment, assessments, form)


class ResultsImportView(RunAccessMixin, View):
    """Upload a CSV of results: every row is checked first; one bad row and nothing is imported."""

    template_name = "enrollment/staff/results_import.html"

    def render_page(self, run, form, report=None, rejected=None) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "run": run,
                "course": run.course,
                "form": form,
                "report": report,
                "rejected": rejected,
                "structure": run_structure_get(run=run),
            },
        )

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        return self.render_page(self.get_run(), ResultsImportForm())

    def post(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        form = ResultsImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(run, form)
        try:
            report = results_import(
                run=run,
                csv_file=form.cleaned_data["file"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ResultsImportRejected as exc:
            return self.render_page(run, form, rejected=exc.report)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.render_page(run, form)
        return self.render_page(run, ResultsImportForm(), report=report)


# ----------------------------------------------------------------------------- structure


class StructureView(RunAccessMixin, View):
    """The run's units and assessments, and whether the weights add up to 100 yet."""

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        return render(
            request,
            "enrollment/staff/structure.html",
            {
                "run": run,
                "course": run.course,
                "structure": run_structure_get(run=run),
            },
        )


class StructureItemMixin(RunAccessMixin):
    """Shared by the unit and assessment pages: find the item in the run (else 404), save or delete it."""

    capability = Capability.COURSE_EDIT
    form_class: type = UnitForm
    kind = "unit"

    def items(self, run: CourseRun) -> list:
        structure = run_structure_get(run=run)
        return structure.units if self.kind == "unit" else structure.assessments

    def get_item(self, run: CourseRun) -> Unit | Assessment | None:
        item_id = self.kwargs.get("item_id")
        if item_id is None:
            return None
        for item in self.items(run):
            if item.pk == item_id:
                return item
        raise Http404


class StructureItemEditView(StructureItemMixin, View):
    """Add a unit or an assessment to the run, or change one."""

    def render_form(self, run, form, item) -> HttpResponse:
        return render(
            self.request,
            "enrollment/staff/structure_form.html",
            {
                "run": run,
                "course": run.course,
                "form": form,
                "item": item,
                "kind": self.kind,
            },
        )

    def get(self, request: HttpRequest, run_id: int, item_id: int | None = None) -> HttpResponse:
        run = self.get_run()
        item = self.get_item(run)
        initial = self.form_class.initial_for(item) if item else None
        form = self.form_class(initial=initial, run=run)
        return self.render_form(run, form, item)

    def post(self, request: HttpRequest, run_id: int, item_id: int | None = None) -> HttpResponse:
        run = self.get_run()
        item = self.get_item(run)
        form = self.form_class(request.POST, run=run)
        if form.is_valid():
            try:
                if self.kind == "unit":
                    saved = run_unit_save(
                        run=run, actor=request.user, attributes=form.attributes(), unit=item
                    )
                else:
                    saved = run_assessment_save(
                        run=run, actor=request.user, attributes=form.attributes(), assessment=item
                    )
            except ValidationFailed as exc:
                form_add_problems(form, exc.problems)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("“%(title)s” is saved.") % {"title": saved.title})
                return HttpResponseRedirect(structure_url(run))
        return self.render_form(run, form, item)


class StructureItemDeleteView(StructureItemMixin, View):
    """GET asks to confirm; POST deletes the unit or assessment (refused once it has marks or results)."""

    def get(self, request: HttpRequest, run_id: int, item_id: int) -> HttpResponse:
        run = self.get_run()
        return render(
            request,
            "enrollment/staff/structure_delete.html",
            {
                "run": run,
                "course": run.course,
                "item": self.get_item(run),
                "kind": self.kind,
            },
        )

    def post(self, request: HttpRequest, run_id: int, item_id: int) -> HttpResponse:
        run = self.get_run()
        item = self.get_item(run)
        try:
            if self.kind == "unit":
                run_unit_delete(unit=item, actor=request.user)
            else:
                run_assessment_delete(assessment=item, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(title)s” is deleted.") % {"title": item.title})
        return HttpResponseRedirect(structure_url(run))


# ----------------------------------------------------------------------------- payments


class PaymentsView(RunAccessMixin, View):
    """Finance: the run's enrolments awaiting payment, each with a form to confirm a payment by hand."""

    capability = Capability.PAYMENTS_MANAGE

    def get(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self.get_run()
        pending = run_roster(
            run=run, status=EnrollmentStatus.PENDING_PAYMENT, ordering="enrolled", with_results=False
        )
        page_obj = Paginator(pending, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "enrollment/staff/payments.html",
            {
                "run": run,
                "course": run.course,
                "page_obj": page_obj,
                "form": RequiredReasonForm(),
            },
        )


class PaymentConfirmView(RunAccessMixin, View):
    """POST: a finance user confirms a pending payment by hand, with how it was paid (audited)."""

    capability = Capability.PAYMENTS_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, run_id: int, enrollment_id: int) -> HttpResponse:
        run = self.get_run()
        enrollment = self.get_enrollment(run)
        form = RequiredReasonForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                _("Say how %(learner)s paid before confirming.")
                % {"learner": enrollment.learner.get_full_name()},
            )
        else:
            try:
                enrollment_confirm_payment_manually(
                    enrollment=enrollment, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("The payment of %(learner)s is confirmed; the enrolment is active.")
                    % {"learner": enrollment.learner.get_full_name()},
                )
        return HttpResponseRedirect(reverse("enrollment_staff:payments", kwargs={"run_id": run.pk}))
