"""Revoke, suspend and reinstate: status, status-list bit, audit and the holder's e-mail together."""

from unittest import mock

import pytest
from django.core import mail

from credentials.bitstrings import bit_get
from credentials.choices import CredentialStatus
from credentials.models import StatusListEntry
from credentials.selectors import credential_status_changes_since
from credentials.services.revocation import credential_reinstate, credential_revoke, credential_suspend
from enrollment.models import Enrollment
from mcportal.core import clock
from mcportal.core.exceptions import InvalidTransition, ValidationFailed
from mcportal.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(completed_run, registrar):
    from credentials.services.issuance import credential_issue

    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


def _bit(credential, purpose: str) -> bool:
    entry = StatusListEntry.objects.select_related("status_list").get(
        credential=credential, status_list__purpose=purpose
    )
    return bit_get(bytes(entry.status_list.bits), entry.index)


def _actions(credential) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="credentials.credential", target_id=str(credential.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_revoke_sets_status_bit_and_writes_audit_event_and_mails_the_holder(
    credential, registrar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revoked = credential_revoke(
            credential=credential, reason="academic_misconduct", note="Panel 12.", actor=registrar
        )

    assert (revoked.status, revoked.revocation_reason) == (CredentialStatus.REVOKED, "academic_misconduct")
    assert _bit(credential, "revocation") is True
    assert _bit(credential, "suspension") is False
    event = AuditEvent.objects.get(action="credential.revoked")
    assert (event.reason, event.data, event.actor) == (
        "Panel 12.",
        {"reason": "academic_misconduct"},
        registrar,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [credential.enrollment.learner.email]
    assert "has been revoked" in message.subject
    assert "Academic misconduct" in message.body
    assert f"/v/{credential.verification_code}" in message.body


def test_revoking_twice_is_refused_and_changes_nothing(credential, registrar):
    credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    with pytest.raises(InvalidTransition):
        credential_revoke(credential=credential, reason="other", actor=registrar)

    credential.refresh_from_db()
    assert credential.revocation_reason == "issued_in_error"
    assert _actions(credential) == ["credential.issued", "credential.revoked"]


def test_an_unknown_revocation_reason_is_refused_and_nothing_changes(credential, registrar):
    with pytest.raises(ValidationFailed):
        credential_revoke(credential=credential, reason="because", actor=registrar)

    credential.refresh_from_db()
    assert credential.status == CredentialStatus.ISSUED
    assert _bit(credential, "revocation") is False


def test_suspend_and_reinstate_flip_the_suspension_bit_with_audit_and_mail(
    credential, registrar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        suspended = credential_suspend(
            credential=credential, reason="under_investigation", note="Result under review.", actor=registrar
        )
    assert suspended.status == CredentialStatus.SUSPENDED
    assert _bit(credential, "suspension") is True

    with django_capture_on_commit_callbacks(execute=True):
        reinstated = credential_reinstate(credential=credential, note="Review closed.", actor=registrar)

    assert reinstated.status == CredentialStatus.ISSUED
    assert _bit(credential, "suspension") is False
    assert _bit(credential, "revocation") is False
    assert _actions(credential) == ["credential.issued", "credential.suspended", "credential.reinstated"]
    assert AuditEvent.objects.get(action="credential.suspended").data == {"reason": "under_investigation"}
    assert [m.subject for m in mail.outbox] == [
        f'Your credential "{credential.title}" has been suspended',
        f'Your credential "{credential.title}" is valid again',
    ]
    assert "Result under review." in mail.outbox[0].body


@pytest.mark.parametrize("note", ["", "   "])
def test_a_suspension_needs_a_reason_and_saves_nothing_without_one(credential, registrar, note):
    with pytest.raises(ValidationFailed) as raised:
        credential_suspend(credential=credential, reason="other", note=note, actor=registrar)

    assert raised.value.problems[0].field == "note"
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.ISSUED
    assert _bit(credential, "suspension") is False
    assert _actions(credential) == ["credential.issued"]


def test_only_a_suspended_credential_can_be_reinstated(credential, registrar):
    with pytest.raises(InvalidTransition):
        credential_reinstate(credential=credential, note="Why not.", actor=registrar)


def test_a_suspended_credential_can_be_revoked_for_good(credential, registrar):
    credential_suspend(credential=credential, reason="other", note="Checking.", actor=registrar)

    revoked = credential_revoke(credential=credential, reason="academic_misconduct", actor=registrar)

    assert revoked.status == CredentialStatus.REVOKED
    assert _bit(credential, "revocation") is True
    with pytest.raises(InvalidTransition):
        credential_reinstate(credential=credential, note="Too late.", actor=registrar)


def test_revoking_a_suspended_credential_clears_its_suspension_bit_in_the_same_change(
    credential, registrar
):
    # given a suspended credential
    credential_suspend(credential=credential, reason="other", note="Checking.", actor=registrar)
    assert _bit(credential, "suspension") is True

    # when it is revoked
    credential_revoke(credential=credential, reason="academic_misconduct", note="Panel 12.", actor=registrar)

    # then the lists say revoked and no longer suspended, and the audit event says the bit was lifted
    assert (_bit(credential, "revocation"), _bit(credential, "suspension")) == (True, False)
    event = AuditEvent.objects.get(action="credential.revoked")
    assert event.data == {"reason": "academic_misconduct", "suspension_lifted": True}
    assert _actions(credential) == ["credential.issued", "credential.suspended", "credential.revoked"]


def test_a_failure_while_revoking_a_suspended_credential_leaves_it_suspended_with_its_bits(
    credential, registrar
):
    from credentials.services import revocation

    credential_suspend(credential=credential, reason="other", note="Checking.", actor=registrar)
    real_bit_set = revocation._status_bit_set

    def failing_on_suspension(credential, purpose, value):
        if purpose == "suspension":
            raise RuntimeError("the database went away")
        real_bit_set(credential, purpose, value)

    with mock.patch.object(revocation, "_status_bit_set", failing_on_suspension), pytest.raises(RuntimeError):
        credential_revoke(credential=credential, reason="academic_misconduct", actor=registrar)

    credential.refresh_from_db()
    assert (credential.status, credential.revocation_reason) == (CredentialStatus.SUSPENDED, "")
    assert (_bit(credential, "revocation"), _bit(credential, "suspension")) == (False, True)
    assert not AuditEvent.objects.filter(action="credential.revoked").exists()


def test_revoking_an_issued_credential_leaves_its_suspension_bit_alone(credential, registrar):
    suspension_version = StatusListEntry.objects.get(
        credential=credential, status_list__purpose="suspension"
    ).status_list.version

    credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    entry = StatusListEntry.objects.get(credential=credential, status_list__purpose="suspension")
    assert entry.status_list.version == suspension_version  # not even re-written
    assert AuditEvent.objects.get(action="credential.revoked").data == {"reason": "issued_in_error"}


def test_status_changes_are_counted_by_reason(completed_run, registrar, institution, other_registrar):
    from credentials.services.issuance import credential_issue, credential_reissue

    since = clock.now()
    run = completed_run(4)
    first, second, third, fourth = (
        credential_issue(enrollment=enrollment, actor=registrar).credential
        for enrollment in Enrollment.objects.filter(run=run).order_by("pk")
    )
    credential_revoke(credential=first, reason="academic_misconduct", actor=registrar)
    credential_suspend(credential=second, reason="under_investigation", note="Review.", actor=registrar)
    credential_reinstate(credential=second, note="Done.", actor=registrar)
    credential_suspend(credential=third, reason="payment_dispute", note="Chargeback.", actor=registrar)
    credential_reissue(credential=fourth, actor=registrar, note="Grade corrected.")

    changes = credential_status_changes_since(institution=institution, since=since)

    assert changes == {
        "revoked": {"academic_misconduct": 1, "superseded": 1},
        "suspended": {"under_investigation": 1, "payment_dispute": 1},
        "reinstated": {"total": 1},
        "reissued": {"correction": 1},
    }
    other = other_registrar.memberships.get().institution
    assert credential_status_changes_since(institution=other, since=since) == {
        "revoked": {},
        "suspended": {},
        "reinstated": {},
        "reissued": {},
    }
    assert credential_status_changes_since(institution=institution, since=clock.now())["revoked"] == {}
