"""Template context shared by every page: site name and whether to show the staff area."""
from django.conf import settings
from django.utils.functional import SimpleLazyObject

from mcportal.core.roles import user_capabilities_anywhere


def portal(request) -> dict:
    user = getattr(request, "user", None)
    # One query per page at most, and only when the menu asks: the capabilities decide which staff
    # areas the menu links to (every staff member holds STAFF_AREA).
    capabilities = SimpleLazyObject(lambda: user_capabilities_anywhere(user))
    return {
        "portal_name": settings.MCPORTAL_SITE_NAME,
        "staff_capabilities": capabilities,
        "user_is_staff_member": SimpleLazyObject(lambda: "staff_area" in capabilities),
    }
