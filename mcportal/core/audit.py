"""Writing the audit trail; every service that changes state calls audit_record."""
from __future__ import annotations

from typing import Any

from django.db import models

from mcportal.core.models import AuditEvent, Institution


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    institution: Institution | None = None,
    reason: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one audit event for a change made to target (call inside the service's transaction)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:255],
        institution=institution,
        reason=reason,
        data=data or {},
    )
