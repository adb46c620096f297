"""Demo readiness assessments: MUNI well under way, Tartu starting, both in the Alliance4Life alliance.

Loaded by seed_demo through the checklist services (so history and audit exist as in real use).
An institution that already has any assessment is left alone, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from checklist.models import ActivityAssessment, Alliance
from checklist.services import assessment_update, evidence_link_add
from mcportal.core import clock
from mcportal.core.models import Institution, User

ALLIANCE = {"name": "Alliance4Life", "slug": "alliance4life"}

# (activity key, status, responsible e-mail or "", deadline in days from today or None, remarks)
ASSESSMENTS = {
    "muni": {
        "actor": "leadership@demo.test",
        "rows": [
            (
                "define-goals",
                "done",
                "leadership@demo.test",
                None,
                "Goals set in the institutional strategy 2021+.",
            ),
            (
                "needs-analysis",
                "done",
                "instructor@demo.test",
                None,
                "Survey of faculties and employers, spring 2025.",
            ),
            ("value-proposition", "done", "leadership@demo.test", None, ""),
            ("alignment", "done", "registrar@demo.test", None, "Every course states EQF level and ECTS."),
            (
                "policy-framework",
                "done",
                "leadership@demo.test",
                None,
                "Rector's directive approved by the board.",
            ),
            ("platform-selection", "done", "registrar@demo.test", None, "This portal."),
            (
                "format-definition",
                "done",
                "registrar@demo.test",
                None,
                "Signed JSON-LD (VC 2.0 / OB 3.0) and sealed PDF.",
            ),
            ("issuance-mechanism", "done", "registrar@demo.test", None, ""),
            (
                "verification-system",
                "done",
                "registrar@demo.test",
                None,
                "Public verification page with QR code.",
            ),
            (
                "eu-integration",
                "in_progress",
                "registrar@demo.test",
                60,
                "Europass wallet import being tested.",
            ),
            ("course-design", "done", "instructor@demo.test", None, ""),
            ("compliance", "done", "registrar@demo.test", None, ""),
            ("accreditation", "in_progress", "leadership@demo.test", 20, "Two LLL courses await the board."),
            ("student-records", "done", "registrar@demo.test", None, ""),
            ("issuance-process", "done", "registrar@demo.test", None, "Batch issuance used since the pilot."),
            (
                "revocation-update",
                "in_progress",
                "registrar@demo.test",
                -10,
                "Procedure drafted; legal review pending.",
            ),
            ("pilot-testing", "done", "registrar@demo.test", None, "Piloted at the Faculty of Medicine."),
            ("gdpr", "in_progress", "auditor@demo.test", -4, "Records of processing to be updated."),
            ("legal-compliance", "not_started", "auditor@demo.test", 45, ""),
            ("evaluation-mechanisms", "in_progress", "instructor@demo.test", 25, ""),
            ("pricing", "done", "finance@demo.test", None, "Price list approved for 2026."),
            ("payments", "in_progress", "finance@demo.test", 14, "Card payments in testing."),
            ("course-catalogue", "done", "registrar@demo.test", None, ""),
            ("info-materials", "in_progress", "leadership@demo.test", 30, ""),
        ],
        "links": [
            (
                "policy-framework",
                "Rector's directive on microcredentials",
                "https://www.muni.cz/en/about-us/official-notice-board",
            ),
            ("course-catalogue", "Public course catalogue", "https://www.muni.cz/en/lifelong-learning"),
        ],
    },
    "ut": {
        "actor": "leadership.tartu@demo.test",
        "rows": [
            (
                "define-goals",
                "done",
                "leadership.tartu@demo.test",
                None,
                "Part of the university's LLL strategy.",
            ),
            ("needs-analysis", "in_progress", "instructor.tartu@demo.test", 21, ""),
            (
                "policy-framework",
                "in_progress",
                "leadership.tartu@demo.test",
                -7,
                "Senate decision postponed.",
            ),
            ("platform-selection", "done", "registrar.tartu@demo.test", None, "Joining the alliance portal."),
            ("course-design", "in_progress", "instructor.tartu@demo.test", 40, ""),
            ("course-catalogue", "done", "registrar.tartu@demo.test", None, ""),
            ("eu-integration", "not_applicable", "", None, "Handled by the national platform."),
        ],
        "links": [],
    },
}


def checklist_demo_load(*, institutions: dict[str, Institution], users: dict[str, User]) -> int:
    """Create the alliance and the demo assessments of institutions that have none; return how
    many activities were filled."""
    alliance, _created = Alliance.objects.get_or_create(
        slug=ALLIANCE["slug"], defaults={"name": ALLIANCE["name"]}
    )
    alliance.institutions.add(*institutions.values())
    today = clock.today()
    filled = 0
    for slug, spec in ASSESSMENTS.items():
        institution = institutions[slug]
        if ActivityAssessment.objects.filter(institution=institution).exists():
            continue
        actor = users[spec["actor"]]
        for key, status, responsible, deadline_days, remarks in spec["rows"]:
            assessment_update(
                institution=institution,
                activity_key=key,
                actor=actor,
                status=status,
                responsible=users[responsible] if responsible else None,
                deadline=today + dt.timedelta(days=deadline_days) if deadline_days is not None else None,
                remarks=remarks,
            )
            filled += 1
        for key, title, url in spec["links"]:
            evidence_link_add(institution=institution, activity_key=key, actor=actor, title=title, url=url)
    return filled
