"""The credential document carries every EU element, validates against OB 3.0 and signs cleanly."""
import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.jsonld.documents import credential_document_build, format_datetime, identity_hash
from credentials.jsonld.loader import build_document_loader, mcportal_context_url
from credentials.signing.multikey import did_key_verification_method, public_key_from_did_key
from credentials.signing.proofs import proof_create, proof_verify
from tests.credentials.document_samples import microcredential_facts

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
OWN_URL = mcportal_context_url("https://portal.test")


@pytest.fixture(scope="module")
def schema_validator():
    schema = json.loads((REFERENCE / "ob3" / "ob_v3p0_achievementcredential_schema.json").read_text())
    return jsonschema.Draft201909Validator(schema)


@pytest.fixture(scope="module")
def loader():
    return build_document_loader(own_context_url=OWN_URL)


def test_document_validates_against_the_open_badges_schema(schema_validator):
    document = credential_document_build(microcredential_facts(), own_context_url=OWN_URL)

    errors = sorted(error.message for error in schema_validator.iter_errors(document))

    assert errors == []


def test_document_carries_every_mandatory_element_of_the_recommendation():
    document = credential_document_build(microcredential_facts(), own_context_url=OWN_URL)
    subject = document["credentialSubject"]
    achievement = subject["achievement"]

    # M1 learner: name in clear, e-mail only as a salted hash
    assert subject["identifier"][0] == {
        "type": "IdentityObject", "identityType": "name", "hashed": False,
        "identityHash": "Zuzana Müller-Łukasiewicz",
    }
    assert subject["identifier"][1]["identityHash"] == identity_hash("zuzana@example.org", "b3f1c2d4e5a6")
    assert "example.org" not in json.dumps(document)
    # M2 title, M3 country, M4 awarding bodies, M5 date
    assert achievement["name"] == "Applied Bioinformatics: RNA-seq Analysis"
    assert document["issuer"]["address"]["addressCountryCode"] == "CZ"
    assert document["issuer"]["issuerCountry"] == "http://publications.europa.eu/resource/authority/country/CZE"
    assert achievement["awardingBodies"] == [
        "did:web:portal.test:institutions:muni", "did:web:portal.test:institutions:ut",
    ]
    assert document["validFrom"] == "2026-03-20T09:30:12Z"
    # M6 outcomes, M7 workload, M8 level
    assert achievement["learningOutcomes"][1].startswith("Identify differentially expressed genes")
    assert (achievement["ectsCredits"], achievement["volumeOfLearning"]) == (5, "PT140H")
    assert achievement["alignment"][0]["targetUrl"] == "http://data.europa.eu/snb/eqf/7"
    # M9 assessment, M10 participation, M11 quality assurance (ELM concepts)
    assert achievement["assessmentType"] == "http://data.europa.eu/snb/assessment/795dac4096"
    assert achievement["participationForm"] == "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
    assert achievement["qualityAssurance"] == "http://data.europa.eu/snb/accreditation/820101cba6"
    # and all of them in words, for any wallet
    narrative = achievement["criteria"]["narrative"]
    for words in ("Masaryk University (Czechia); University of Tartu (Estonia)", "140 hours, 5 ECTS",
                  "EQF level 7, QF-EHEA Second cycle", "Project work. A written analysis report.",
                  "**Form of participation:** Blended", "Programme accreditation",
                  "**Prerequisites:** A bachelor's degree", "**Grade:** A",
                  "Integrated into a degree programme. MSc Bioinformatics"):
        assert words in narrative
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": f"{achievement['id']}#final-grade", "value": "A"}
    ]
    assert document["validUntil"] == "2029-03-20T09:30:00Z"


def test_optional_elements_are_left_out_when_the_course_has_none():
    facts = microcredential_facts(
        joint_awarding_bodies=(), prerequisites="", supervision=None, grading_scheme=None, grade="",
        stackability=None, further_information="", further_information_url="", valid_until=None,
        qf_ehea_cycle=None,
    )

    document = credential_document_build(facts, own_context_url=OWN_URL)
    achievement = document["credentialSubject"]["achievement"]

    assert "validUntil" not in document
    assert "result" not in document["credentialSubject"]
    assert not {"entryRequirements", "gradingScheme", "identityVerification", "creator"} & set(achievement)
    assert "Prerequisites" not in achievement["criteria"]["narrative"]


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="aware"):
        format_datetime(dt.datetime(2027, 1, 1, 12, 0))


def test_built_document_signs_and_verifies_with_every_term_defined(loader):
    key = Ed25519PrivateKey.generate()
    method = did_key_verification_method(key.public_key())
    facts = microcredential_facts()
    document = credential_document_build(facts, own_context_url=OWN_URL)
    document["issuer"]["id"] = method.split("#")[0]

    signed = proof_create(
        document=document, private_key=key, verification_method=method,
        created=dt.datetime(2027, 3, 20, 9, 30, tzinfo=dt.UTC), document_loader=loader,
    )
    result = proof_verify(document=signed, resolve_public_key=public_key_from_did_key, document_loader=loader)

    assert (result.verified, result.errors) == (True, ())
