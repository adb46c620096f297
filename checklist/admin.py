"""Admin of checklist: template versions (published ones read-only; drafts editable and published
through the service), alliances, and a read-only view of assessments and their history."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from mcportal.core.exceptions import ApplicationError
from mcportal.core.read_only_admin import ReadOnlyModelAdmin

from .models import (
    ActivityAssessment,
    ActivityChange,
    Alliance,
    ChecklistActivity,
    ChecklistArea,
    ChecklistTemplate,
    Evidence,
)
from .services import checklist_template_draft_create, checklist_template_publish


class _DraftOnlyMixin:
    """Published versions are history: only drafts may be changed."""

    def _template_of(self, obj):
        return obj if isinstance(obj, ChecklistTemplate) else getattr(obj, "template", None)

    def has_change_permission(self, request, obj=None):
        template = self._template_of(obj) if obj is not None else None
        if template is not None and not template.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        template = self._template_of(obj) if obj is not None else None
        if template is not None and not template.is_draft:
            return False
        return super().has_delete_permission(request, obj)


class ChecklistAreaInline(_DraftOnlyMixin, admin.StackedInline):
    model = ChecklistArea
    extra = 0
    fields = ["position", "key", "title", "description"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.is_draft

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_draft

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.is_draft


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(_DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["version", "title", "published_at", "is_current"]
    readonly_fields = ["version", "published_at", "is_current", "source"]
    fields = ["version", "title", "change_note", "source", "published_at", "is_current"]
    inlines = [ChecklistAreaInline]
    actions = ["create_draft", "publish"]

    def has_add_permission(self, request):
        # New versions start as a copy of an existing one (the "new draft" action).
        return False

    @admin.action(description=_("Start a new draft version from the selected version"))
    def create_draft(self, request, queryset):
        for template in queryset:
            draft = checklist_template_draft_create(source=template, actor=request.user)
            self.message_user(
                request,
                _("Draft version %(version)s created.") % {"version": draft.version},
                messages.SUCCESS,
            )

    @admin.action(description=_("Publish the selected draft as the current checklist"))
    def publish(self, request, queryset):
        for template in queryset:
            try:
                checklist_template_publish(template=template, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Version %(version)s is now current.") % {"version": template.version},
                    messages.SUCCESS,
                )


class ChecklistActivityInline(_DraftOnlyMixin, admin.StackedInline):
    model = ChecklistActivity
    extra = 0
    fields = ["position", "key", "title", "task_description", "guiding_questions"]

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.template.is_draft

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.template.is_draft

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.template.is_draft


@admin.register(ChecklistArea)
class ChecklistAreaAdmin(_DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "template"]
    list_filter = ["template"]
    fields = ["template", "position", "key", "title", "description"]
    inlines = [ChecklistActivityInline]

    def get_readonly_fields(self, request, obj=None):
        return ["template"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "template":
            kwargs["queryset"] = ChecklistTemplate.objects.filter(published_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Alliance)
class AllianceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["institutions"]


class ActivityChangeInline(admin.TabularInline):
    model = ActivityChange
    extra = 0
    can_delete = False
    readonly_fields = ["changed_at", "actor", "field", "old_value", "new_value", "template_version"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "title", "url", "original_name", "size", "added_by", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ActivityAssessment)
class ActivityAssessmentAdmin(ReadOnlyModelAdmin):
    """Read-only: assessments change through the staff pages, which record history and audit."""

    list_display = ["institution", "activity_key", "status", "responsible", "deadline"]
    list_filter = ["institution", "status"]
    list_select_related = ["institution", "responsible"]
    readonly_fields = [
        "institution",
        "activity_key",
        "status",
        "responsible",
        "deadline",
        "remarks",
        "updated_by",
    ]
    fields = readonly_fields
    inlines = [EvidenceInline, ActivityChangeInline]
