"""Batch issuance (tasks run in-process here; tests/integration runs a real worker)."""

import pytest

from credentials.choices import BatchItemStatus, BatchStatus
from credentials.models import Credential, IssuanceBatch
from credentials.services.batches import (
    issuance_batch_create,
    issuance_batch_dispatch,
    issuance_batch_items_process,
    issuance_candidates,
)
from enrollment.models import Enrollment
from mcportal.core.exceptions import Conflict

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
