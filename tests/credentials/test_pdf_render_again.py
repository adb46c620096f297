"""A failed PDF: staff render it again from the credential's page; the learner is told the truth."""

import pytest
from django.test import Client
from django.urls import reverse

from credentials.choices import PdfStatus
from credentials.models import Credential
from credentials.services.issuance import credential_issue
from credentials.services.pdf import credential_pdf_mark_failed, credential_pdf_render_again
from credentials.services.revocation import credential_revoke
from enrollment.models import Enrollment
from mcportal.core.exceptions import Conflict
from mcportal.core.models import AuditEvent

pytestmark = pytest.mark.django_db

RENDER_AGAIN = "Render the PDF again"


@pytest.fixture
def credential(completed_run, registrar):
    """A credential whose PDF task has not run (on-commit work is not executed here): pending."""
    run = completed_run(1)
    return credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential


@pytest.fixture
def failed(credential):
    credential_pdf_mark_failed(credential_id=credential.pk, error="WeasyPrint: font missing\nmore detail")
    credential.refresh_from_db()
    return credential


def _detail_url(credential) -> str:
    return f"/staff/credentials/credentials/{credential.public_id}/"


def _render_url(credential) -> str:
    return f"{_detail_url(credential)}pdf/render/"


def test_render_again_puts_the_pdf_back_in_the_queue_and_audits_it(
    failed, registrar, django_capture_on_commit_callbacks
):
    # when a registrar asks for the failed PDF again
    with django_capture_on_commit_callbacks() as callbacks:
        credential_pdf_render_again(credential=failed, actor=registrar)

    # then it is pending again, the old error is gone, the request is audited and a task waits for commit
    stored = Credential.objects.get(pk=failed.pk)
    assert (stored.pdf_status, stored.pdf_error) == (PdfStatus.PENDING, "")
    event = AuditEvent.objects.get(action="credential.pdf_render_requested")
    assert (event.actor, event.institution, event.data) == (
        registrar,
        failed.institution,
        {"previous_error": "WeasyPrint: font missing"},
    )
    assert len(callbacks) == 1


def test_the_queued_task_renders_and_seals_the_pdf(failed, registrar, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential_pdf_render_again(credential=failed, actor=registrar)

    stored = Credential.objects.get(pk=failed.pk)
    assert stored.pdf_status == PdfStatus.READY
    assert stored.pdf.read().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("_case", "make_state", "message"),
    [
        ("pending", lambda credential, registrar: None, "being prepared"),
        (
            "revoked",
            lambda credential, registrar: (
                credential_pdf_mark_failed(credential_id=credential.pk, error="x"),
                credential_revoke(credential=credential, reason="issued_in_error", actor=registrar),
            ),
            "revoked",
        ),
    ],
)
def test_only_a_failed_pdf_of_a_credential_in_force_is_rendered_again(
    credential, registrar, django_capture_on_commit_callbacks, _case, make_state, message
):
    make_state(credential, registrar)
    before = Credential.objects.values("pdf_status", "pdf_error").get(pk=credential.pk)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict, match=message):
        credential_pdf_render_again(credential=credential, actor=registrar)

    assert Credential.objects.values("pdf_status", "pdf_error").get(pk=credential.pk) == before
    assert not AuditEvent.objects.filter(action="credential.pdf_render_requested").exists()
    assert callbacks == []


def test_a_ready_pdf_is_not_rendered_again(credential, registrar, django_capture_on_commit_callbacks):
    Credential.objects.filter(pk=credential.pk).update(pdf_status=PdfStatus.READY)

    with pytest.raises(Conflict, match="ready"):
        credential_pdf_render_again(credential=credential, actor=registrar)


def test_the_staff_page_offers_the_action_only_for_a_failed_pdf(credential, registrar, client_for):
    client = client_for(registrar)
    assert RENDER_AGAIN not in client.get(_detail_url(credential)).content.decode()

    credential_pdf_mark_failed(credential_id=credential.pk, error="Timestamp authority down")
    page = client.get(_detail_url(credential)).content.decode()

    assert RENDER_AGAIN in page
    assert f'action="{_render_url(credential)}"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Timestamp authority down" in page


def test_the_registrar_renders_it_again_from_the_page(
    failed, registrar, client_for, django_capture_on_commit_callbacks
):
    client = client_for(registrar)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_render_url(failed))

    assert response.status_code == 302
    assert response["Location"] == _detail_url(failed)
    assert Credential.objects.get(pk=failed.pk).pdf_status == PdfStatus.PENDING
    assert len(callbacks) == 1
    page = client.get(_detail_url(failed)).content.decode()
    assert "The PDF is queued for rendering" in page


def test_a_refusal_comes_back_as_a_message_not_an_error_page(credential, registrar, client_for):
    response = client_for(registrar).post(_render_url(credential), follow=True)

    assert response.status_code == 200
    assert "Only a failed PDF is rendered again" in response.content.decode()
    assert not AuditEvent.objects.filter(action="credential.pdf_render_requested").exists()


@pytest.mark.parametrize(
    ("user_fixture", "status"),
    [("instructor", 403), ("other_registrar", 404), ("learner", 403), (None, 302)],
)
def test_others_cannot_render_it_again_and_nothing_changes(
    failed, client_for, request, user_fixture, status, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(user_fixture) if user_fixture else None

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(user).post(_render_url(failed))

    assert response.status_code == status
    assert Credential.objects.get(pk=failed.pk).pdf_status == PdfStatus.FAILED
    assert not AuditEvent.objects.filter(action="credential.pdf_render_requested").exists()
    assert callbacks == []


def test_render_again_needs_the_csrf_token_and_a_post(failed, registrar):
    client = Client(enforce_csrf_checks=True)
    client.force_login(registrar)

    assert client.post(_render_url(failed)).status_code == 403
    assert client.get(_render_url(failed)).status_code == 405
    assert Credential.objects.get(pk=failed.pk).pdf_status == PdfStatus.FAILED


def test_the_learner_is_told_a_failed_pdf_is_not_available_yet(failed, client_for):
    page = client_for(failed.enrollment.learner).get(reverse("credentials_learner:list")).content.decode()

    assert "The PDF is not available yet" in page
    assert "staff can see this and prepare it again" in page
    assert "The PDF is being prepared." not in page


def test_a_revoked_credential_with_a_failed_pdf_promises_no_pdf(failed, registrar, client_for):
    credential_revoke(credential=failed, reason="issued_in_error", actor=registrar)

    page = client_for(failed.enrollment.learner).get(reverse("credentials_learner:list")).content.decode()

    assert "No PDF was made for this credential." in page
    assert "prepare it again" not in page


def test_the_staff_page_offers_no_render_for_a_revoked_credential(failed, registrar, client_for):
    credential_revoke(credential=failed, reason="issued_in_error", actor=registrar)

    page = client_for(registrar).get(_detail_url(failed)).content.decode()

    assert RENDER_AGAIN not in page
    assert "PDF is not rendered again" in page
