"""Corrections never edit a signed document: reissue links a new version and revokes the old one;
name changes asked by the learner go through staff approval and the same reissue."""

import json

import pytest
from django.core import mail

from credentials.bitstrings import bit_get
from credentials.choices import CredentialStatus, NameChangeStatus
from credentials.models import Credential, NameChangeRequest, StatusListEntry
from credentials.services.correction import (
    name_change_request_approve,
    name_change_request_create,
    name_change_request_reject,
)
from credentials.services.issuance import CredentialNotReissuable, credential_issue, credential_reissue
from credentials.services.revocation import credential_revoke, credential_suspend
from enrollment.models import Enrollment
from mcportal.core.exceptions import Conflict, InvalidTransition, ValidationFailed
from mcportal.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(completed_run, registrar):
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


def _holder_name(credential) -> str:
    subject = json.loads(credential.signed_document)["credentialSubject"]
    return next(i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name")


def test_reissue_links_a_new_version_and_revokes_the_old_as_superseded(
    credential, registrar, django_capture_on_commit_callbacks
):
    original_text = credential.signed_document

    with django_capture_on_commit_callbacks(execute=True):
        new = credential_reissue(credential=credential, actor=registrar, note="Final grade corrected.")

    credential.refresh_from_db()
    assert credential.signed_document == original_text  # never edited
    assert (credential.status, credential.revocation_reason) == (CredentialStatus.REVOKED, "superseded")
    assert new.replaces == credential
    assert credential.replaced_by == new
    assert new.status == CredentialStatus.ISSUED
    assert new.verification_code != credential.verification_code
    assert new.learner_name == credential.learner_name
    revocation = StatusListEntry.objects.select_related("status_list").get(
        credential=credential, status_list__purpose="revocation"
    )
    assert bit_get(bytes(revocation.status_list.bits), revocation.index) is True
    reissued = AuditEvent.objects.get(action="credential.reissued")
    assert reissued.data == {
        "cause": "correction",
        "replaced_by": new.verification_code,
        "name_changed": False,
    }
    assert AuditEvent.objects.get(action="credential.revoked").data == {
        "reason": "superseded",
        "cause": "correction",
    }
    assert [m.subject for m in mail.outbox] == [
        f'A corrected version of your credential "{credential.title}"'
    ]
    assert new.verification_code in mail.outbox[0].body
    assert new.pdf_status == "pending"
    new.refresh_from_db()
    assert new.pdf_status == "ready"  # the PDF task ran after commit


def test_a_suspended_credential_can_be_corrected(credential, registrar):
    credential_suspend(credential=credential, reason="disputed_result", note="Grade appeal.", actor=registrar)

    new = credential_reissue(credential=credential, actor=registrar, note="Appeal upheld; grade corrected.")

    assert new.status == CredentialStatus.ISSUED
    assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.REVOKED


def test_a_revoked_credential_cannot_be_reissued_and_nothing_is_created(credential, registrar):
    credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    with pytest.raises(CredentialNotReissuable):
        credential_reissue(credential=credential, actor=registrar, note="Try anyway.")

    assert Credential.objects.count() == 1


def test_a_reissue_needs_a_note(credential, registrar):
    with pytest.raises(ValidationFailed):
        credential_reissue(credential=credential, actor=registrar, note=" ")

    assert Credential.objects.get().status == CredentialStatus.ISSUED


def test_a_learner_name_change_is_approved_into_a_reissue_with_the_new_name(
    credential, registrar, django_capture_on_commit_callbacks
):
    learner = credential.enrollment.learner
    request = name_change_request_create(
        credential=credential, learner=learner, requested_name="  Ada   Byron ", explanation="Marriage."
    )
    assert (request.requested_name, request.current_name) == ("Ada Byron", credential.learner_name)

    with django_capture_on_commit_callbacks(execute=True):
        approved = name_change_request_approve(request=request, actor=registrar)

    new = approved.new_credential
    assert approved.status == NameChangeStatus.APPROVED
    assert (new.learner_name, _holder_name(new)) == ("Ada Byron", "Ada Byron")
    assert new.facts["learner_name"] == "Ada Byron"
    assert new.replaces_id == credential.pk
    assert Credential.objects.get(pk=credential.pk).revocation_reason == "superseded"
    assert AuditEvent.objects.get(action="credential.reissued").data["cause"] == "name_change"
    assert [e for e in AuditEvent.objects.values_list("action", flat=True) if "name_change" in e] == [
        "credential.name_change_approved",
        "credential.name_change_requested",
    ]


def test_a_rejected_name_change_says_why_and_changes_nothing(
    credential, registrar, django_capture_on_commit_callbacks
):
    request = name_change_request_create(
        credential=credential,
        learner=credential.enrollment.learner,
        requested_name="Someone Else",
        explanation="I like it.",
    )

    with django_capture_on_commit_callbacks(execute=True):
        rejected = name_change_request_reject(
            request=request, actor=registrar, reason="No legal document attached."
        )

    assert rejected.status == NameChangeStatus.REJECTED
    assert Credential.objects.count() == 1
    assert Credential.objects.get().status == CredentialStatus.ISSUED
    assert "No legal document attached." in mail.outbox[0].body
    with pytest.raises(InvalidTransition):
        name_change_request_approve(request=rejected, actor=registrar)


def test_only_the_holder_may_ask_and_only_one_request_at_a_time(credential, learner):
    with pytest.raises(ValidationFailed):
        name_change_request_create(
            credential=credential, learner=learner, requested_name="X Y", explanation="Mine."
        )

    holder = credential.enrollment.learner
    name_change_request_create(
        credential=credential, learner=holder, requested_name="Ada Byron", explanation="Marriage."
    )
    with pytest.raises(Conflict):
        name_change_request_create(
            credential=credential, learner=holder, requested_name="Ada King", explanation="Again."
        )
    assert NameChangeRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "required"),
        ("Learner Nº0 Ærøskøbing", "unchanged"),
        ("Bad\u0007Name", "unprintable"),
        ("x" * 201, "max_length"),
    ],
)
def test_a_requested_name_is_checked(credential, name, code):
    with pytest.raises(ValidationFailed) as raised:
        name_change_request_create(
            credential=credential,
            learner=credential.enrollment.learner,
            requested_name=name,
            explanation="Why.",
        )

    assert raised.value.problems[0].code == code
    assert NameChangeRequest.objects.count() == 0
