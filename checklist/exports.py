"""Printable exports of an institution's readiness: CSV (one row per activity) and a PDF that
WeasyPrint renders from templates/checklist/pdf/, loading only files under static/."""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string
from weasyprint import HTML

from credentials.rendering.pdf import StaticOnlyURLFetcher, static_root

from .selectors import Readiness

CSV_HEADER = [
    "area",
    "activity_key",
    "activity",
    "task_description",
    "status",
    "responsible",
    "deadline",
    "overdue",
    "remarks",
    "evidence_items",
    "live_evidence",
    "mismatch",
]


def _spreadsheet_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula in spreadsheet programs (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def readiness_csv(*, readiness: Readiness) -> str:
    """Return the readiness as CSV text: one row per activity of the current checklist."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in readiness.rows:
        evidence = row.evidence
        live = "; ".join(f"{fact.label}: {fact.value}" for fact in evidence.facts) if evidence else ""
        if evidence and not evidence.has_source:
            live = evidence.note
        overdue = bool(row.is_open and row.deadline and row.deadline < readiness.today)
        writer.writerow(
            [
                f"{row.area.position}. {row.area.title}",
                row.key,
                row.activity.title,
                row.activity.task_description,
                row.status_label,
                _spreadsheet_safe(row.responsible.get_full_name()) if row.responsible else "",
                row.deadline.isoformat() if row.deadline else "",
                "yes" if overdue else "no",
                _spreadsheet_safe(row.remarks),
                row.evidence_items,
                _spreadsheet_safe(live),
                "yes" if row.mismatch else "no",
            ]
        )
    return buffer.getvalue()


def readiness_pdf(*, readiness: Readiness) -> bytes:
    """Render the readiness report as an A4 PDF (no network; static/ files only)."""
    html = render_to_string("checklist/pdf/readiness.html", {"readiness": readiness})
    fetcher = StaticOnlyURLFetcher()
    return HTML(string=html, base_url=static_root().as_uri() + "/", url_fetcher=fetcher).write_pdf()
