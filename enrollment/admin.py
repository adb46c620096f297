"""Back-office admin for enrolments, run structure and results: read-only; changes go through the services.

Statuses, outcomes and results are never edited here and nothing is deleted: enrolments end by
withdrawal or cancellation, results change by correction with history. Staff see only the rows
of institutions where they hold a membership.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mcportal.core.exceptions import ApplicationError
from mcportal.core.models import Institution
from mcportal.core.read_only_admin import ReadOnlyModelAdmin, ReadOnlyTabularInline

from .models import (
    Assessment,
    AssessmentResult,
    AssessmentResultRevision,
    Enrollment,
    EnrollmentUnitAccess,
    Unit,
    UnitProgress,
)
from .services import enrollment_confirm_payment_manually

# Admin actions take no reason; the audit trail still says where the change came from.
ADMIN_ACTION_REASON = "Confirmed in the admin"


def _member_institutions(user) -> QuerySet[Institution]:
    return Institution.objects.filter(memberships__user=user).distinct()


class ReadOnlyScopedAdmin(ReadOnlyModelAdmin):
    """View-only admin of rows scoped to the user's institutions through institution_lookup."""

    institution_lookup = "run__course__institution"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.institution_lookup}__in": _member_institutions(request.user)})


class AssessmentResultInline(ReadOnlyTabularInline):
    model = AssessmentResult
    fields = ["assessment", "score", "passed", "recorded_at", "recorded_by"]
    readonly_fields = fields
    show_change_link = True


class UnitProgressInline(ReadOnlyTabularInline):
    model = UnitProgress
    fields = ["unit", "completed_at", "recorded_by"]
    readonly_fields = fields


class UnitAccessInline(ReadOnlyTabularInline):
    """Units bought in a run sold per unit (pay-per-module), revoked ones included."""

    model = EnrollmentUnitAccess
    fields = ["unit", "order", "granted_at", "revoked_at", "revoke_reason"]
    readonly_fields = fields


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["learner", "run", "status", "created_at", "final_score", "final_grade"]
    list_filter = ["status", "run__course__institution"]
    search_fields = ["learner__email", "learner__full_name", "run__course__title", "run__label"]
    list_select_related = ["learner", "run__course"]
    readonly_fields = [
        "learner", "run", "status", "created_at", "updated_at", "waitlisted_at", "activated_at",
        "completed_at", "ended_at", "final_score", "final_grade",
    ]
    fields = readonly_fields
    inlines = [AssessmentResultInline, UnitProgressInline, UnitAccessInline]
    actions = ["confirm_payment"]

    @admin.action(description=_("Confirm payment received (finance)"))
    def confirm_payment(self, request, queryset):
        confirmed, refused = 0, []
        for enrollment in queryset.order_by("pk"):
            try:
                enrollment_confirm_payment_manually(
                    enrollment=enrollment, actor=request.user, reason=ADMIN_ACTION_REASON
                )
                confirmed += 1
            except (ApplicationError, PermissionDenied) as error:
                refused.append(f"{enrollment}: {error}")
        if confirmed:
            self.message_user(
                request, gettext("%(count)d payments confirmed.") % {"count": confirmed}, messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)


@admin.register(Unit)
class UnitAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "run", "position", "due_on", "price_amount"]
    list_select_related = ["run__course"]
    search_fields = ["title", "run__course__title"]
    readonly_fields = ["run", "position", "title", "description", "due_on", "price_amount"]
    fields = readonly_fields


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "run", "position", "kind", "weight", "pass_mark", "is_required"]
    list_select_related = ["run__course"]
    list_filter = ["kind", "is_required", "is_supervised", "identity_verified"]
    search_fields = ["title", "run__course__title"]
    readonly_fields = [
        "run", "unit", "position", "title", "kind", "weight", "pass_mark", "is_required", "is_supervised",
        "identity_verified", "due_on",
    ]
    fields = readonly_fields


class RevisionInline(ReadOnlyTabularInline):
    model = AssessmentResultRevision
    fields = ["score", "passed", "recorded_at", "recorded_by", "reason"]
    readonly_fields = fields
    ordering = ["-recorded_at", "-pk"]


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnlyScopedAdmin):
    institution_lookup = "enrollment__run__course__institution"
    list_display = ["enrollment", "assessment", "score", "passed", "recorded_at"]
    list_select_related = ["enrollment__learner", "enrollment__run__course", "assessment"]
    search_fields = ["enrollment__learner__email", "assessment__title"]
    readonly_fields = ["enrollment", "assessment", "score", "passed", "recorded_at", "recorded_by"]
    fields = readonly_fields
    inlines = [RevisionInline]
