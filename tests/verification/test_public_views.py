"""The public verification page of an issued credential, its JSON twin, the download, and its cache."""

import datetime as dt
import json

import pytest
from django.test import Client

from credentials.services.issuance import credential_reissue
from credentials.services.revocation import credential_reinstate, credential_revoke, credential_suspend
from credentials.signing import proofs
from mcportal.core import clock
from verification.models import VerificationEvent

pytestmark = pytest.mark.django_db

EVERY_CHECK = ["integrity", "signature", "issuer_key", "status", "status_list", "validity_period"]


def _twin(credential) -> dict:
    return Client().get(f"/v/{credential.verification_code}.json").json()


def test_page_shows_the_verdict_and_the_elements(credential):
    response = Client().get(f"/v/{credential.verification_code}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Valid</strong>" in page
    assert "Design a differential expression analysis." in page
    assert "EQF 7" in page
    assert "Issuer key in the issuer&#x27;s DID document" in page
    assert page.count("<h1") == 1


def test_json_twin_reports_every_check(credential):
    body = _twin(credential)

    assert body["verdict"] == "valid"
    assert [check["check"] for check in body["checks"]] == EVERY_CHECK
    assert all(check["passed"] for check in body["checks"])
    assert body["current"] is True
    assert body["facts"]["eqf_level"] == 7


def test_download_serves_the_exact_signed_text(credential):
    response = Client().get(f"/v/{credential.verification_code}/credential.json")

    assert response.content.decode("utf-8") == credential.signed_document
    assert json.loads(response.content)["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_a_revoked_credential_says_when_and_why(credential, registrar):
    revoked = credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    body = _twin(credential)
    page = Client().get(f"/v/{credential.verification_code}").content.decode()

    assert body["verdict"] == "revoked"
    assert body["revocation_reason"] == "issued_in_error"
    assert {c["check"]: c["passed"] for c in body["checks"]} == {
        "integrity": True,
        "signature": True,
        "issuer_key": True,
        "status": False,
        "status_list": True,
        "validity_period": True,
    }
    assert "<strong>Revoked</strong>" in page
    assert "Issued in error" in page
    assert f"revoked on {revoked.status_changed_at:%-d %B %Y}" in page


def test_a_suspended_credential_says_so_and_is_valid_again_when_reinstated(credential, registrar):
    credential_suspend(
        credential=credential, reason="under_investigation", note="Plagiarism check.", actor=registrar
    )

    assert _twin(credential)["verdict"] == "suspended"
    assert "<strong>Suspended</strong>" in Client().get(f"/v/{credential.verification_code}").content.decode()

    credential_reinstate(credential=credential, note="Check cleared.", actor=registrar)

    assert _twin(credential)["verdict"] == "valid"


def test_a_credential_past_its_validity_period_is_expired(issue, monkeypatch):
    credential = issue(1, validity_months=12)[0]
    later = credential.valid_until + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: later)

    body = _twin(credential)
    page = Client().get(f"/v/{credential.verification_code}").content.decode()

    assert body["verdict"] == "expired"
    assert {c["check"]: c["code"] for c in body["checks"] if not c["passed"]} == {
        "validity_period": "expired"
    }
    assert "<strong>Expired</strong>" in page


def test_a_credential_before_its_validity_period_is_not_yet_valid(credential, monkeypatch):
    earlier = credential.valid_from - dt.timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: earlier)

    assert _twin(credential)["verdict"] == "not_yet_valid"


def test_a_tampered_stored_document_is_invalid(credential):
    # One character changed in the stored signed text (as a database edit would).
    tampered = credential.signed_document.replace("Design a differential", "Design a differentiaL", 1)
    type(credential).objects.filter(pk=credential.pk).update(signed_document=tampered)

    body = _twin(credential)

    assert body["verdict"] == "invalid"
    failed = {c["check"] for c in body["checks"] if not c["passed"]}
    assert failed == {"integrity", "signature"}


def test_both_versions_of_a_reissued_credential_resolve_and_link_to_each_other(credential, registrar):
    new = credential_reissue(credential=credential, actor=registrar, note="Grade corrected.")

    old_page = Client().get(f"/v/{credential.verification_code}").content.decode()
    new_page = Client().get(f"/v/{new.verification_code}").content.decode()
    old_twin, new_twin = _twin(credential), _twin(new)

    assert old_twin["verdict"] == "revoked"
    assert old_twin["revocation_reason"] == "superseded"
    assert (old_twin["current"], old_twin["replaced_by"]) == (False, new.verification_code)
    assert (new_twin["current"], new_twin["replaces"], new_twin["verdict"]) == (
        True,
        credential.verification_code,
        "valid",
    )
    assert f'href="/v/{new.verification_code}"' in old_page
    assert "Replaced by a corrected version" in old_page
    assert f'href="/v/{credential.verification_code}"' in new_page
    assert "This is the current version" in new_page


def test_a_valid_credential_is_not_canonicalised_again_while_nothing_changes(
    credential, registrar, monkeypatch
):
    calls = []
    real = proofs.canonicalize
    monkeypatch.setattr(proofs, "canonicalize", lambda *a, **k: calls.append(1) or real(*a, **k))

    for _ in range(3):
        assert _twin(credential)["verdict"] == "valid"
    first_round = len(calls)
    credential_suspend(credential=credential, reason="other", note="Checking.", actor=registrar)
    assert _twin(credential)["verdict"] == "suspended"

    assert first_round == 2  # proof options + document, once
    # A status change bumps the list version: the verdict is recomputed, the proof result reused.
    assert len(calls) == 2


def test_every_page_view_is_recorded_without_personal_data(credential):
    Client().get(f"/v/{credential.verification_code}", REMOTE_ADDR="203.0.113.9")
    Client().get(f"/v/{credential.verification_code}.json")

    events = list(VerificationEvent.objects.values("credential", "institution", "method", "verdict"))
    assert (
        events
        == [
            {
                "credential": credential.pk,
                "institution": credential.institution_id,
                "method": "page",
                "verdict": "valid",
            }
        ]
        * 2
    )
    assert not [
        field.name for field in VerificationEvent._meta.fields if "ip" in field.name or "user" in field.name
    ]


def test_an_unknown_code_is_a_friendly_404(db):
    response = Client().get("/v/NOSUCHCODE")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
