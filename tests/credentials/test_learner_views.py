"""The learner's credential pages: the list and downloads of the exact signed JSON and the PDF, own only."""

import pytest
from django.urls import reverse

from credentials.choices import PdfStatus
from credentials.services.issuance import credential_issue
from enrollment.models import Enrollment

pytestmark = pytest.mark.django_db


def _issue(run, registrar):
    enrollment = Enrollment.objects.select_related("learner").get(run=run)
    return enrollment.learner, credential_issue(enrollment=enrollment, actor=registrar).credential


def _url(name, credential):
    return reverse(f"credentials_learner:{name}", kwargs={"public_id": credential.public_id})


def test_the_list_shows_my_credentials_only(completed_run, registrar, learner, client_for):
    holder, credential = _issue(completed_run(1), registrar)

    mine = client_for(holder).get(reverse("credentials_learner:list"))
    someone_else = client_for(learner).get(reverse("credentials_learner:list"))

    assert mine.status_code == 200
    assert mine.context["credentials"] == [credential]
    content = mine.content.decode()
    assert credential.title in content
    assert "Masaryk University" in content
    assert "Valid" in content
    assert reverse("verification:credential", kwargs={"code": credential.verification_code}) in content
    assert _url("download_json", credential) in content
    # Rendered after commit, which has not happened here: no PDF link yet.
    assert _url("download_pdf", credential) not in content
    assert "The PDF is being prepared." in content
    assert someone_else.context["credentials"] == []
    assert credential.title not in someone_else.content.decode()


def test_the_list_needs_a_login(client_for):
    response = client_for(None).get(reverse("credentials_learner:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_json_download_is_the_exact_signed_text(completed_run, registrar, client_for):
    holder, credential = _issue(completed_run(1), registrar)

    response = client_for(holder).get(_url("download_json", credential))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="credential-{credential.verification_code}.json"'
    )
    assert response.content == credential.signed_document.encode("utf-8")


def test_the_pdf_download_once_it_is_ready(
    completed_run, registrar, client_for, django_capture_on_commit_callbacks
):
    run = completed_run(1)
    with django_capture_on_commit_callbacks(execute=True):
        holder, credential = _issue(run, registrar)
    credential.refresh_from_db()

    response = client_for(holder).get(_url("download_pdf", credential))

    assert credential.pdf_status == PdfStatus.READY
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="credential-{credential.verification_code}.pdf"'
    )
    body = b"".join(response.streaming_content)
    with credential.pdf.open("rb") as stored:
        assert body == stored.read()
    assert body.startswith(b"%PDF-")
    listing = client_for(holder).get(reverse("credentials_learner:list"))
    assert _url("download_pdf", credential) in listing.content.decode()


def test_a_pdf_being_prepared_is_not_found_yet(completed_run, registrar, client_for):
    holder, credential = _issue(completed_run(1), registrar)

    response = client_for(holder).get(_url("download_pdf", credential))

    assert credential.pdf_status == PdfStatus.PENDING
    assert response.status_code == 404


@pytest.mark.parametrize("download", ["download_json", "download_pdf"])
@pytest.mark.parametrize("who", ["another_learner", "registrar"])
def test_nobody_downloads_another_learners_credential(
    completed_run, registrar, learner, client_for, django_capture_on_commit_callbacks, download, who
):
    run = completed_run(1)
    with django_capture_on_commit_callbacks(execute=True):
        _holder, credential = _issue(run, registrar)
    user = learner if who == "another_learner" else registrar

    response = client_for(user).get(_url(download, credential))

    assert response.status_code == 404


@pytest.mark.parametrize("download", ["download_json", "download_pdf"])
def test_downloads_need_a_login(completed_run, registrar, client_for, download):
    _holder, credential = _issue(completed_run(1), registrar)

    response = client_for(None).get(_url(download, credential))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
