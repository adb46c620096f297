"""Who may call which enrolment service; the services check it, so every interface enforces the same rule.

Views and the API check first too (to answer 404 outside the user's institutions and 403 for a
missing role); these checks make the admin, commands and future callers just as safe.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from mcportal.core.models import Institution
from mcportal.core.roles import Capability, user_has_capability

from ..models import Enrollment
from ..selectors import user_may_manage_enrolments


def authority_require_capability(actor, capability: Capability, institution: Institution) -> None:
    """Raise PermissionDenied unless the actor holds the capability in the institution."""
    if not user_has_capability(actor, capability, institution):
        raise PermissionDenied(
            _("This needs the “%(capability)s” permission in %(institution)s.")
            % {"capability": capability.label, "institution": institution}
        )


def authority_require_registrar(actor, institution: Institution) -> None:
    """Raise PermissionDenied unless the actor manages enrolments (registrar) in the institution."""
    if not user_may_manage_enrolments(user=actor, institution=institution):
        raise PermissionDenied(
            _("Only a registrar of %(institution)s may do this.") % {"institution": institution}
        )


def authority_require_learner_or_registrar(actor, enrollment: Enrollment, institution: Institution) -> bool:
    """Allow the learner themselves or a registrar; return True when the learner acts for themselves."""
    if getattr(actor, "is_authenticated", False) and actor.pk == enrollment.learner_id:
        return True
    authority_require_registrar(actor, institution)
    return False
