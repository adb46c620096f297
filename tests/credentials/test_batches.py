"""Batch issuance (tasks run in-process here; tests/integration runs a real worker)."""

import gc
import hashlib
import json

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from credentials.choices import BatchItemStatus, BatchStatus, PdfStatus
from credentials.did_resolution import public_key_resolver_for_issuer
from credentials.jsonld.loader import portal_document_loader
from credentials.models import Credential, IssuanceBatch, StatusListEntry
from credentials.rendering.pades import TimestampingFailed, embedded_file_read
from credentials.rendering.pdf import PdfRenderingError
from credentials.services import batches
from credentials.services import pdf as pdf_service
from credentials.services.batches import (
    issuance_batch_create,
    issuance_batch_dispatch,
    issuance_batch_items_process,
    issuance_candidates,
)
from credentials.services.issuance import (
    credential_issue,
    credentials_issue_for_run,
    run_issuance_prepare,
    status_entries_reserve,
)
from credentials.signing.proofs import proof_verify
from credentials.tasks import credential_pdf_render_task, credential_pdfs_render_task
from enrollment.models import Enrollment
from mcportal.core.exceptions import Conflict
from mcportal.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_a_batch_issues_one_credential_per_completed_enrolment(
    completed_run, registrar, django_capture_on_commit_callbacks, settings
):
    settings.MCPORTAL_ISSUANCE_CHUNK_SIZE = 2
    run = completed_run(5)

    with django_capture_on_commit_callbacks(execute=True):
        batch = issuance_batch_create(run=run, actor=registrar)
    batch.refresh_from_db()

    assert (batch.status, batch.total, batch.issued_count, batch.failed_count) == (
        BatchStatus.COMPLETED,
        5,
        5,
        0,
    )
    assert batch.progress_percent == 100
    assert Credential.objects.filter(enrollment__run=run).count() == 5
    assert list(issuance_candidates(run=run)) == []


def test_repeating_a_chunk_or_a_dispatch_never_duplicates(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(3)
    with django_capture_on_commit_callbacks(execute=True):
        batch = issuance_batch_create(run=run, actor=registrar)
    item_ids = list(batch.items.values_list("pk", flat=True))

    issuance_batch_items_process(item_ids=item_ids)
    issuance_batch_dispatch(batch_id=batch.pk)

    assert Credential.objects.filter(enrollment__run=run).count() == 3
    assert set(batch.items.values_list("status", flat=True)) == {BatchItemStatus.ISSUED}


def test_the_same_idempotency_key_returns_the_same_batch(completed_run, registrar):
    run = completed_run(2)

    first = issuance_batch_create(run=run, actor=registrar, idempotency_key="k-1")
    second = issuance_batch_create(run=run, actor=registrar, idempotency_key="k-1")

    assert first.pk == second.pk
    assert IssuanceBatch.objects.count() == 1


def test_a_learner_who_cannot_receive_a_credential_fails_alone(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(3)
    enrollments = list(issuance_candidates(run=run))
    # The last one stops being completed after the batch was made (e.g. corrected by staff).
    with django_capture_on_commit_callbacks(execute=False):
        batch = issuance_batch_create(run=run, actor=registrar, enrollments=enrollments)
    Enrollment.objects.filter(pk=enrollments[-1].pk).update(
        status="active", final_score=None, completed_at=None, ended_at=None, final_grade=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        issuance_batch_dispatch(batch_id=batch.pk)
    batch.refresh_from_db()

    assert (batch.status, batch.issued_count, batch.failed_count) == (BatchStatus.COMPLETED_WITH_ERRORS, 2, 1)
    failed = batch.items.get(status=BatchItemStatus.FAILED)
    assert failed.enrollment_id == enrollments[-1].pk
    assert "completed" in failed.error


def test_a_run_without_candidates_is_refused(completed_run, registrar, django_capture_on_commit_callbacks):
    run = completed_run(1)
    with django_capture_on_commit_callbacks(execute=True):
        issuance_batch_create(run=run, actor=registrar)

    with pytest.raises(Conflict, match="Nobody"):
        issuance_batch_create(run=run, actor=registrar)


# --- Bulk issuance of a chunk (credentials_issue_for_run) -----------------------------------------


def _queued_batch(run, registrar, django_capture_on_commit_callbacks):
    """A running batch whose items are pending, their chunks not queued (the test processes them)."""
    with django_capture_on_commit_callbacks(execute=False):
        batch = issuance_batch_create(run=run, actor=registrar)
    # What issuance_batch_dispatch does before it queues the chunks.
    IssuanceBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    return batch, list(batch.items.order_by("pk").values_list("pk", flat=True))


def test_a_chunk_writes_every_credential_with_its_status_entries_and_audit_row(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(4)
    batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        issuance_batch_items_process(item_ids=item_ids)

    credentials = list(Credential.objects.filter(enrollment__run=run))
    assert len(credentials) == 4
    for credential in credentials:
        document = json.loads(credential.signed_document)
        verdict = proof_verify(
            document=document,
            resolve_public_key=public_key_resolver_for_issuer(document["issuer"]),
            document_loader=portal_document_loader(),
        )
        assert verdict.verified, verdict.errors
        assert credential.document_sha256 == hashlib.sha256(credential.signed_document.encode()).hexdigest()
        entries = StatusListEntry.objects.filter(credential=credential)
        assert sorted(entry.status_list.purpose for entry in entries) == ["revocation", "suspension"]
        assert {e["statusListIndex"] for e in document["credentialStatus"]} == {str(e.index) for e in entries}
        assert credential.pdf_status == PdfStatus.READY
        assert credential.issued_by == registrar
    audits = AuditEvent.objects.filter(action="credential.issued", target_type="credentials.credential")
    assert sorted(int(event.target_id) for event in audits) == sorted(c.pk for c in credentials)
    assert {event.data["sha256"] for event in audits} == {c.document_sha256 for c in credentials}
    batch.refresh_from_db()
    assert (batch.status, batch.issued_count, batch.skipped_count, batch.failed_count) == (
        BatchStatus.COMPLETED, 4, 0, 0,
    )
    assert set(batch.items.values_list("attempts", flat=True)) == {1}


def test_a_chunk_signs_the_same_document_as_issuing_one_by_one(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(2)
    first, second = issuance_candidates(run=run)
    single = credential_issue(enrollment=first, actor=registrar).credential
    slots = status_entries_reserve(institution=run.course.institution, count=1)
    issuance = run_issuance_prepare(run=run, actor=registrar)
    bulk = credentials_issue_for_run(
        issuance=issuance, enrollments=[second], actor=registrar, status_slots=slots
    )[0]

    def learner_free(credential):
        document = json.loads(credential.signed_document)
        subject = document["credentialSubject"]
        subject["identifier"] = [sorted(identifier) for identifier in subject["identifier"]]
        document["id"] = "urn:uuid:?"
        document["credentialStatus"] = [sorted(entry) for entry in document["credentialStatus"]]
        document["proof"] = sorted(document["proof"])
        for key in ("validFrom", "validUntil", "awardedDate"):
            document.pop(key, None)
        return document

    assert bulk.created
    assert learner_free(bulk.credential) == learner_free(single)
    # Byte-level shape too: same keys in the same order, same indentation.
    assert list(json.loads(bulk.credential.signed_document)) == list(json.loads(single.signed_document))
    assert bulk.credential.course_version == single.course_version
    facts_single = dict(single.facts, learner_name=None, valid_from=None, valid_until=None)
    facts_bulk = dict(bulk.credential.facts, learner_name=None, valid_from=None, valid_until=None)
    assert facts_bulk == facts_single


def test_the_queries_of_a_chunk_do_not_grow_with_its_size(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(9)
    _batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)
    issuance_batch_items_process(item_ids=item_ids[:1])  # the key and the status lists now exist
    # item_ids[8] stays pending, so neither measured chunk also finishes the batch.

    with CaptureQueriesContext(connection) as two:
        issuance_batch_items_process(item_ids=item_ids[1:3])
    with CaptureQueriesContext(connection) as five:
        issuance_batch_items_process(item_ids=item_ids[3:8])

    assert Credential.objects.filter(enrollment__run=run).count() == 8
    assert len(five.captured_queries) == len(two.captured_queries)


def test_pdfs_of_a_chunk_are_queued_in_chunks(
    completed_run, registrar, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.MCPORTAL_PDF_CHUNK_SIZE = 2
    queued = []
    monkeypatch.setattr(credential_pdfs_render_task, "delay_on_commit", queued.append)
    run = completed_run(5)
    _batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)

    issuance_batch_items_process(item_ids=item_ids)

    assert [len(chunk) for chunk in queued] == [2, 2, 1]
    assert sorted(pk for chunk in queued for pk in chunk) == sorted(
        Credential.objects.filter(enrollment__run=run).values_list("pk", flat=True)
    )


def test_an_integrity_error_in_the_bulk_insert_redoes_the_chunk_item_by_item(
    completed_run, registrar, django_capture_on_commit_callbacks, monkeypatch
):
    run = completed_run(3)
    batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)
    # One credential already exists (issued outside the batch), and the bulk insert collides.
    credential_issue(enrollment=batch.items.get(pk=item_ids[1]).enrollment, actor=registrar)

    def collides(**_kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(batches, "credentials_issue_for_run", collides)
    issuance_batch_items_process(item_ids=item_ids)

    batch.refresh_from_db()
    assert (batch.status, batch.issued_count, batch.skipped_count, batch.failed_count) == (
        BatchStatus.COMPLETED, 2, 1, 0,
    )
    assert Credential.objects.filter(enrollment__run=run).count() == 3


def test_a_course_that_cannot_be_certified_fails_every_item_and_issues_nothing(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(3)
    batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)
    run.course.outcomes.all().delete()  # a mandatory element of the Recommendation

    issuance_batch_items_process(item_ids=item_ids)

    batch.refresh_from_db()
    assert (batch.status, batch.issued_count, batch.failed_count) == (BatchStatus.COMPLETED_WITH_ERRORS, 0, 3)
    assert all("mandatory" in error for error in batch.items.values_list("error", flat=True))
    assert not Credential.objects.filter(enrollment__run=run).exists()
    assert not AuditEvent.objects.filter(action="credential.issued").exists()


def test_an_unsignable_name_fails_alone_in_its_chunk(
    completed_run, registrar, django_capture_on_commit_callbacks
):
    run = completed_run(3)
    batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)
    odd = batch.items.get(pk=item_ids[1]).enrollment
    User.objects.filter(pk=odd.learner_id).update(full_name="Bell\x07Character")

    issuance_batch_items_process(item_ids=item_ids)

    batch.refresh_from_db()
    assert (batch.issued_count, batch.failed_count) == (2, 1)
    failed = batch.items.get(status=BatchItemStatus.FAILED)
    assert failed.enrollment_id == odd.pk
    assert "cannot be signed" in failed.error
    assert not Credential.objects.filter(enrollment=odd).exists()


def test_credentials_issue_for_run_refuses_enrolments_of_another_run(completed_run, registrar):
    run, other = completed_run(1), completed_run(1)
    enrollment = issuance_candidates(run=other).get()

    with pytest.raises(ValueError, match="belong to the run"):
        credentials_issue_for_run(
            issuance=run_issuance_prepare(run=run, actor=registrar),
            enrollments=[enrollment],
            actor=registrar,
            status_slots=[(None, None)],
        )


# --- PDFs of a batch, rendered in chunks ------------------------------------------------------------


def _issued(run, registrar, django_capture_on_commit_callbacks) -> list[int]:
    _batch, item_ids = _queued_batch(run, registrar, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):  # PDFs left pending for the test
        issuance_batch_items_process(item_ids=item_ids)
    return list(Credential.objects.filter(enrollment__run=run).order_by("pk").values_list("pk", flat=True))


def test_a_pdf_chunk_seals_every_pdf_and_a_broken_one_fails_alone(
    completed_run, registrar, django_capture_on_commit_callbacks, monkeypatch
):
    credential_ids = _issued(completed_run(3), registrar, django_capture_on_commit_callbacks)
    broken = Credential.objects.get(pk=credential_ids[1])
    render = pdf_service.render_credential_pdf

    def render_or_fail(*, certificate, attachments):
        if certificate.verification_code == broken.verification_code:
            raise PdfRenderingError("the template broke")
        return render(certificate=certificate, attachments=attachments)

    monkeypatch.setattr(pdf_service, "render_credential_pdf", render_or_fail)
    retry = pdf_service.credential_pdfs_render(credential_ids=credential_ids)

    states = dict(Credential.objects.filter(pk__in=credential_ids).values_list("pk", "pdf_status"))
    assert retry == []
    assert states == {
        credential_ids[0]: PdfStatus.READY,
        credential_ids[1]: PdfStatus.FAILED,
        credential_ids[2]: PdfStatus.READY,
    }
    assert Credential.objects.get(pk=credential_ids[1]).pdf_error == "the template broke"
    sealed = Credential.objects.get(pk=credential_ids[0])
    assert embedded_file_read(pdf_bytes=sealed.pdf.read()) == sealed.signed_document.encode("utf-8")
    # Safe to run twice: the ready ones are left alone.
    assert pdf_service.credential_pdfs_render(credential_ids=credential_ids) == []


def test_a_pdf_chunk_returns_timestamping_failures_for_a_later_retry(
    completed_run, registrar, django_capture_on_commit_callbacks, monkeypatch
):
    credential_ids = _issued(completed_run(2), registrar, django_capture_on_commit_callbacks)

    def tsa_down(**_kwargs):
        raise TimestampingFailed("the TSA did not answer")

    monkeypatch.setattr(pdf_service, "sign_pades", tsa_down)
    retry = pdf_service.credential_pdfs_render(credential_ids=credential_ids)

    assert retry == credential_ids
    assert set(Credential.objects.filter(pk__in=credential_ids).values_list("pdf_status", flat=True)) == {
        PdfStatus.PENDING
    }


def test_the_pdf_chunk_task_requeues_timestamping_failures_one_by_one(monkeypatch):
    requeued = []
    monkeypatch.setattr(pdf_service, "credential_pdfs_render", lambda *, credential_ids: credential_ids[:1])
    monkeypatch.setattr(
        credential_pdf_render_task, "apply_async", lambda args, countdown: requeued.append((args, countdown))
    )

    credential_pdfs_render_task.run([7, 8])

    assert requeued == [((7,), 30)]


def test_worker_processes_freeze_their_start_up_heap():
    from mcportal.celery import _worker_process_warm_and_freeze

    try:
        _worker_process_warm_and_freeze()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_sweep_queues_again_the_pdfs_left_pending_by_a_dead_worker(
    completed_run, registrar, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.MCPORTAL_PDF_CHUNK_SIZE = 2
    credential_ids = _issued(completed_run(3), registrar, django_capture_on_commit_callbacks)
    queued = []
    monkeypatch.setattr(credential_pdfs_render_task, "delay", queued.append)

    assert batches.issuance_batch_sweep(stale_after_seconds=3600) == 0
    assert queued == []  # pending, but not for long: their tasks may still be on their way

    batches.issuance_batch_sweep(stale_after_seconds=0)
    assert queued == [credential_ids[:2], credential_ids[2:]]
