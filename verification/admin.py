"""Admin of verification events: read-only (they are written by the verification views only)."""
from django.contrib import admin

from mcportal.core.read_only_admin import ReadOnlyModelAdmin

from .models import VerificationEvent


@admin.register(VerificationEvent)
class VerificationEventAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "method", "verdict", "institution", "credential")
    list_filter = ("method", "verdict", "institution")
    list_select_related = ("institution", "credential")
    raw_id_fields = ("credential",)
    date_hierarchy = "created_at"
