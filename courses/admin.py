"""Back-office admin for courses and runs: status is read-only and changes through the services."""
from __future__ import annotations

from functools import reduce

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mcportal.core.audit import audit_record
from mcportal.core.exceptions import FieldProblem, InvalidTransition, ValidationFailed
from mcportal.core.models import Institution
from mcportal.core.page_cache import page_cache_bump
from mcportal.core.roles import Capability, user_has_capability

from .choices import CourseStatus
from .models import Course, CourseLanguage, CourseRun, LearningOutcome
from .selectors import CATALOGUE_CACHE_NAMESPACE
from .services import course_archive, course_publish, course_withdraw_to_draft
from .validation import ELEMENTS, course_publication_report

ELEMENT_LABELS = {element.key: element.label for element in ELEMENTS}
# Admin actions take no reason; the audit trail still says where the change came from.
ADMIN_ACTION_REASON = "Admin action"


def _member_institutions(user) -> QuerySet[Institution]:
    return Institution.objects.filter(memberships__user=user).distinct()


def _problem_lines(problems: list[FieldProblem]) -> list[str]:
    return [
        f"{ELEMENT_LABELS[p.code]}: {p.message}" if p.code in ELEMENT_LABELS else p.message
        for p in problems
    ]


class PublishedCourseIncomplete(Exception):
    """Raised inside the admin's transaction so that an edit breaking a published course undoes."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("A published course must keep every mandatory element.")
        self.problems = problems


class InstitutionScopedAdmin(admin.ModelAdmin):
    """Non-superusers see and change only rows of institutions where they hold a membership."""

    institution_lookup = "institution"
    # Links typed without a scheme are read as https (Django 6's default, set explicitly).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{f"{self.institution_lookup}__in": _member_institutions(request.user)}
        )

    def _in_scope(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        institution = reduce(getattr, self.institution_lookup.split("__"), obj)
        return _member_institutions(request.user).filter(pk=institution.pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Courses and runs leave by archiving and cancelling, which keep the audit trail whole.
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class LearningOutcomeInline(admin.TabularInline):
    model = LearningOutcome
    extra = 1
    fields = ["position", "statement"]
    ordering = ["position"]


class CourseLanguageInline(admin.TabularInline):
    model = CourseLanguage
    extra = 1


class CourseRunInline(admin.TabularInline):
    model = CourseRun
    extra = 0
    show_change_link = True
    fields = [
        "label", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at",
        "capacity", "seats_taken", "price_amount", "currency", "is_cancelled",
    ]
    readonly_fields = ["seats_taken", "is_cancelled"]
    ordering = ["starts_on", "pk"]

    def has_delete_permission(self, request, obj=None):
        # A run leaves by cancellation (with a reason in the audit trail), not by deletion.
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(Course)
class CourseAdmin(InstitutionScopedAdmin):
    list_display = [
        "title", "code", "institution", "status", "eqf_level", "ects_credits", "published_at",
    ]
    list_filter = ["status", "institution", "eqf_level", "participation_form", "field_of_study"]
    search_fields = ["title", "code", "slug", "outcomes__statement"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution", "partner_institutions"]
    readonly_fields = ["status", "published_at", "publication_check", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LearningOutcomeInline, CourseLanguageInline, CourseRunInline]
    actions = ["publish_courses", "withdraw_courses", "archive_courses"]
    fieldsets = [
        (_("Status"), {"fields": ["status", "published_at", "publication_check"]}),
        (_("Identity"), {
            "fields": ["title", "code", "slug", "institution", "partner_institutions"],
        }),
        (_("Workload and level"), {
            "fields": ["workload_hours", "ects_credits", "eqf_level", "qf_ehea_cycle"],
        }),
        (_("Assessment"), {"fields": ["assessment_type", "assessment_details"]}),
        (_("Participation"), {"fields": ["participation_form"]}),
        (_("Quality assurance"), {
            "fields": ["quality_assurance_type", "quality_assurance_details"],
        }),
        (_("Optional elements"), {"fields": [
            "prerequisites", "supervision_verification", "grading_scheme", "stackability",
            "stackability_details", "further_information", "further_information_url",
        ]}),
        (_("Catalogue information"), {
            "fields": ["summary", "description", "field_of_study", "target_groups"],
        }),
        (_("Validity"), {"fields": ["validity_months"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Like the services, the admin never moves a course or changes its public address.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "slug", "institution"] if obj is not None else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only an institution the admin user belongs to may lead a course they save.
        if db_field.name == "institution" and not request.user.is_superuser:
            kwargs["queryset"] = _member_institutions(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("EU elements check"))
    def publication_check(self, obj):
        if obj is None or obj.pk is None:
            return gettext("Save the course first.")
        report = course_publication_report(obj)
        if report.is_publishable:
            summary = format_html(
                '<strong style="color:#1e6b3a">{}</strong>',
                gettext("Every mandatory element is present."),
            )
        else:
            summary = format_html(
                '<strong style="color:#b42318">{}</strong>'
                '<ul style="margin:0.25em 0;padding-left:1.2em">{}</ul>',
                gettext("Missing or inconsistent:"),
                format_html_join(
                    "", "<li>{}</li>",
                    ((line,) for line in _problem_lines(
                        [FieldProblem(p.message, p.field, p.element) for p in report.problems]
                    )),
                ),
            )
        warnings = format_html_join(
            "", '<li style="color:#8a5a00">{}</li>', ((w.message,) for w in report.warnings)
        )
        button = ""
        if obj.status == CourseStatus.DRAFT:
            button = format_html(
                '<p><button type="submit" name="_publish" value="1" class="button">{}</button></p>',
                gettext("Save and publish"),
            )
        return format_html(
            '{}<ul style="margin:0.25em 0;padding-left:1.2em">{}</ul>{}', summary, warnings, button
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The admin saves the course and its inlines itself, so it re-runs the publication
        # check here, inside the admin's transaction: a published course that would lose a
        # mandatory element raises, and changeform_view rolls everything back.
        course = form.instance
        if course.status == CourseStatus.PUBLISHED:
            report = course_publication_report(course)
            if not report.is_publishable:
                raise PublishedCourseIncomplete(
                    [FieldProblem(p.message, p.field, p.element) for p in report.problems]
                )
        # The staff pages audit through the services; edits made here are audited alike.
        audit_record(
            actor=request.user,
            action="course.updated" if change else "course.created",
            target=course,
            institution=course.institution,
            data={"fields": sorted(form.changed_data), "via": "admin"},
        )
        page_cache_bump(CATALOGUE_CACHE_NAMESPACE)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PublishedCourseIncomplete as exc:
            self.message_user(
                request,
                gettext(
                    "Nothing was saved: a published course must keep every mandatory element. "
                    "Withdraw it to draft first, or fix:"
                ),
                messages.ERROR,
            )
            for line in _problem_lines(exc.problems):
                self.message_user(request, line, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_change(self, request, obj):
        if "_publish" in request.POST:
            self.message_user(request, gettext("The changes are saved."), messages.SUCCESS)
            self._publish(request, obj)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    def _publish(self, request, course) -> bool:
        if not user_has_capability(request.user, Capability.COURSE_PUBLISH, course.institution):
            self.message_user(
                request,
                gettext(
                    "“%(title)s” was not published: only a registrar of %(institution)s "
                    "may publish it."
                )
                % {"title": course.title, "institution": course.institution},
                messages.ERROR,
            )
            return False
        try:
            course_publish(course=course, actor=request.user)
        except ValidationFailed as exc:
            self.message_user(
                request,
                gettext("“%(title)s” was not published. Missing or inconsistent: %(problems)s.")
                % {
                    "title": course.title,
                    "problems": "; ".join(
                        line.rstrip(".") for line in _problem_lines(exc.problems)
                    ),
                },
                messages.ERROR,
            )
            return False
        except InvalidTransition:
            self.message_user(
                request,
                gettext(
                    "“%(title)s” was not published: it is %(status)s, and only a draft can be "
                    "published."
                )
                % {"title": course.title, "status": course.get_status_display().lower()},
                messages.WARNING,
            )
            return False
        self.message_user(
            request, gettext("“%(title)s” is published.") % {"title": course.title},
            messages.SUCCESS,
        )
        return True

    @admin.action(description=_("Publish"), permissions=["change"])
    def publish_courses(self, request, queryset):
        for course in queryset.select_related("institution").order_by("title", "pk"):
            self._publish(request, course)

    def _transition_each(self, request, queryset, service, done_message):
        for course in queryset.select_related("institution").order_by("title", "pk"):
            if not user_has_capability(request.user, Capability.COURSE_PUBLISH, course.institution):
                self.message_user(
                    request,
                    gettext(
                        "“%(title)s” was left unchanged: only a registrar of %(institution)s "
                        "may do this."
                    )
                    % {"title": course.title, "institution": course.institution},
                    messages.ERROR,
                )
                continue
            try:
                service(course=course, actor=request.user, reason=ADMIN_ACTION_REASON)
            except InvalidTransition:
                self.message_user(
                    request,
                    gettext("“%(title)s” was left unchanged: it is %(status)s.")
                    % {"title": course.title, "status": course.get_status_display().lower()},
                    messages.WARNING,
                )
            else:
                self.message_user(request, done_message % {"title": course.title}, messages.SUCCESS)

    @admin.action(description=_("Withdraw to draft"), permissions=["change"])
    def withdraw_courses(self, request, queryset):
        self._transition_each(
            request, queryset, course_withdraw_to_draft, gettext("“%(title)s” is a draft again.")
        )

    @admin.action(description=_("Archive"), permissions=["change"])
    def archive_courses(self, request, queryset):
        self._transition_each(
            request, queryset, course_archive, gettext("“%(title)s” is archived.")
        )


@admin.register(CourseRun)
class CourseRunAdmin(InstitutionScopedAdmin):
    institution_lookup = "course__institution"
    list_display = [
        "course", "label", "starts_on", "ends_on", "capacity", "seats_taken", "price_amount",
        "currency", "is_cancelled",
    ]
    list_filter = ["is_cancelled", "currency", "course__institution", "course__status", "starts_on"]
    search_fields = ["label", "course__title", "course__code"]
    list_select_related = ["course__institution"]
    autocomplete_fields = ["course"]
    readonly_fields = ["seats_taken", "is_cancelled", "created_at", "updated_at"]
    date_hierarchy = "starts_on"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "course"] if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course" and not request.user.is_superuser:
            kwargs["queryset"] = Course.objects.filter(
                institution__in=_member_institutions(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="course_run.updated" if change else "course_run.created",
            target=obj,
            institution=obj.course.institution,
            data={"fields": sorted(form.changed_data), "via": "admin"},
        )
        page_cache_bump(CATALOGUE_CACHE_NAMESPACE)
