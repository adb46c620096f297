"""Realistic Open Badges 3.0 micro-credential documents used by the signing and interop tests."""

from typing import Any

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines 1EdTechJsonSchemaValidator2019, which the 3.0.3 context itself does not.
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
PORTAL_URL = "https://mc.portal.example"
RESULT_DESCRIPTION_ID = "urn:uuid:5f1b0a2e-7c43-4d55-9a7e-2b8f3d6c1e90"


def openbadge_microcredential(
    *, issuer_did: str, own_context_url: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Return an unsigned OpenBadgeCredential (achievementType MicroCredential).

    With ``own_context_url`` the portal's context is appended and its ELM terms are used.
    """
    context: list[str] = [VC_V2, OB_V3P0, OB_EXTENSIONS]
    achievement: dict[str, Any] = {
        "id": f"{PORTAL_URL}/achievements/data-analysis-python/2025",
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": name or "Analýza dát v Pythone (Data Analysis with Python)",
        "description": (
            "Learners clean, explore and visualise tabular data with pandas and "
            "matplotlib, and report findings reproducibly."
        ),
        "criteria": {
            "narrative": (
                "Pass the written examination (≥ 60 %) and submit a graded project "
                "analysing an open data set."
            )
        },
        "creditsAvailable": 5,
        "inLanguage": "sk",
        "humanCode": "DAP-2025",
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": "EQF level 6",
                "targetUrl": "http://data.europa.eu/snb/eqf/6",
                "targetFramework": "European Qualifications Framework",
                "targetCode": "6",
            }
        ],
        "resultDescription": [
            {
                "id": RESULT_DESCRIPTION_ID,
                "type": ["ResultDescription"],
                "name": "Final grade (ECTS scale)",
                "resultType": "LetterGrade",
                "allowedValue": ["A", "B", "C", "D", "E", "FX"],
            }
        ],
    }
    issuer: dict[str, Any] = {
        "id": issuer_did,
        "type": ["Profile"],
        "name": "Univerzita Komenského v Bratislave",
        "url": "https://uniba.example/",
        "email": "microcredentials@uniba.example",
        "address": {
            "type": ["Address"],
            "addressCountry": "Slovensko",
            "addressCountryCode": "SK",
            "addressLocality": "Bratislava",
        },
    }
    if own_context_url is not None:
        context.append(own_context_url)
        achievement.update(
            {
                "ectsCredits": 5,
                "volumeOfLearning": "PT125H",
                "assessmentType": "http://data.europa.eu/snb/assessment/6e6cb2cc78",
                "participationForm": "http://data.europa.eu/snb/learning-assessment/920fbb3cbe",
                "learningSetting": "http://data.europa.eu/snb/learning-setting/6fd4685715",
                "identityVerification": ("http://data.europa.eu/snb/supervision-verification/c598449d64"),
                "qualityAssurance": f"{PORTAL_URL}/quality-assurance/internal-review-2024",
            }
        )
        issuer["issuerCountry"] = "http://publications.europa.eu/resource/authority/country/SVK"
    return {
        "@context": context,
        "id": "urn:uuid:0b6f4a8e-2d1c-4f7a-9e35-6c2a9d8b7f10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer,
        "validFrom": "2025-06-30T00:00:00Z",
        "awardedDate": "2025-06-30T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": (
                        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
                    ),
                    "salt": "Kosher",
                }
            ],
            "activityStartDate": "2025-02-17T00:00:00Z",
            "activityEndDate": "2025-06-13T00:00:00Z",
            "creditsEarned": 5,
            "achievement": achievement,
            "result": [{"type": ["Result"], "resultDescription": RESULT_DESCRIPTION_ID, "value": "A"}],
        },
        "credentialSchema": [
            {
                "id": (
                    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                    "ob_v3p0_achievementcredential_schema.json"
                ),
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    }
