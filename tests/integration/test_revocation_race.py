"""Two registrars revoking one credential at once, on PostgreSQL with two real connections.

Each call runs in its own thread (own connection and transaction). A pause after the audit row is
written, while the first transaction still holds the credential's row lock, makes them overlap.
"""

from unittest import mock

import pytest
from django.db import connection

from credentials.bitstrings import bit_get
from credentials.choices import CredentialStatus
from credentials.models import Credential, StatusList, StatusListEntry
from credentials.services import revocation
from credentials.services.issuance import credential_issue
from enrollment.models import Enrollment
from mcportal.core.exceptions import InvalidTransition
from mcportal.core.models import AuditEvent
from tests.fixtures.concurrency import audit_record_then_pause, run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def credential(completed_run, registrar):
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


def test_two_concurrent_revocations_revoke_once_with_one_audit_row_and_one_bit(credential, registrar):
    version_before = StatusList.objects.get(purpose="revocation").version

    with mock.patch.object(revocation, "audit_record", audit_record_then_pause):
        outcomes = run_concurrently(
            lambda: revocation.credential_revoke(
                credential=credential, reason="issued_in_error", actor=registrar
            ),
            lambda: revocation.credential_revoke(
                credential=credential, reason="academic_misconduct", actor=registrar
            ),
        )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Credential", "InvalidTransition"]
    winner = next(outcome for outcome in outcomes if isinstance(outcome, Credential))
    assert isinstance(next(o for o in outcomes if isinstance(o, InvalidTransition)), InvalidTransition)
    stored = Credential.objects.get(pk=credential.pk)
    assert (stored.status, stored.revocation_reason) == (CredentialStatus.REVOKED, winner.revocation_reason)
    assert AuditEvent.objects.filter(action="credential.revoked").count() == 1
    entry = StatusListEntry.objects.select_related("status_list").get(
        credential=credential, status_list__purpose="revocation"
    )
    assert bit_get(bytes(entry.status_list.bits), entry.index) is True
    assert entry.status_list.version == version_before + 1


def test_a_suspension_racing_a_revocation_never_leaves_a_revoked_credential_suspended_in_the_records(
    credential, registrar
):
    with mock.patch.object(revocation, "audit_record", audit_record_then_pause):
        outcomes = run_concurrently(
            lambda: revocation.credential_revoke(
                credential=credential, reason="issued_in_error", actor=registrar
            ),
            lambda: revocation.credential_suspend(
                credential=credential, reason="other", note="Checking.", actor=registrar
            ),
        )

    stored = Credential.objects.get(pk=credential.pk)
    assert stored.status == CredentialStatus.REVOKED  # either order ends revoked: revocation is final
    assert all(isinstance(outcome, Credential | InvalidTransition) for outcome in outcomes), outcomes
    actions = sorted(
        AuditEvent.objects.filter(action__startswith="credential.").values_list("action", flat=True)
    )
    assert "credential.revoked" in actions
    # Whichever went first, the published lists end "revoked, not suspended".
    bits = {
        entry.status_list.purpose: bit_get(bytes(entry.status_list.bits), entry.index)
        for entry in StatusListEntry.objects.select_related("status_list").filter(credential=credential)
    }
    assert bits == {"revocation": True, "suspension": False}


def test_without_the_row_lock_both_revocations_would_go_through(credential, registrar):
    """The control: the same race with the lock taken away shows what the lock prevents."""
    unlocked = Credential.objects.select_related("institution", "enrollment__learner")

    with (
        mock.patch.object(revocation, "audit_record", audit_record_then_pause),
        mock.patch.object(revocation, "credential_qs_for_update", return_value=unlocked),
    ):
        outcomes = run_concurrently(
            lambda: revocation.credential_revoke(
                credential=credential, reason="issued_in_error", actor=registrar
            ),
            lambda: revocation.credential_revoke(
                credential=credential, reason="academic_misconduct", actor=registrar
            ),
        )

    assert all(isinstance(outcome, Credential) for outcome in outcomes), outcomes
    assert AuditEvent.objects.filter(action="credential.revoked").count() == 2  # a double revocation
