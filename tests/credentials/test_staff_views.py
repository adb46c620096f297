"""Staff credential pages: who may use them, preview, issuing one, batches and their progress JSON."""

import pytest
from django.urls import reverse

from credentials.choices import BatchStatus, CredentialStatus, PdfStatus
from credentials.models import Credential, IssuanceBatch
from credentials.services.issuance import credential_issue
from enrollment.models import Enrollment
from mcportal.core.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY = "k" * 43


def _messages(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def people(learner, instructor, registrar, other_registrar):
    return {
        "anonymous": None,
        "learner": learner,
        "instructor": instructor,
        "registrar": registrar,
        "other_registrar": other_registrar,
    }


def _request(client, page, run, enrollment):
    if page == "run":
        return client.get(reverse("credentials_staff:run", kwargs={"run_id": run.pk}))
    if page == "preview":
        kwargs = {"run_id": run.pk, "enrollment_id": enrollment.pk}
        return client.get(reverse("credentials_staff:preview", kwargs=kwargs))
    if page == "issue":
        kwargs = {"run_id": run.pk, "enrollment_id": enrollment.pk}
        return client.post(reverse("credentials_staff:issue", kwargs=kwargs))
    return client.post(
        reverse("credentials_staff:batch_create", kwargs={"run_id": run.pk}), {"idempotency_key": KEY}
    )


@pytest.mark.parametrize("page", ["run", "preview", "issue", "batch_create"])
@pytest.mark.parametrize(
    ("who", "expected_status"),
    [("anonymous", 302), ("learner", 403), ("instructor", 403), ("other_registrar", 404)],
)
def test_only_a_registrar_of_the_runs_institution_may_issue(
    completed_run, people, client_for, page, who, expected_status, django_capture_on_commit_callbacks
):
    run = completed_run(1)
    enrollment = Enrollment.objects.get(run=run)
    audits_before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = _request(client_for(people[who]), page, run, enrollment)

    assert response.status_code == expected_status
    if who == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    assert Credential.objects.count() == 0
    assert IssuanceBatch.objects.count() == 0
    assert AuditEvent.objects.count() == audits_before


def test_the_run_page_lists_who_waits_and_carries_a_fresh_batch_key(completed_run, registrar, client_for):
    run = completed_run(2)
    client = client_for(registrar)

    first = client.get(reverse("credentials_staff:run", kwargs={"run_id": run.pk}))
    second = client.get(reverse("credentials_staff:run", kwargs={"run_id": run.pk}))

    assert first.status_code == 200
    assert [e.pk for e in first.context["candidates"]] == list(
        Enrollment.objects.filter(run=run).order_by("pk").values_list("pk", flat=True)
    )
    assert first.context["credentials"] == []
    first_key = first.context["batch_form"]["idempotency_key"].value()
    assert len(first_key) == 43
    assert first_key != second.context["batch_form"]["idempotency_key"].value()
    assert f'name="idempotency_key" value="{first_key}"' in first.content.decode()
    assert "Learner Nº0 Ærøskøbing" in first.content.decode()


def test_the_preview_shows_the_unsigned_document_and_saves_nothing(completed_run, registrar, client_for):
    run = completed_run(1)
    enrollment = Enrollment.objects.get(run=run)
    audits_before = AuditEvent.objects.count()

    response = client_for(registrar).get(
        reverse("credentials_staff:preview", kwargs={"run_id": run.pk, "enrollment_id": enrollment.pk})
    )

    assert response.status_code == 200
    assert response.context["facts"].learner_name == "Learner Nº0 Ærøskøbing"
    assert response.context["facts"].credential_status is None
    assert '"OpenBadgeCredential"' in response.context["document_json"]
    assert '"proof"' not in response.context["document_json"]
    assert "Ærøskøbing" in response.context["document_json"]
    assert response.context["problems"] == []
    assert Credential.objects.count() == 0
    assert AuditEvent.objects.count() == audits_before


def test_an_enrolment_of_another_run_or_already_credentialed_has_no_preview(
    completed_run, registrar, client_for, django_capture_on_commit_callbacks
):
    run, other_run = completed_run(1), completed_run(1)
    foreign = Enrollment.objects.get(run=other_run)
    client = client_for(registrar)

    response = client.get(
        reverse("credentials_staff:preview", kwargs={"run_id": run.pk, "enrollment_id": foreign.pk})
    )

    assert response.status_code == 404
    assert Credential.objects.count() == 0


def test_issuing_one_signs_it_and_says_its_code(
    completed_run, registrar, client_for, django_capture_on_commit_callbacks
):
    run = completed_run(1)
    enrollment = Enrollment.objects.get(run=run)
    client = client_for(registrar)
    url = reverse("credentials_staff:issue", kwargs={"run_id": run.pk, "enrollment_id": enrollment.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)

    credential = Credential.objects.get()
    assert response.redirect_chain == [(reverse("credentials_staff:run", kwargs={"run_id": run.pk}), 302)]
    assert (credential.enrollment, credential.status, credential.issued_by) == (
        enrollment,
        CredentialStatus.ISSUED,
        registrar,
    )
    assert _messages(response) == [
        "Credential issued to Learner Nº0 Ærøskøbing; "
        f"its verification code is {credential.verification_code}."
    ]
    assert response.context["candidates"] == []
    assert response.context["credentials"] == [credential]
    verify_url = reverse("verification:credential", kwargs={"code": credential.verification_code})
    assert f'href="{verify_url}"' in response.content.decode()
    # Issued, the enrolment is no candidate any more: a second POST is a 404, not a duplicate.
    assert client.post(url).status_code == 404
    assert Credential.objects.count() == 1


def test_issue_all_runs_a_batch_and_its_progress_json_reports_it(
    completed_run, registrar, client_for, django_capture_on_commit_callbacks
):
    run = completed_run(2)
    client = client_for(registrar)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("credentials_staff:batch_create", kwargs={"run_id": run.pk}), {"idempotency_key": KEY}
        )

    batch = IssuanceBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("credentials_staff:batch", kwargs={"batch_id": batch.pk})
    assert Credential.objects.filter(enrollment__run=run).count() == 2
    progress = client.get(reverse("credentials_staff:batch_progress", kwargs={"batch_id": batch.pk}))
    assert progress.status_code == 200
    assert progress["Cache-Control"] == "no-store"
    assert progress.json() == {
        "status": BatchStatus.COMPLETED,
        "status_label": "Completed",
        "total": 2,
        "issued": 2,
        "skipped": 0,
        "failed": 0,
        "processed": 2,
        "percent": 100,
        "finished": True,
    }
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["failed_items"] == []
    content = page.content.decode()
    assert 'aria-valuenow="100"' in content
    assert "data-finished" in content
    assert 'data-field="issued">2<' in content
    assert "js/batch_progress.js" in content

    # Nothing failed: a retry is refused with a message and changes nothing.
    retry = client.post(reverse("credentials_staff:batch_retry", kwargs={"batch_id": batch.pk}), follow=True)
    assert _messages(retry) == ["A batch cannot go from 'completed' to 'running'."]
    batch.refresh_from_db()
    assert (batch.status, batch.issued_count) == (BatchStatus.COMPLETED, 2)


def test_a_double_submit_with_the_same_key_creates_one_batch(completed_run, registrar, client_for):
    run = completed_run(2)
    client = client_for(registrar)
    url = reverse("credentials_staff:batch_create", kwargs={"run_id": run.pk})

    first = client.post(url, {"idempotency_key": KEY})
    second = client.post(url, {"idempotency_key": KEY})

    batch = IssuanceBatch.objects.get()
    assert (
        first["Location"]
        == second["Location"]
        == reverse("credentials_staff:batch", kwargs={"batch_id": batch.pk})
    )
    assert (batch.total, batch.idempotency_key, batch.created_by) == (2, KEY, registrar)


def test_a_batch_without_a_valid_key_is_refused(completed_run, registrar, client_for):
    run = completed_run(1)

    response = client_for(registrar).post(
        reverse("credentials_staff:batch_create", kwargs={"run_id": run.pk}),
        {"idempotency_key": "short"},
        follow=True,
    )

    assert _messages(response) == ["This form has expired; reload the page and try again."]
    assert IssuanceBatch.objects.count() == 0


def test_the_batch_page_shows_current_numbers_without_javascript(completed_run, registrar, client_for):
    run = completed_run(2)
    client = client_for(registrar)
    client.post(
        reverse("credentials_staff:batch_create", kwargs={"run_id": run.pk}), {"idempotency_key": KEY}
    )
    batch = IssuanceBatch.objects.get()
    url = reverse("credentials_staff:batch", kwargs={"batch_id": batch.pk})

    response = client.get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'aria-valuenow="0"' in content
    assert 'data-field="total">2<' in content
    assert f'href="{url}" data-refresh-link' in content
    assert "data-finished" not in content


@pytest.mark.parametrize(
    ("who", "expected_status"),
    [("anonymous", 302), ("learner", 403), ("instructor", 403), ("other_registrar", 404)],
)
def test_batch_pages_belong_to_the_registrars_of_its_institution(
    completed_run, registrar, people, client_for, who, expected_status
):
    run = completed_run(1)
    client_for(registrar).post(
        reverse("credentials_staff:batch_create", kwargs={"run_id": run.pk}), {"idempotency_key": KEY}
    )
    batch = IssuanceBatch.objects.get()
    client = client_for(people[who])

    page = client.get(reverse("credentials_staff:batch", kwargs={"batch_id": batch.pk}))
    progress = client.get(reverse("credentials_staff:batch_progress", kwargs={"batch_id": batch.pk}))
    retry = client.post(reverse("credentials_staff:batch_retry", kwargs={"batch_id": batch.pk}))

    assert (page.status_code, progress.status_code, retry.status_code) == (expected_status,) * 3
    batch.refresh_from_db()
    assert batch.status == BatchStatus.QUEUED
    assert Credential.objects.count() == 0


def test_the_run_page_shows_the_pdf_status_of_issued_credentials(completed_run, registrar, client_for):
    run = completed_run(1)
    credential = credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential

    response = client_for(registrar).get(reverse("credentials_staff:run", kwargs={"run_id": run.pk}))

    assert credential.pdf_status == PdfStatus.PENDING
    assert response.context["credentials"] == [credential]
    assert "Being prepared" in response.content.decode()
