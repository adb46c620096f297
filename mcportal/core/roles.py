"""Who may do what, where: capabilities granted by roles, always scoped to one institution.

Every staff view and API checks a capability against the institution that owns the object;
a registrar of institution A holds no capability in institution B.
"""
from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mcportal.core.choices import Role
from mcportal.core.models import Institution, Membership


class Capability(models.TextChoices):
    STAFF_AREA = "staff_area", _("Use the staff area")
    COURSE_VIEW_DRAFTS = "course_view_drafts", _("See unpublished courses")
    COURSE_EDIT = "course_edit", _("Create and edit courses and runs")
    COURSE_PUBLISH = "course_publish", _("Publish and archive courses")
    RESULTS_RECORD = "results_record", _("Record assessment results")
    CREDENTIAL_ISSUE = "credential_issue", _("Issue credentials")
    CREDENTIAL_REVOKE = "credential_revoke", _("Revoke, suspend and correct credentials")
    PAYMENTS_MANAGE = "payments_manage", _("Manage payments, refunds and invoices")
    CHECKLIST_VIEW = "checklist_view", _("See the readiness checklist")
    CHECKLIST_MANAGE = "checklist_manage", _("Assign and update every checklist activity")
    CHECKLIST_ALLIANCE_VIEW = "checklist_alliance_view", _("Compare readiness across the alliance")
    AUDIT_VIEW = "audit_view", _("Read the audit trail")


ALL_STAFF_ROLES = frozenset(Role)

CAPABILITY_ROLES: dict[Capability, frozenset[Role]] = {
    Capability.STAFF_AREA: ALL_STAFF_ROLES,
    Capability.COURSE_VIEW_DRAFTS: ALL_STAFF_ROLES,
    Capability.COURSE_EDIT: frozenset({Role.INSTRUCTOR, Role.REGISTRAR}),
    Capability.COURSE_PUBLISH: frozenset({Role.REGISTRAR}),
    Capability.RESULTS_RECORD: frozenset({Role.INSTRUCTOR, Role.REGISTRAR}),
    Capability.CREDENTIAL_ISSUE: frozenset({Role.REGISTRAR}),
    Capability.CREDENTIAL_REVOKE: frozenset({Role.REGISTRAR}),
    Capability.PAYMENTS_MANAGE: frozenset({Role.FINANCE}),
    Capability.CHECKLIST_VIEW: ALL_STAFF_ROLES,
    Capability.CHECKLIST_MANAGE: frozenset({Role.LEADERSHIP}),
    # Network scope: leadership and auditors of a member institution see the alliance comparison.
    Capability.CHECKLIST_ALLIANCE_VIEW: frozenset({Role.LEADERSHIP, Role.AUDITOR}),
    Capability.AUDIT_VIEW: frozenset({Role.REGISTRAR, Role.LEADERSHIP, Role.AUDITOR}),
}


def roles_granting(capability: Capability) -> frozenset[Role]:
    return CAPABILITY_ROLES[Capability(capability)]


def user_roles(user, institution: Institution) -> set[Role]:
    """Return the roles the user holds in the institution (empty for learners and anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {
        Role(role)
        for role in Membership.objects.filter(user=user, institution=institution).values_list(
            "role", flat=True
        )
    }


def user_has_capability(user, capability: Capability, institution: Institution) -> bool:
    """Tell whether the user may exercise the capability in this institution (superusers may)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, institution=institution, role__in=roles_granting(capability)
    ).exists()


def user_has_capability_in_any(user, capability: Capability, institutions) -> bool:
    """Tell whether the user holds the capability in at least one of the given institutions."""
    return institutions_for_capability(user, capability).filter(
        pk__in=[institution.pk for institution in institutions]
    ).exists()


def institutions_for_capability(user, capability: Capability) -> QuerySet[Institution]:
    """Return the institutions in which the user holds the capability."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Institution.objects.none()
    if user.is_superuser:
        return Institution.objects.all()
    return Institution.objects.filter(
        memberships__user=user, memberships__role__in=roles_granting(capability)
    ).distinct()


def user_is_staff_member(user) -> bool:
    """Tell whether the user holds any staff role anywhere (learners hold none)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or Membership.objects.filter(user=user).exists()


def user_capabilities_anywhere(user) -> frozenset[str]:
    """The capabilities the user holds in at least one institution (one query; for menus only).

    What a page may show is still decided per institution by user_has_capability; this only says
    which areas are worth linking to.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(CAPABILITY_ROLES)
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True).distinct())
    return frozenset(capability for capability, granted in CAPABILITY_ROLES.items() if roles & granted)


class StaffAreaRequiredMixin(AccessMixin):
    """View mixin: the user must hold some staff role; object-level checks stay in the view.

    Anonymous users are sent to the login page; learners get 403.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_is_staff_member(request.user):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
