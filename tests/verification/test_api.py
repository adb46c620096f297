"""POST /api/v1/credentials/verify: VC-API shaped, public, problem JSON for malformed input."""

import json

import pytest
from django.test import Client

from credentials.services.revocation import credential_suspend
from tests.verification.conftest import did_key_credential
from verification.models import VerificationEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/credentials/verify"


def _post(body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(URL, data=data, content_type="application/json", **extra)


def test_a_valid_credential_verifies(signed_document):
    response = _post({"verifiableCredential": signed_document})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "verified": True,
        "verdict": "valid",
        "checks": ["format", "contexts", "signature", "issuer_key", "status", "validity_period"],
        "warnings": [],
        "errors": [],
    }
    assert VerificationEvent.objects.get().method == "api"


def test_a_suspended_credential_reports_the_status_error(credential, signed_document, registrar):
    credential_suspend(credential=credential, reason="other", note="Checking.", actor=registrar)

    body = _post({"verifiableCredential": signed_document}).json()

    assert (body["verified"], body["verdict"]) == (False, "suspended")
    assert body["errors"] == [
        {
            "type": "suspended",
            "title": "Revocation and suspension",
            "detail": "The issuer's status list says: suspended.",
            "check": "status",
        }
    ]


def test_a_did_key_credential_verifies_with_a_warning(db):
    body = _post({"verifiableCredential": did_key_credential()}).json()

    assert (body["verified"], body["errors"]) == (True, [])
    assert body["warnings"] == [
        {"type": "warning", "title": "The credential carries no status entry: its issuer cannot revoke it."}
    ]


def test_a_tampered_credential_is_not_verified(signed_document):
    signed_document["name"] = signed_document["name"] + "!"

    body = _post({"verifiableCredential": signed_document}).json()

    assert (body["verified"], body["verdict"]) == (False, "invalid")
    assert [error["type"] for error in body["errors"]] == ["signature_invalid"]


def test_json_that_is_not_a_credential_gets_a_verdict(db):
    body = _post({"verifiableCredential": {"hello": "world"}}).json()

    assert (body["verdict"], [e["type"] for e in body["errors"]]) == ("invalid", ["not_a_credential"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param('{"verifiableCredential": ', None, id="malformed_json"),
        pytest.param({"credential": {}}, "verifiableCredential", id="missing_field"),
    ],
)
def test_malformed_requests_are_problem_json(db, body, field):
    response = _post(body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    if field:
        assert [error["field"] for error in problem["errors"]] == [field]
    assert VerificationEvent.objects.count() == 0


def test_an_oversized_credential_is_refused_with_413(db, settings):
    settings.MCPORTAL_VERIFY_UPLOAD_MAX_BYTES = 512

    response = _post({"verifiableCredential": {"padding": "x" * 600}})

    assert response.status_code == 413
    assert response.json()["title"] == "The credential is too large"


def test_no_login_and_no_csrf_token_are_needed(signed_document):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        URL, data=json.dumps({"verifiableCredential": signed_document}), content_type="application/json"
    )

    assert response.status_code == 200


def test_the_openapi_schema_documents_the_operation(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/credentials/verify"]["post"]
    assert operation["operationId"] == "credentials_verify"
    assert set(operation["responses"]) == {"200", "400", "413", "429"}
