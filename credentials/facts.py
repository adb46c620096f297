"""From a completed enrolment to the plain facts a credential states (reads models, writes nothing)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from courses.choices import (
    AssessmentType,
    FieldOfStudy,
    GradingScheme,
    ParticipationForm,
    QFEHEACycle,
    QualityAssuranceType,
    Stackability,
    SupervisionVerification,
)
from courses.models import Course, CourseRun
from credentials.did_resolution import issuer_did_for
from credentials.jsonld.documents import CredentialFacts, LabelledValue, OrganisationFacts
from enrollment.models import Enrollment
from mcportal.core.models import Institution


def _labelled(choices, code: str, details: str = "") -> LabelledValue | None:
    if not code:
        return None
    return LabelledValue(code=code, label=str(choices(code).label), details=details.strip())


def organisation_facts(institution: Institution) -> OrganisationFacts:
    """An institution as an awarding body on the credential (its DID, legal identity and address)."""
    return OrganisationFacts(
        id=issuer_did_for(institution),
        legal_name=institution.legal_name,
        country_code=institution.country.code,
        country_alpha3=institution.country.alpha3,
        country_name=str(institution.country.name),
        url=institution.website,
        email=institution.contact_email,
        region=institution.region,
        locality=institution.city,
        street_address=institution.street_address,
        postal_code=institution.postal_code,
        erasmus_code=institution.erasmus_code,
        vat_id=institution.vat_id,
    )


def course_version(course: Course) -> str:
    """Fingerprint of everything a credential certifies about the course (changes with the course)."""
    certified = {
        "title": course.title,
        "institutions": [course.institution_id, *sorted(p.pk for p in course.partner_institutions.all())],
        "outcomes": [outcome.statement for outcome in course.outcomes.all()],
        "hours": course.workload_hours,
        "ects": str(course.ects_credits),
        "eqf": course.eqf_level,
        "cycle": course.qf_ehea_cycle,
        "assessment": [course.assessment_type, course.assessment_details],
        "participation": course.participation_form,
        "qa": [course.quality_assurance_type, course.quality_assurance_details],
        "optional": [
            course.prerequisites,
            course.supervision_verification,
            course.grading_scheme,
            course.stackability,
            course.stackability_details,
            course.further_information,
            course.further_information_url,
            course.validity_months,
        ],
    }
    encoded = json.dumps(certified, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day-of-month (or the month's last day) months later."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")


@dataclass(frozen=True)
class RunFacts:
    """What every credential of one course run states alike (course, run, awarding bodies).

    Built once per batch chunk rather than once per credential: it costs several queries,
    while the learner-specific part is a few attribute copies.
    """

    version: str
    validity_months: int | None
    shared: CredentialFacts  # learner, identity, dates and status fields are placeholders


def run_facts_build(*, run: CourseRun) -> RunFacts:
    """The course- and run-level facts of run (reads the course, its outcomes, partners, languages)."""
    course = run.course
    version = course_version(course)
    placeholder = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    shared = CredentialFacts(
        credential_id="",
        achievement_id=f"{settings.MCPORTAL_PUBLIC_URL}{course.get_absolute_url()}#v-{version[:12]}",
        issuer=organisation_facts(course.institution),
        joint_awarding_bodies=tuple(organisation_facts(p) for p in course.partner_institutions.all()),
        learner_name="",
        learner_email="",
        learner_email_salt="",
        title=course.title,
        description=course.summary or course.title,
        learning_outcomes=tuple(outcome.statement for outcome in course.outcomes.all()),
        workload_hours=course.workload_hours,
        ects_credits=Decimal(course.ects_credits),
        eqf_level=course.eqf_level,
        assessment=_labelled(AssessmentType, course.assessment_type, course.assessment_details),
        participation_form=_labelled(ParticipationForm, course.participation_form),
        quality_assurance=_labelled(
            QualityAssuranceType, course.quality_assurance_type, course.quality_assurance_details
        ),
        valid_from=placeholder,
        awarded_date=placeholder,
        course_code=course.code,
        qf_ehea_cycle=_labelled(QFEHEACycle, course.qf_ehea_cycle),
        prerequisites=course.prerequisites.strip(),
        supervision=_labelled(SupervisionVerification, course.supervision_verification),
        grading_scheme=_labelled(GradingScheme, course.grading_scheme),
        stackability=_labelled(Stackability, course.stackability, course.stackability_details),
        further_information=course.further_information.strip(),
        further_information_url=course.further_information_url,
        field_of_study=_labelled(FieldOfStudy, course.field_of_study),
        languages=tuple(language.language for language in course.languages.all()),
        activity_start=run.starts_on,
        activity_end=run.ends_on,
    )
    return RunFacts(version=version, validity_months=course.validity_months or None, shared=shared)


def credential_facts_build(
    *,
    enrollment: Enrollment,
    public_id: str,
    issued_at: dt.datetime,
    status_entries: list[dict],
    run_facts: RunFacts | None = None,
) -> CredentialFacts:
    """Everything the credential of this completed enrolment states, as plain values.

    run_facts (from run_facts_build for the enrolment's run) saves re-reading the course when
    many credentials of one run are issued; without it the run's facts are read here.
    """
    if run_facts is None:
        run_facts = run_facts_build(run=enrollment.run)
    learner = enrollment.learner
    valid_until = add_months(issued_at, run_facts.validity_months) if run_facts.validity_months else None
    return dataclasses.replace(
        run_facts.shared,
        credential_id=f"urn:uuid:{public_id}",
        learner_name=learner.full_name or learner.email,
        learner_email=learner.email,
        learner_email_salt=secrets.token_hex(8),
        valid_from=issued_at,
        awarded_date=enrollment.completed_at or issued_at,
        grade=enrollment.final_grade,
        valid_until=valid_until,
        credential_status=status_entries or None,
    )


def facts_snapshot(facts: CredentialFacts) -> dict:
    """The printable facts as JSON (the learner's e-mail and its salt are left out)."""

    def labelled(value: LabelledValue | None) -> dict | None:
        return None if value is None else {"code": value.code, "label": value.label, "details": value.details}

    def organisation(value: OrganisationFacts) -> dict:
        return {
            "name": value.legal_name,
            "country_code": value.country_code,
            "country_name": value.country_name,
            "region": value.region,
        }

    return {
        "learner_name": facts.learner_name,
        "title": facts.title,
        "issuer": organisation(facts.issuer),
        "partners": [organisation(body) for body in facts.joint_awarding_bodies],
        "learning_outcomes": list(facts.learning_outcomes),
        "workload_hours": facts.workload_hours,
        "ects_credits": str(facts.ects_credits),
        "eqf_level": facts.eqf_level,
        "qf_ehea_cycle": labelled(facts.qf_ehea_cycle),
        "assessment": labelled(facts.assessment),
        "participation_form": labelled(facts.participation_form),
        "quality_assurance": labelled(facts.quality_assurance),
        "prerequisites": facts.prerequisites,
        "supervision": labelled(facts.supervision),
        "grading_scheme": labelled(facts.grading_scheme),
        "grade": facts.grade,
        "stackability": labelled(facts.stackability),
        "further_information": facts.further_information,
        "further_information_url": facts.further_information_url,
        "course_code": facts.course_code,
        "activity_start": facts.activity_start.isoformat() if facts.activity_start else None,
        "activity_end": facts.activity_end.isoformat() if facts.activity_end else None,
        "valid_from": facts.valid_from.isoformat(),
        "valid_until": facts.valid_until.isoformat() if facts.valid_until else None,
        "languages": list(facts.languages),
    }
