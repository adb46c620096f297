"""Admin classes for rows that only services write (audit, money, verification events…)."""
from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Viewable in the admin; never added, changed or deleted there (services keep the rules)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """An inline of such rows on their parent's admin page."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
