"""Audit rows for many targets in one INSERT (imports and run closing touch thousands of rows).

The rows are the same as mcportal.core.audit.audit_record writes, one per target.
"""
from __future__ import annotations

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


def audit_record_bulk(*, actor: Any, institution: Institution, entries: Iterable[AuditEntry]) -> int:
    """Append one audit event per entry, all at the same moment, inside the caller's transaction."""
    occurred_at = clock.now()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    events = [
        AuditEvent(
            occurred_at=occurred_at,
            actor=actor,
            action=entry.action,
            target_type=entry.target._meta.label_lower,
            target_id=str(entry.target.pk),
            target_label=str(entry.target)[:255],
            institution=institution,
            reason=entry.reason,
            data=entry.data,
        )
        for entry in entries
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)
