"""The public verification page of an issued credential, its JSON twin and the download."""
import json

import pytest
from django.test import Client

from credentials.services.issuance import credential_issue
from credentials.services.revocation import credential_revoke
from enrollment.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(completed_run, registrar):
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


def test_page_shows_the_verdict_and_the_elements(credential):
    response = Client().get(f"/v/{credential.verification_code}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Valid</strong>" in page
    assert "Design a differential expression analysis." in page
    assert "EQF 7" in page


def test_json_twin_reports_every_check(credential):
    body = Client().get(f"/v/{credential.verification_code}.json").json()

    assert body["verdict"] == "valid"
    assert [check["check"] for check in body["checks"]] == ["signature", "status", "validity_period"]
    assert all(check["passed"] for check in body["checks"])


def test_download_serves_the_exact_signed_text(credential):
    response = Client().get(f"/v/{credential.verification_code}/credential.json")

    assert response.content.decode("utf-8") == credential.signed_document
    assert json.loads(response.content)["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_a_revoked_credential_says_so(credential, registrar):
    credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    body = Client().get(f"/v/{credential.verification_code}.json").json()
    page = Client().get(f"/v/{credential.verification_code}").content.decode()

    assert body["verdict"] == "revoked"
    assert "<strong>Revoked</strong>" in page
    assert "Issued in error" in page


def test_an_unknown_code_is_a_friendly_404(db):
    response = Client().get("/v/NOSUCHCODE")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
