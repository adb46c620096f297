"""Writing the audit trail; every service that changes state calls audit_record (or the bulk form)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from mcportal.core import clock
from mcportal.core.models import AuditEvent, Institution


@dataclass(frozen=True)
class AuditEntry:
    """One audit event to write: the changed row, why, and what changed."""

    action: str
    target: models.Model
    reason: str = ""
    data: dict = field(default_factory=dict)


def _event(
    *, actor: Any, entry: AuditEntry, institution: Institution | None, occurred_at: dt.datetime
) -> AuditEvent:
    return AuditEvent(
        occurred_at=occurred_at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=entry.action,
        target_type=entry.target._meta.label_lower,
        target_id=str(entry.target.pk),
        target_label=str(entry.target)[:255],
        institution=institution,
        reason=entry.reason,
        data=entry.data or {},
    )


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
    event = _event(
        actor=actor,
        entry=AuditEntry(action=action, target=target, reason=reason, data=data or {}),
        institution=institution,
        occurred_at=clock.now(),
    )
    event.save()
    return event


def audit_record_bulk(*, actor: Any, institution: Institution, entries: Iterable[AuditEntry]) -> int:
    """Append one audit event per entry, all at the same moment, in one INSERT (imports, run closing)."""
    occurred_at = clock.now()
    events = [
        _event(actor=actor, entry=entry, institution=institution, occurred_at=occurred_at)
        for entry in entries
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)
