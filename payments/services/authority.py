"""Who may call the finance services; the services check it, so every interface enforces the same rule."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from mcportal.core.models import Institution
from mcportal.core.roles import Capability, user_has_capability


def authority_require_finance(actor, institution: Institution) -> None:
    """Raise PermissionDenied unless the actor manages payments in the institution."""
    if not user_has_capability(actor, Capability.PAYMENTS_MANAGE, institution):
        raise PermissionDenied(
            _("Only finance staff of %(institution)s may do this.") % {"institution": institution}
        )
