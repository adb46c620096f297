"""Back-office admin for users, institutions, memberships and the (read-only) audit trail."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from mcportal.core.models import AuditEvent, Institution, Membership, User
from mcportal.core.read_only_admin import ReadOnlyModelAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["short_name", "legal_name", "country", "erasmus_code", "is_alliance_member"]
    list_filter = ["country", "is_alliance_member"]
    search_fields = ["legal_name", "short_name", "erasmus_code", "vat_id"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["legal_name", "short_name", "slug", "is_alliance_member"]}),
        (_("Address"), {"fields": ["street_address", "postal_code", "city", "region", "country"]}),
        (_("Identity"), {"fields": ["website", "contact_email", "logo", "brand_colour"]}),
        (_("Identifiers"), {"fields": ["erasmus_code", "vat_id", "registration_number", "ror_id", "pic"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "institution", "role", "created_at"]
    list_filter = ["role", "institution"]
    search_fields = ["user__email", "user__full_name", "institution__short_name"]
    autocomplete_fields = ["user", "institution"]
    list_select_related = ["user", "institution"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "email_verified_at", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined", "email_verified_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "date_of_birth", "preferred_language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined", "email_verified_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = ["groups"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ["occurred_at", "action", "target_type", "target_label", "actor", "institution"]
    list_filter = ["action", "target_type", "institution"]
    search_fields = ["target_label", "target_id", "actor__email", "reason"]
    list_select_related = ["actor", "institution"]
    date_hierarchy = "occurred_at"
