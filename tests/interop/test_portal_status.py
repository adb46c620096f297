"""The reference verifier (@digitalbazaar/vc + bitstring status list) reads the portal's suspension
and revocation bits, as served at the status list URLs, and sees a reinstatement and a reissue."""

import pytest

from credentials.services.issuance import credential_issue, credential_reissue
from credentials.services.revocation import credential_reinstate, credential_suspend
from enrollment.models import Enrollment
from tests.interop.test_portal_issued import _reference_verify_served

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(completed_run, registrar):
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


def test_a_suspended_portal_credential_fails_the_reference_status_check(
    node, credential, registrar, tmp_path
):
    credential_suspend(credential=credential, reason="under_investigation", note="Review.", actor=registrar)

    result = _reference_verify_served(node, credential, tmp_path)

    assert result["verified"] is False
    assert any("credential status set: suspension" in error for error in result["errors"]), result


def test_a_reinstated_portal_credential_verifies_again(node, credential, registrar, tmp_path):
    credential_suspend(credential=credential, reason="other", note="Review.", actor=registrar)
    credential_reinstate(credential=credential, note="Cleared.", actor=registrar)

    assert _reference_verify_served(node, credential, tmp_path) == {"verified": True, "errors": []}


def test_after_a_reissue_the_old_version_is_revoked_and_the_new_one_verifies(
    node, credential, registrar, tmp_path
):
    new = credential_reissue(credential=credential, actor=registrar, note="Grade corrected.")
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()

    old_result = _reference_verify_served(node, credential, tmp_path / "old")
    new_result = _reference_verify_served(node, new, tmp_path / "new")

    assert old_result["verified"] is False
    assert any("credential status set: revocation" in error for error in old_result["errors"]), old_result
    assert new_result == {"verified": True, "errors": []}
