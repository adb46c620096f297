"""Realistic certificate data and a test PKI for the PDF tests and scripts/bench_pdf.py."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from unittest import mock

from credentials.rendering.pdf import CertificateData, InstitutionLogo, Organisation
from credentials.rendering.pki import (
    KeyAlgorithm,
    KeyAndCertificate,
    document_signing_certificate_issue,
    portal_ca_create,
    timestamping_certificate_issue,
)

# Names every script a learner may write must survive: Latin with diacritics, polytonic Greek,
# CJK and Arabic (right to left).
LEARNER_NAMES = ("Zuzana Müller-Łukasiewicz", "Ἀριστοτέλης", "李小龍", "مريم")

TYPICAL_OUTCOMES = (
    "Plan the data management of a research project, including a data management plan that meets "
    "funder requirements.",
    "Describe, structure and document research data with metadata standards so that others can reuse them.",
    "Apply the FAIR principles when depositing data in a trusted repository.",
    "Assess legal and ethical constraints (GDPR, licences) on sharing personal and sensitive data.",
    "Automate data cleaning and validation with reproducible Python workflows.",
)


def certificate_data(**overrides) -> CertificateData:
    """A complete certificate with every mandatory and optional element; override any field."""
    values = {
        "learner_name": LEARNER_NAMES[0],
        "title": "Research Data Management and FAIR Data",
        "issuer": Organisation(
            name="Universidad de Salamanca", country_code="ES", country_name="Spain", region="Castilla y León"
        ),
        "partners": (
            Organisation(name="Uniwersytet Jagielloński", country_code="PL", country_name="Poland"),
            Organisation(name="Université de Liège", country_code="BE", country_name="Belgium"),
        ),
        "date_of_issuing": date(2026, 6, 30),
        "valid_until": date(2031, 6, 30),
        "learning_outcomes": TYPICAL_OUTCOMES,
        "workload_hours": 150,
        "ects_credits": Decimal("6.0"),
        "eqf_level": 7,
        "qf_ehea_cycle": "Second cycle (master)",
        "assessment_type": "Project work",
        "assessment_details": (
            "A data management plan and a curated dataset, each marked against a published rubric."
        ),
        "participation_form": "Blended",
        "quality_assurance_type": "Programme accreditation by an external QA agency",
        "quality_assurance_details": "Accredited by ANECA under the European Standards and Guidelines (ESG).",
        "prerequisites": "A bachelor's degree in any field; basic Python.",
        "supervision_verification": "Supervised online or on site, with identity verification",
        "grade": "A",
        "grading_scheme": "ECTS grading scale (A–F)",
        "stackability": "Stackable towards a larger credential",
        "stackability_details": "Counts towards the Master in Data Stewardship (60 ECTS).",
        "further_information": "Taught in English by the Una Europa alliance.",
        "further_information_url": "https://portal.test/courses/research-data-management/",
        "course_code": "RDM-701",
        "learning_period_start": date(2026, 2, 2),
        "learning_period_end": date(2026, 6, 12),
        "verification_code": "7QK4-M2XD-93HF",
        "verification_url": "https://portal.test/verify/7QK4-M2XD-93HF",
        "credential_id": "urn:uuid:0f6e2c1a-3b7d-4e59-9a3c-2d8e5b41c7aa",
        "brand_colour": "#7A1B2D",
        "logo": InstitutionLogo.from_static("img/logo.svg"),
        "language": "en",
    }
    values.update(overrides)
    return CertificateData(**values)


def minimal_certificate_data(**overrides) -> CertificateData:
    """Only the mandatory elements: every optional one is left out."""
    full = certificate_data()
    optional = {
        "partners": (),
        "valid_until": None,
        "qf_ehea_cycle": "",
        "assessment_details": "",
        "quality_assurance_details": "",
        "prerequisites": "",
        "supervision_verification": "",
        "grade": "",
        "grading_scheme": "",
        "stackability": "",
        "stackability_details": "",
        "further_information": "",
        "further_information_url": "",
        "course_code": "",
        "learning_period_start": None,
        "learning_period_end": None,
        "logo": None,
    }
    return dataclasses.replace(full, **{**optional, **overrides})


def signed_credential_json(learner_name: str = LEARNER_NAMES[0]) -> bytes:
    """Bytes standing in for a signed OB 3.0 credential (the PDF code treats them as opaque)."""
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Research Data Management and FAIR Data",
        "credentialSubject": {"type": ["AchievementSubject"], "name": learner_name},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z3FXQ…"},
    }
    # Not ASCII-escaped and with a trailing newline: the round trip must keep the bytes exactly.
    return json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"


@dataclass(frozen=True)
class SamplePki:
    """A portal CA with one institution's seal certificate and the local TSA certificate."""

    ca: KeyAndCertificate
    seal: KeyAndCertificate
    tsa: KeyAndCertificate


def sample_pki(key_algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> SamplePki:
    """Create a fresh CA, seal and TSA certificate (EC P-256 unless asked for RSA-3072)."""
    ca = portal_ca_create(
        common_name="mcportal Test Root CA",
        organisation_name="mcportal test",
        country_code="BE",
        key_algorithm=key_algorithm,
    )
    seal = document_signing_certificate_issue(
        ca=ca,
        organisation_name="Universidad de Salamanca",
        country_code="ES",
        organisation_identifier="VATES-Q3718001E",
        key_algorithm=key_algorithm,
    )
    tsa = timestamping_certificate_issue(
        ca=ca,
        common_name="mcportal Test Timestamping Authority",
        organisation_name="mcportal test",
        country_code="BE",
        key_algorithm=key_algorithm,
    )
    return SamplePki(ca=ca, seal=seal, tsa=tsa)


@contextlib.contextmanager
def network_blocked() -> Iterator[list[tuple]]:
    """Make every Python socket connection and DNS lookup fail, recording each attempt."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is blocked in this test")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket.socket, "connect_ex", refuse),
        mock.patch.object(socket, "create_connection", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
    ):
        yield attempts
