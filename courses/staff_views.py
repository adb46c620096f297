"""Staff pages for courses and runs: list, create, edit, detail, publish, withdraw, archive, runs.

Each view parses input, checks the capability in the course's institution, calls one service or
selector and renders. Courses of other institutions are 404; a missing role is 403.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from mcportal.core.exceptions import InvalidTransition, ValidationFailed
from mcportal.core.roles import Capability, StaffAreaRequiredMixin, user_has_capability

from .models import Course, CourseRun
from .selectors import course_get_for_staff
from .services import (
    course_archive,
    course_create,
    course_publish,
    course_run_cancel,
    course_run_create,
    course_run_update,
    course_update,
    course_withdraw_to_draft,
)
from .staff_forms import (
    CourseEditor,
    CourseRunForm,
    ReasonForm,
    StaffCourseFilterForm,
    apply_problems,
    course_run_initial,
)
from .staff_selectors import (
    course_list_for_staff_filtered,
    course_staff_detail_get,
    institutions_for_course_create,
)
from .validation import ELEMENTS

COURSES_PER_PAGE = 25
ELEMENT_LABELS = {element.key: element.label for element in ELEMENTS}


def _detail_url(course: Course, anchor: str = "") -> str:
    url = reverse("courses_staff:detail", kwargs={"slug": course.slug})
    return f"{url}#{anchor}" if anchor else url


class CourseAccessMixin(StaffAreaRequiredMixin):
    """Find the course in the user's institutions (else 404), check the capability (else 403)."""

    def get_course(self, capability: Capability) -> Course:
        course = course_get_for_staff(
            user=self.request.user, slug=self.kwargs["slug"],
            capability=Capability.COURSE_VIEW_DRAFTS,
        )
        if course is None:
            raise Http404
        if not user_has_capability(self.request.user, capability, course.institution):
            raise PermissionDenied
        return course

    def get_run(self, course: Course) -> CourseRun:
        # The runs are prefetched with the course, so this costs no query.
        for run in course.runs.all():
            if run.pk == self.kwargs["pk"]:
                return run
        raise Http404


class CourseListView(StaffAreaRequiredMixin, View):
    template_name = "courses/staff/course_list.html"

    def get(self, request):
        filter_form = StaffCourseFilterForm(request.GET or None)
        filters = filter_form.cleaned_data if filter_form.is_valid() else {}
        courses = course_list_for_staff_filtered(
            user=request.user, status=filters.get("status", ""), query=filters.get("q", "")
        )
        page_obj = Paginator(courses, COURSES_PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "courses": page_obj.object_list,
            "can_create": institutions_for_course_create(user=request.user).exists(),
            "is_filtered": bool(filters.get("status") or filters.get("q")),
        })


class CourseCreateView(StaffAreaRequiredMixin, View):
    template_name = "courses/staff/course_form.html"

    def _institutions(self):
        institutions = institutions_for_course_create(user=self.request.user)
        if not institutions.exists():
            raise PermissionDenied
        return institutions

    def get(self, request):
        editor = CourseEditor(institutions=self._institutions())
        return render(request, self.template_name, {"editor": editor})

    def post(self, request):
        editor = CourseEditor(request.POST, institutions=self._institutions())
        if editor.is_valid():
            try:
                course = course_create(actor=request.user, **editor.create_arguments())
            except ValidationFailed as exc:
                editor.add_problems(exc.problems)
            else:
                messages.success(
                    request, _("The draft “%(title)s” is saved.") % {"title": course.title}
                )
                return HttpResponseRedirect(_detail_url(course))
        return render(request, self.template_name, {"editor": editor})


class CourseEditView(CourseAccessMixin, View):
    template_name = "courses/staff/course_form.html"

    def get(self, request, slug):
        course = self.get_course(Capability.COURSE_EDIT)
        editor = CourseEditor(course=course)
        return render(request, self.template_name, {"editor": editor, "course": course})

    def post(self, request, slug):
        course = self.get_course(Capability.COURSE_EDIT)
        editor = CourseEditor(request.POST, course=course)
        if editor.is_valid():
            arguments = editor.update_arguments()
            if not CourseEditor.has_changes(arguments):
                messages.info(request, _("Nothing was changed."))
                return HttpResponseRedirect(_detail_url(course))
            try:
                course_update(course=course, actor=request.user, **arguments)
            except ValidationFailed as exc:
                editor.add_problems(exc.problems)
            else:
                messages.success(request, _("Your changes are saved."))
                return HttpResponseRedirect(_detail_url(course))
        return render(request, self.template_name, {"editor": editor, "course": course})


class CourseDetailView(StaffAreaRequiredMixin, View):
    template_name = "courses/staff/course_detail.html"

    def get(self, request, slug):
        detail = course_staff_detail_get(user=request.user, slug=slug)
        if detail is None:
            raise Http404
        return render(request, self.template_name, {
            "detail": detail,
            "course": detail.course,
            "withdraw_form": ReasonForm(auto_id="id_withdraw_%s"),
            "archive_form": ReasonForm(auto_id="id_archive_%s"),
        })


class CoursePublishView(CourseAccessMixin, View):
    http_method_names = ["post"]

    def post(self, request, slug):
        course = self.get_course(Capability.COURSE_PUBLISH)
        try:
            course_publish(course=course, actor=request.user)
        except ValidationFailed as exc:
            # One message naming the elements; the checklist on the page explains each one.
            labels = dict.fromkeys(
                str(ELEMENT_LABELS.get(problem.code, problem.message)) for problem in exc.problems
            )
            messages.error(
                request,
                _(
                    "“%(title)s” was not published. Missing or inconsistent: %(elements)s. "
                    "The EU elements check below says what to fix."
                )
                % {"title": course.title, "elements": "; ".join(labels)},
            )
        except InvalidTransition:
            messages.error(
                request,
                _("Only a draft can be published; this course is %(status)s.")
                % {"status": course.get_status_display().lower()},
            )
        else:
            messages.success(
                request,
                _("“%(title)s” is published and appears in the catalogue.")
                % {"title": course.title},
            )
        return HttpResponseRedirect(_detail_url(course))


class ReasonConfirmMixin(CourseAccessMixin):
    """GET shows a confirmation page asking for a reason; POST with the reason acts."""

    template_name = "courses/staff/confirm.html"
    capability = Capability.COURSE_PUBLISH

    def get_target(self, course: Course):
        return course

    def render_confirm(self, course, target, form):
        return render(self.request, self.template_name, {
            "course": course, "target": target, "form": form, "action": self,
        })

    def get(self, request, slug, **kwargs):
        course = self.get_course(self.capability)
        return self.render_confirm(course, self.get_target(course), ReasonForm())

    def post(self, request, slug, **kwargs):
        course = self.get_course(self.capability)
        target = self.get_target(course)
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                self.act(target, form.cleaned_data["reason"])
            except ValidationFailed as exc:
                for problem in apply_problems(form, exc.problems):
                    form.add_error(None, problem.message)
            except InvalidTransition:
                messages.error(request, self.refused_message(target))
                return HttpResponseRedirect(_detail_url(course, self.anchor))
            else:
                messages.success(request, self.done_message(target))
                return HttpResponseRedirect(_detail_url(course, self.anchor))
        return self.render_confirm(course, target, form)


class CourseWithdrawView(ReasonConfirmMixin, View):
    anchor = "status"
    title = gettext_lazy("Withdraw to draft")
    explanation = gettext_lazy(
        "The course leaves the catalogue and can be edited freely. Credentials already issued "
        "stay valid."
    )
    submit_label = gettext_lazy("Withdraw to draft")

    def act(self, course, reason):
        course_withdraw_to_draft(course=course, actor=self.request.user, reason=reason)

    def done_message(self, course):
        return _("“%(title)s” is a draft again.") % {"title": course.title}

    def refused_message(self, course):
        return _("Only a published or archived course can be withdrawn to draft.")


class CourseArchiveView(ReasonConfirmMixin, View):
    anchor = "status"
    title = gettext_lazy("Archive the course")
    explanation = gettext_lazy(
        "The course leaves the catalogue for good; it can be brought back as a draft. Credentials "
        "already issued stay valid."
    )
    submit_label = gettext_lazy("Archive")

    def act(self, course, reason):
        course_archive(course=course, actor=self.request.user, reason=reason)

    def done_message(self, course):
        return _("“%(title)s” is archived.") % {"title": course.title}

    def refused_message(self, course):
        return _("This course is already archived.")


class CourseRunFormMixin(CourseAccessMixin):
    template_name = "courses/staff/run_form.html"

    def render_form(self, course, form, run=None):
        context = {"course": course, "form": form, "run": run}
        return render(self.request, self.template_name, context)


class CourseRunCreateView(CourseRunFormMixin, View):
    def get(self, request, slug):
        course = self.get_course(Capability.COURSE_EDIT)
        return self.render_form(course, CourseRunForm())

    def post(self, request, slug):
        course = self.get_course(Capability.COURSE_EDIT)
        form = CourseRunForm(request.POST)
        if form.is_valid():
            try:
                run = course_run_create(
                    course=course, actor=request.user, attributes=form.attributes()
                )
            except ValidationFailed as exc:
                apply_problems(form, exc.problems)
            else:
                messages.success(
                    request, _("The run “%(label)s” is scheduled.") % {"label": run.label}
                )
                return HttpResponseRedirect(_detail_url(course, "runs"))
        return self.render_form(course, form)


class CourseRunEditView(CourseRunFormMixin, View):
    def get(self, request, slug, pk):
        course = self.get_course(Capability.COURSE_EDIT)
        run = self.get_run(course)
        return self.render_form(course, CourseRunForm(initial=course_run_initial(run)), run)

    def post(self, request, slug, pk):
        course = self.get_course(Capability.COURSE_EDIT)
        run = self.get_run(course)
        form = CourseRunForm(request.POST, initial=course_run_initial(run))
        if form.is_valid():
            changes = form.attributes(changed_only=True)
            if not changes:
                messages.info(request, _("Nothing was changed."))
                return HttpResponseRedirect(_detail_url(course, "runs"))
            try:
                course_run_update(run=run, actor=request.user, changes=changes)
            except ValidationFailed as exc:
                apply_problems(form, exc.problems)
            else:
                messages.success(request, _("The run “%(label)s” is saved.") % {"label": run.label})
                return HttpResponseRedirect(_detail_url(course, "runs"))
        return self.render_form(course, form, run)


class CourseRunCancelView(ReasonConfirmMixin, View):
    anchor = "runs"
    capability = Capability.COURSE_EDIT
    title = gettext_lazy("Cancel the run")
    explanation = gettext_lazy(
        "Nobody can enrol in a cancelled run any more; the run stays listed as cancelled and the "
        "reason is kept in the audit trail."
    )
    submit_label = gettext_lazy("Cancel the run")

    def get_target(self, course):
        return self.get_run(course)

    def act(self, run, reason):
        course_run_cancel(run=run, actor=self.request.user, reason=reason)

    def done_message(self, run):
        return _("The run “%(label)s” is cancelled.") % {"label": run.label}

    def refused_message(self, run):
        return _("The run “%(label)s” was already cancelled.") % {"label": run.label}
