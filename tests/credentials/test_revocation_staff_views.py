"""Staff pages of one credential: detail with audit trail, and revoke / suspend / reinstate / reissue."""

import pytest
from django.test import Client

from credentials.choices import CredentialStatus
from credentials.models import Credential
from credentials.services.issuance import credential_issue
from enrollment.models import Enrollment
from mcportal.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(completed_run, registrar):
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


def _url(credential, action=None) -> str:
    base = f"/staff/credentials/credentials/{credential.public_id}/"
    return f"{base}{action}/" if action else base


def test_the_registrar_sees_the_credential_with_its_actions_and_audit_trail(
    credential, registrar, client_for
):
    response = client_for(registrar).get(_url(credential))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<h1") == 1
    for action in ("suspend", "reissue", "revoke"):
        assert _url(credential, action) in page
    assert _url(credential, "reinstate") not in page
    assert "credential.issued" in page


def test_the_run_page_links_to_the_credential(credential, registrar, client_for):
    page = (
        client_for(registrar).get(f"/staff/credentials/runs/{credential.enrollment.run_id}/").content.decode()
    )

    assert _url(credential) in page
    assert "/staff/credentials/name-changes/" in page


@pytest.mark.parametrize(
    ("user_fixture", "status"),
    [("instructor", 403), ("other_registrar", 404), ("learner", 403), (None, 302)],
)
def test_others_cannot_see_or_act_and_nothing_changes(credential, client_for, request, user_fixture, status):
    user = request.getfixturevalue(user_fixture) if user_fixture else None
    client = client_for(user)

    assert client.get(_url(credential)).status_code == status
    response = client.post(
        _url(credential, "revoke"), {"reason": "issued_in_error", "note": "Mistake.", "confirm": "on"}
    )

    assert response.status_code == status
    assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.ISSUED
    assert not AuditEvent.objects.filter(action="credential.revoked").exists()


def test_revoking_needs_a_reason_a_note_and_a_confirmation(credential, registrar, client_for):
    client = client_for(registrar)
    assert "Revocation is permanent" in client.get(_url(credential, "revoke")).content.decode()

    refused = client.post(_url(credential, "revoke"), {"reason": "issued_in_error", "note": ""})

    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"note", "confirm"}
    assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.ISSUED

    done = client.post(
        _url(credential, "revoke"), {"reason": "issued_in_error", "note": "Wrong learner.", "confirm": "on"}
    )

    assert done.status_code == 302
    credential.refresh_from_db()
    assert (credential.status, credential.revocation_reason) == (CredentialStatus.REVOKED, "issued_in_error")
    assert AuditEvent.objects.get(action="credential.revoked").reason == "Wrong learner."


def test_superseded_cannot_be_chosen_by_hand(credential, registrar, client_for):
    response = client_for(registrar).post(
        _url(credential, "revoke"), {"reason": "superseded", "note": "No.", "confirm": "on"}
    )

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_suspend_then_reinstate_through_the_pages(credential, registrar, client_for):
    client = client_for(registrar)

    client.post(
        _url(credential, "suspend"), {"reason": "under_investigation", "note": "Review.", "confirm": "on"}
    )
    assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.SUSPENDED
    assert _url(credential, "reinstate") in client.get(_url(credential)).content.decode()

    client.post(_url(credential, "reinstate"), {"note": "Cleared.", "confirm": "on"})
    assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.ISSUED


def test_an_illegal_transition_is_a_form_error_not_a_500(credential, registrar, client_for):
    response = client_for(registrar).post(
        _url(credential, "reinstate"), {"note": "Why not.", "confirm": "on"}
    )

    assert response.status_code == 409
    assert "cannot go from" in response.content.decode()


def test_reissue_through_the_page_redirects_to_the_new_version(credential, registrar, client_for):
    response = client_for(registrar).post(
        _url(credential, "reissue"), {"note": "Grade corrected.", "confirm": "on"}
    )

    new = Credential.objects.get(replaces=credential)
    assert response.status_code == 302
    assert response["Location"] == _url(new)
    page = client_for(registrar).get(_url(credential)).content.decode()
    assert new.verification_code in page
    assert "A revoked credential is final" in page


def test_csrf_is_enforced(credential, registrar):
    client = Client(enforce_csrf_checks=True)
    client.force_login(registrar)

    response = client.post(_url(credential, "revoke"), {"reason": "other", "note": "x", "confirm": "on"})

    assert response.status_code == 403
    assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.ISSUED


def test_an_unknown_action_is_404(credential, registrar, client_for):
    assert client_for(registrar).get(_url(credential, "delete")).status_code == 404
