"""Live evidence: figures computed from the portal's own data, shown beside checklist activities.

A registry maps activity keys to provider functions. Each provider reads other apps' models and
selectors only (checklist is the top layer) and returns what it found and whether that supports
marking the activity done. Evidence never changes the human status; the dashboard flags a
mismatch when an activity is marked done while its data source shows nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _

from courses.choices import CourseStatus
from courses.models import Course, CourseRun
from courses.validation import course_publication_report
from credentials.choices import BatchStatus, PdfStatus, RevocationReason
from credentials.models import (
    Credential,
    DocumentSigningIdentity,
    DocumentSigningIdentityKind,
    IssuanceBatch,
    KeyStatus,
    SigningKey,
)
from credentials.selectors import credential_status_changes_since
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from mcportal.core import clock
from mcportal.core.models import Institution
from payments.selectors import payment_succeeded_count_since
from verification.models import Verdict
from verification.selectors import verification_counts_by_verdict_since

# Throughput figures look at the last 30 days; rare events (revocations) at the last year.
RECENT_DAYS = 30
RARE_EVENT_DAYS = 365


@dataclass(frozen=True)
class EvidenceFact:
    """One figure: a label and its value as shown (numbers stay numbers for the API)."""

    label: str
    value: int | str

    def as_dict(self) -> dict:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class ActivityEvidence:
    """What the portal's data says about one activity.

    ``supports_done`` is None when the portal has no data source for the activity yet; then no
    mismatch can be flagged and the note says so.
    """

    activity_key: str
    facts: tuple[EvidenceFact, ...]
    supports_done: bool | None
    note: str = ""

    @property
    def has_source(self) -> bool:
        return self.supports_done is not None

    def as_dict(self) -> dict:
        return {
            "has_source": self.has_source,
            "supports_done": self.supports_done,
            "note": self.note,
            "facts": [fact.as_dict() for fact in self.facts],
        }


EvidenceProvider = Callable[[Institution, dt.datetime], ActivityEvidence]


def _published_courses(institution: Institution) -> list[Course]:
    return list(
        Course.objects.filter(institution=institution, status=CourseStatus.PUBLISHED)
        .select_related("institution")
        .prefetch_related("outcomes", "partner_institutions")
    )


def _eu_elements_counts(institution: Institution) -> tuple[int, int]:
    courses = _published_courses(institution)
    passing = sum(1 for course in courses if course_publication_report(course).is_publishable)
    return len(courses), passing


def course_catalogue_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    published, passing = _eu_elements_counts(institution)
    return ActivityEvidence(
        activity_key="course-catalogue",
        facts=(
            EvidenceFact(_("Published courses in the online catalogue"), published),
            EvidenceFact(_("Of these, passing the EU-elements check"), passing),
        ),
        supports_done=published > 0,
    )


def compliance_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    published, passing = _eu_elements_counts(institution)
    return ActivityEvidence(
        activity_key="compliance",
        facts=(
            EvidenceFact(_("Published courses"), published),
            EvidenceFact(_("Passing the EU-elements check (Council Recommendation 2022/C 243/02)"), passing),
        ),
        supports_done=published > 0 and passing == published,
    )


def _credentials(institution: Institution):
    return Credential.objects.filter(institution=institution)


def _enrolment_counts(institution: Institution) -> dict[str, int]:
    rows = (
        Enrollment.objects.filter(run__course__institution=institution)
        .order_by()
        .values("status")
        .annotate(total=Count("pk"))
    )
    return {row["status"]: row["total"] for row in rows}


def platform_selection_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    published = Course.objects.filter(institution=institution, status=CourseStatus.PUBLISHED).count()
    enrolments = sum(_enrolment_counts(institution).values())
    issued = _credentials(institution).count()
    return ActivityEvidence(
        activity_key="platform-selection",
        facts=(
            EvidenceFact(_("Courses offered on the portal"), published),
            EvidenceFact(_("Enrolments handled by the portal"), enrolments),
            EvidenceFact(_("Credentials issued by the portal"), issued),
        ),
        supports_done=published > 0 and enrolments > 0 and issued > 0,
    )


def format_definition_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    credentials = _credentials(institution)
    issued = credentials.count()
    with_pdf = credentials.filter(pdf_status=PdfStatus.READY).count()
    return ActivityEvidence(
        activity_key="format-definition",
        facts=(
            EvidenceFact(_("Credentials issued as signed JSON-LD (VC 2.0 / Open Badges 3.0)"), issued),
            EvidenceFact(_("Of these, with a sealed PDF"), with_pdf),
        ),
        supports_done=issued > 0,
    )


def _timestamping_description() -> str:
    url = settings.MCPORTAL_TSA_URL
    if url:
        return _("remote TSA at %(host)s") % {"host": urlsplit(url).hostname or url}
    local_tsa = DocumentSigningIdentity.objects.filter(
        institution__isnull=True,
        kind=DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY,
        status=KeyStatus.ACTIVE,
    ).exists()
    return _("the portal's own TSA") if local_tsa else ""


def issuance_mechanism_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    has_key = SigningKey.objects.filter(institution=institution, status=KeyStatus.ACTIVE).exists()
    timestamping = _timestamping_description()
    recent = _credentials(institution).filter(issued_at__gte=now - dt.timedelta(days=RECENT_DAYS)).count()
    return ActivityEvidence(
        activity_key="issuance-mechanism",
        facts=(
            EvidenceFact(_("Signing key (Ed25519)"), _("present") if has_key else _("missing")),
            EvidenceFact(_("Timestamping"), timestamping or _("not configured")),
            EvidenceFact(_("Credentials issued in the last %(days)s days") % {"days": RECENT_DAYS}, recent),
        ),
        supports_done=has_key and bool(timestamping),
    )


def issuance_process_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    since = now - dt.timedelta(days=RECENT_DAYS)
    recent = _credentials(institution).filter(issued_at__gte=since).count()
    batches = IssuanceBatch.objects.filter(
        institution=institution, status__in=[BatchStatus.COMPLETED, BatchStatus.COMPLETED_WITH_ERRORS]
    ).count()
    return ActivityEvidence(
        activity_key="issuance-process",
        facts=(
            EvidenceFact(_("Credentials issued in the last %(days)s days") % {"days": RECENT_DAYS}, recent),
            EvidenceFact(_("Batch issuances completed"), batches),
            EvidenceFact(_("Credentials issued in total"), _credentials(institution).count()),
        ),
        supports_done=_credentials(institution).exists(),
    )


def verification_system_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    counts = verification_counts_by_verdict_since(
        institution=institution, since=now - dt.timedelta(days=RECENT_DAYS)
    )
    total = sum(counts.values())
    facts = [EvidenceFact(_("Verifications in the last %(days)s days") % {"days": RECENT_DAYS}, total)]
    facts += [EvidenceFact(str(Verdict(verdict).label), count) for verdict, count in counts.items() if count]
    return ActivityEvidence(activity_key="verification-system", facts=tuple(facts), supports_done=total > 0)


def revocation_update_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    changes = credential_status_changes_since(
        institution=institution, since=now - dt.timedelta(days=RARE_EVENT_DAYS)
    )
    facts = []
    for change, label in (
        ("revoked", _("Revoked")),
        ("suspended", _("Suspended")),
        ("reinstated", _("Reinstated")),
        ("reissued", _("Reissued")),
    ):
        by_reason = changes.get(change, {})
        facts.append(EvidenceFact(label, sum(by_reason.values())))
        for reason, count in sorted(by_reason.items()):
            if reason == "total":
                continue
            reason_label = RevocationReason(reason).label if reason in RevocationReason.values else reason
            facts.append(EvidenceFact(f"{label}: {reason_label}", count))
    handled = any(sum(changes.get(change, {}).values()) for change in ("revoked", "reissued"))
    return ActivityEvidence(
        activity_key="revocation-update",
        facts=tuple(facts),
        supports_done=handled,
        note=_("Counted over the last %(days)s days.") % {"days": RARE_EVENT_DAYS},
    )


def student_records_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    counts = _enrolment_counts(institution)
    total = sum(counts.values())
    facts = [EvidenceFact(_("Enrolments tracked"), total)]
    facts += [
        EvidenceFact(str(EnrollmentStatus(status).label), counts[status])
        for status in EnrollmentStatus.values
        if counts.get(status)
    ]
    return ActivityEvidence(activity_key="student-records", facts=tuple(facts), supports_done=total > 0)


def pricing_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    runs = CourseRun.objects.filter(course__institution=institution)
    priced = runs.filter(price_amount__gt=0).count()
    return ActivityEvidence(
        activity_key="pricing",
        facts=(
            EvidenceFact(_("Course runs with a fee"), priced),
            EvidenceFact(_("Free course runs"), runs.count() - priced),
        ),
        supports_done=priced > 0,
    )


def payments_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    taken = payment_succeeded_count_since(institution=institution, since=now - dt.timedelta(days=RECENT_DAYS))
    return ActivityEvidence(
        activity_key="payments",
        facts=(
            EvidenceFact(_("Online payments taken in the last %(days)s days") % {"days": RECENT_DAYS}, taken),
        ),
        supports_done=taken > 0,
    )


def _no_source(activity_key: str, note: str) -> ActivityEvidence:
    return ActivityEvidence(activity_key=activity_key, facts=(), supports_done=None, note=note)


def evaluation_mechanisms_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    return _no_source(
        "evaluation-mechanisms",
        _("No data source yet: the portal does not collect course quality or satisfaction data."),
    )


def feedback_evidence(institution: Institution, now: dt.datetime) -> ActivityEvidence:
    return _no_source(
        "feedback", _("No data source yet: the portal does not collect feedback from graduates or employers.")
    )


EVIDENCE_PROVIDERS: dict[str, EvidenceProvider] = {
    "platform-selection": platform_selection_evidence,
    "format-definition": format_definition_evidence,
    "issuance-mechanism": issuance_mechanism_evidence,
    "verification-system": verification_system_evidence,
    "compliance": compliance_evidence,
    "student-records": student_records_evidence,
    "issuance-process": issuance_process_evidence,
    "revocation-update": revocation_update_evidence,
    "evaluation-mechanisms": evaluation_mechanisms_evidence,
    "feedback": feedback_evidence,
    "pricing": pricing_evidence,
    "payments": payments_evidence,
    "course-catalogue": course_catalogue_evidence,
}


def evidence_for_institution(
    *, institution: Institution, activity_keys: list[str] | None = None, now: dt.datetime | None = None
) -> dict[str, ActivityEvidence]:
    """Compute the live evidence of every activity that has a provider (or of the given keys)."""
    moment = now or clock.now()
    keys = EVIDENCE_PROVIDERS.keys() if activity_keys is None else activity_keys
    return {key: EVIDENCE_PROVIDERS[key](institution, moment) for key in keys if key in EVIDENCE_PROVIDERS}
