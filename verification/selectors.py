"""Reads of verification events (used by the leadership dashboard's evidence)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from mcportal.core.models import Institution

from .models import Verdict, VerificationEvent


def _events_since(*, institution: Institution, since: dt.datetime):
    return VerificationEvent.objects.filter(institution=institution, created_at__gte=since)


def verification_count_since(*, institution: Institution, since: dt.datetime) -> int:
    """How many verifications of the institution's credentials were made since the moment."""
    return _events_since(institution=institution, since=since).count()


def verification_counts_by_verdict_since(*, institution: Institution, since: dt.datetime) -> dict[str, int]:
    """Verifications of the institution's credentials since the moment, per verdict.

    Every verdict is a key (0 when there was none), so callers can show a stable table.
    """
    counts = dict.fromkeys(Verdict.values, 0)
    rows = (
        _events_since(institution=institution, since=since)
        .order_by()
        .values("verdict")
        .annotate(total=Count("pk"))
    )
    for row in rows:
        counts[row["verdict"]] = row["total"]
    return counts
