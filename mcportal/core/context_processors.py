"""Template context shared by every page: site name and whether to show the staff area."""
from django.conf import settings
from django.utils.functional import SimpleLazyObject

from mcportal.core.roles import user_is_staff_member


def portal(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "portal_name": settings.MCPORTAL_SITE_NAME,
        "user_is_staff_member": SimpleLazyObject(lambda: user_is_staff_member(user)),
    }
