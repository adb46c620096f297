"""DRF permission classes over mcportal.core.roles: a capability in the object's institution."""
from rest_framework.permissions import BasePermission

from mcportal.core.roles import Capability, user_has_capability, user_is_staff_member


class IsStaffMember(BasePermission):
    """The user holds some staff role; object checks are done per view against the institution."""

    message = "This needs a staff role in an institution."

    def has_permission(self, request, view) -> bool:
        return user_is_staff_member(request.user)


def capability_required(capability: Capability) -> type[BasePermission]:
    """A permission class: the user holds the capability in obj's institution (obj.institution)."""

    class HasCapability(BasePermission):
        message = f"This needs the '{capability.label}' permission in the owning institution."

        def has_permission(self, request, view) -> bool:
            return user_is_staff_member(request.user)

        def has_object_permission(self, request, view, obj) -> bool:
            return user_has_capability(request.user, capability, obj.institution)

    HasCapability.__name__ = f"Has{capability.name.title().replace('_', '')}"
    return HasCapability
