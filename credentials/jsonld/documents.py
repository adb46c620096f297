"""Build the unsigned Open Badges 3.0 / VC 2.0 document of a microcredential from plain facts.

Pure functions: the issuance service fills CredentialFacts from the course, the enrolment and
the institution; nothing here reads the database or settings. Every mandatory element of the
EU Recommendation is carried twice: machine-readable (OB fields, alignments and the portal's
own context, whose terms map to European Learning Model IRIs) and in plain words in the
achievement's criteria narrative, so that any wallet shows it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines 1EdTechJsonSchemaValidator2019 (used by credentialSchema), absent from 3.0.3 itself.
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)

EQF_IRI = "http://data.europa.eu/snb/eqf/{level}"
ECTS_IRI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
EU_COUNTRY_IRI = "http://publications.europa.eu/resource/authority/country/{alpha3}"

# European Learning Model concepts for our vocabularies; a value without a concept is stated in
# words only (narrative), never with an invented EU IRI.
PARTICIPATION_FORM_IRIS = {
    "online": "http://data.europa.eu/snb/learning-assessment/920fbb3cbe",
    "onsite": "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
    "blended": "http://data.europa.eu/snb/learning-assessment/e92d221e4d",
}
ASSESSMENT_TYPE_IRIS = {
    "written_exam": "http://data.europa.eu/snb/assessment/6e6cb2cc78",
    "oral_exam": "http://data.europa.eu/snb/assessment/d30284d7df",
    "practical": "http://data.europa.eu/snb/assessment/6a4db9f11d",
    "project": "http://data.europa.eu/snb/assessment/795dac4096",
    "portfolio": "http://data.europa.eu/snb/assessment/4f03b91c0e",
    "online_test": "http://data.europa.eu/snb/assessment/b1b68f6735",
    "essay": "http://data.europa.eu/snb/assessment/2939dae15f",
    "continuous": "http://data.europa.eu/snb/assessment/3484bd7e51",
}
QUALITY_ASSURANCE_IRIS = {
    "internal": "http://data.europa.eu/snb/accreditation/bb4618238e",
    "external_institutional": "http://data.europa.eu/snb/accreditation/bb4618238e",
    "programme_accreditation": "http://data.europa.eu/snb/accreditation/820101cba6",
}
SUPERVISION_IRIS = {
    "unsupervised_no_id": "http://data.europa.eu/snb/supervision-verification/c598449d64",
}
GRADE_RESULT_TYPES = {
    "pass_fail": "Status",
    "percentage": "Percent",
    "ects_grades": "LetterGrade",
    "numeric_1_5": "ext:NumericGrade",
}


@dataclass(frozen=True)
class OrganisationFacts:
    """An awarding body as it appears on the credential."""

    id: str  # the institution's DID (did:web)
    legal_name: str
    country_code: str  # ISO 3166-1 alpha-2
    country_alpha3: str
    country_name: str
    url: str = ""
    email: str = ""
    region: str = ""
    locality: str = ""
    street_address: str = ""
    postal_code: str = ""
    erasmus_code: str = ""
    vat_id: str = ""
    image_url: str = ""


@dataclass(frozen=True)
class LabelledValue:
    """A coded value of one of our vocabularies with its label in words."""

    code: str
    label: str
    details: str = ""


@dataclass(frozen=True)
class CredentialFacts:
    """Everything a credential states, as plain values (no model instances)."""

    credential_id: str  # urn:uuid:…
    achievement_id: str  # stable URL of the course version on the portal
    issuer: OrganisationFacts
    joint_awarding_bodies: tuple[OrganisationFacts, ...]
    learner_name: str
    learner_email: str
    learner_email_salt: str
    title: str
    description: str
    learning_outcomes: tuple[str, ...]
    workload_hours: int
    ects_credits: Decimal
    eqf_level: int
    assessment: LabelledValue
    participation_form: LabelledValue
    quality_assurance: LabelledValue
    valid_from: dt.datetime
    awarded_date: dt.datetime
    course_code: str = ""
    qf_ehea_cycle: LabelledValue | None = None
    prerequisites: str = ""
    supervision: LabelledValue | None = None
    grading_scheme: LabelledValue | None = None
    grade: str = ""
    stackability: LabelledValue | None = None
    further_information: str = ""
    further_information_url: str = ""
    field_of_study: LabelledValue | None = None
    languages: tuple[str, ...] = ()
    activity_start: dt.date | None = None
    activity_end: dt.date | None = None
    valid_until: dt.datetime | None = None
    credential_status: dict | None = None
    extra_contexts: tuple[str, ...] = field(default=())


def format_datetime(moment: dt.datetime) -> str:
    """YYYY-MM-DDTHH:MM:SSZ: the one timestamp form we sign (never reformatted later)."""
    if moment.tzinfo is None:
        raise ValueError("Credential timestamps must be aware (UTC).")
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityObject hash: sha256$ + hex(SHA-256(value + salt))."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _profile(organisation: OrganisationFacts) -> dict:
    address = {
        "type": ["Address"],
        "addressCountry": organisation.country_name,
        "addressCountryCode": organisation.country_code,
    }
    for key, value in (
        ("addressRegion", organisation.region),
        ("addressLocality", organisation.locality),
        ("streetAddress", organisation.street_address),
        ("postalCode", organisation.postal_code),
    ):
        if value:
            address[key] = value
    profile: dict = {
        "id": organisation.id,
        "type": ["Profile"],
        "name": organisation.legal_name,
        "address": address,
        "issuerCountry": EU_COUNTRY_IRI.format(alpha3=organisation.country_alpha3),
    }
    if organisation.url:
        profile["url"] = organisation.url
    if organisation.email:
        profile["email"] = organisation.email
    if organisation.image_url:
        profile["image"] = {"id": organisation.image_url, "type": "Image"}
    identifiers = [
        {"type": "IdentifierEntry", "identifier": value, "identifierType": kind}
        for kind, value in (
            ("ext:ErasmusCode", organisation.erasmus_code),
            ("ext:VATID", organisation.vat_id),
        )
        if value
    ]
    if identifiers:
        profile["otherIdentifier"] = identifiers
    return profile


def _narrative(facts: CredentialFacts) -> str:
    """Every element in plain words (Markdown), so any wallet can show what was certified."""
    bodies = [facts.issuer, *facts.joint_awarding_bodies]
    lines = [
        f"**Awarding {'bodies' if len(bodies) > 1 else 'body'}:** "
        + "; ".join(f"{body.legal_name} ({body.country_name})" for body in bodies),
        "",
        "**Learning outcomes.** The holder is able to:",
        *[f"{position}. {outcome}" for position, outcome in enumerate(facts.learning_outcomes, 1)],
        "",
        f"**Notional workload:** {facts.workload_hours} hours, "
        f"{_number(facts.ects_credits)} ECTS credits",
        f"**Level:** EQF level {facts.eqf_level}"
        + (f", QF-EHEA {facts.qf_ehea_cycle.label}" if facts.qf_ehea_cycle else ""),
        f"**Type of assessment:** {facts.assessment.label}"
        + (f". {facts.assessment.details}" if facts.assessment.details else ""),
        f"**Form of participation:** {facts.participation_form.label}",
        f"**Quality assurance:** {facts.quality_assurance.label}"
        + (f". {facts.quality_assurance.details}" if facts.quality_assurance.details else ""),
    ]
    optional = [
        ("Prerequisites", facts.prerequisites),
        ("Supervision and identity verification", facts.supervision and facts.supervision.label),
        ("Grading scheme", facts.grading_scheme and facts.grading_scheme.label),
        ("Grade", facts.grade),
        (
            "Integration / stackability",
            facts.stackability
            and facts.stackability.label
            + (f". {facts.stackability.details}" if facts.stackability.details else ""),
        ),
        (
            "Further information",
            " ".join(part for part in (facts.further_information, facts.further_information_url) if part),
        ),
    ]
    lines.extend(f"**{label}:** {value}" for label, value in optional if value)
    return "\n".join(lines)


def _achievement(facts: CredentialFacts) -> dict:
    alignments = [
        {
            "type": ["Alignment"],
            "targetName": f"EQF level {facts.eqf_level}",
            "targetUrl": EQF_IRI.format(level=facts.eqf_level),
            "targetFramework": "European Qualifications Framework",
            "targetCode": str(facts.eqf_level),
        },
        {
            "type": ["Alignment"],
            "targetName": f"{_number(facts.ects_credits)} ECTS credits",
            "targetUrl": ECTS_IRI,
            "targetFramework": "European Credit Transfer and Accumulation System",
            "targetCode": str(_number(facts.ects_credits)),
        },
    ]
    if facts.qf_ehea_cycle:
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": f"QF-EHEA {facts.qf_ehea_cycle.label}",
                "targetUrl": EQF_IRI.format(level=facts.eqf_level),
                "targetFramework": "Qualifications Framework of the European Higher Education Area",
                "targetCode": facts.qf_ehea_cycle.code,
            }
        )
    achievement: dict = {
        "id": facts.achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": facts.title,
        "description": facts.description or facts.title,
        "criteria": {"narrative": _narrative(facts)},
        "creditsAvailable": _number(facts.ects_credits),
        "alignment": alignments,
        "ectsCredits": _number(facts.ects_credits),
        "volumeOfLearning": f"PT{facts.workload_hours}H",
        "learningOutcomes": list(facts.learning_outcomes),
        "awardingBodies": [body.id for body in (facts.issuer, *facts.joint_awarding_bodies)],
    }
    if facts.course_code:
        achievement["humanCode"] = facts.course_code
    if facts.languages:
        achievement["inLanguage"] = facts.languages[0]
    if facts.field_of_study:
        achievement["fieldOfStudy"] = facts.field_of_study.label
    iri_terms = (
        ("assessmentType", ASSESSMENT_TYPE_IRIS.get(facts.assessment.code)),
        ("participationForm", PARTICIPATION_FORM_IRIS.get(facts.participation_form.code)),
        ("qualityAssurance", QUALITY_ASSURANCE_IRIS.get(facts.quality_assurance.code)),
        ("identityVerification", facts.supervision and SUPERVISION_IRIS.get(facts.supervision.code)),
    )
    achievement.update({term: iri for term, iri in iri_terms if iri})
    if facts.prerequisites:
        achievement["entryRequirements"] = facts.prerequisites
    if facts.grading_scheme:
        achievement["gradingScheme"] = facts.grading_scheme.label
        achievement["resultDescription"] = [
            {
                "id": f"{facts.achievement_id}#final-grade",
                "type": ["ResultDescription"],
                "name": f"Final grade ({facts.grading_scheme.label})",
                "resultType": GRADE_RESULT_TYPES.get(facts.grading_scheme.code, "Result"),
            }
        ]
    if facts.stackability:
        achievement["isPartialQualification"] = facts.stackability.code != "standalone"
    if facts.joint_awarding_bodies:
        achievement["creator"] = _profile(facts.issuer)
    return achievement


def _subject(facts: CredentialFacts, achievement: dict) -> dict:
    subject: dict = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": facts.learner_name,
            },
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": identity_hash(facts.learner_email.strip().lower(), facts.learner_email_salt),
                "salt": facts.learner_email_salt,
            },
        ],
        "achievement": achievement,
        "creditsEarned": _number(facts.ects_credits),
    }
    if facts.grade and facts.grading_scheme:
        result: dict = {
            "type": ["Result"],
            "resultDescription": achievement["resultDescription"][0]["id"],
            "value": facts.grade,
        }
        if facts.grading_scheme.code == "pass_fail":
            result["status"] = "Completed"
        subject["result"] = [result]
    if facts.activity_start:
        subject["activityStartDate"] = format_datetime(
            dt.datetime.combine(facts.activity_start, dt.time(0, 0), tzinfo=dt.UTC)
        )
    if facts.activity_end:
        subject["activityEndDate"] = format_datetime(
            dt.datetime.combine(facts.activity_end, dt.time(0, 0), tzinfo=dt.UTC)
        )
    return subject


def credential_document_build(facts: CredentialFacts, *, own_context_url: str) -> dict:
    """Return the unsigned OpenBadgeCredential carrying every element of the Recommendation."""
    achievement = _achievement(facts)
    document: dict = {
        "@context": [VC_V2, OB_V3P0, OB_EXTENSIONS, own_context_url, *facts.extra_contexts],
        "id": facts.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.title,
        "description": (
            f"{facts.title}: a microcredential of {facts.issuer.legal_name}, "
            f"EQF level {facts.eqf_level}, {_number(facts.ects_credits)} ECTS."
        ),
        "issuer": _profile(facts.issuer),
        "validFrom": format_datetime(facts.valid_from),
        "awardedDate": format_datetime(facts.awarded_date),
        "credentialSubject": _subject(facts, achievement),
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if facts.valid_until:
        document["validUntil"] = format_datetime(facts.valid_until)
    if facts.credential_status:
        document["credentialStatus"] = facts.credential_status
    return document
