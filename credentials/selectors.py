"""Reads of credentials used by verification, the learner's pages and staff pages."""
from __future__ import annotations

from django.db.models import QuerySet

from credentials.models import Credential


def credential_get_by_verification_code(*, code: str) -> Credential | None:
    """The credential printed with this code (case-insensitive), or None."""
    return (
        Credential.objects.select_related("institution", "replaces", "enrollment__run__course")
        .filter(verification_code=code.strip().upper())
        .first()
    )


def credential_list_for_learner(*, learner) -> QuerySet[Credential]:
    """The learner's credentials, newest first."""
    return Credential.objects.filter(enrollment__learner=learner).select_related("institution")


def credential_get_for_learner(*, learner, public_id) -> Credential | None:
    return credential_list_for_learner(learner=learner).filter(public_id=public_id).first()
