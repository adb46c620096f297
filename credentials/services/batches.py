"""Batch issuance: a batch of completed enrolments issued in chunks by Celery workers.

Each item is its own idempotency key, so a retried or duplicated task never issues twice, and
one bad learner does not hold back the others: a chunk is issued in one transaction by
credentials_issue_for_run (course facts, key and checks read once; credentials, status entries,
audit rows and item outcomes written in bulk), and a learner who cannot receive a credential
is recorded as failed without stopping the rest. Should the bulk insert meet an IntegrityError,
the chunk is redone one item per transaction. Status list slots are reserved per chunk, so
parallel workers do not queue on the list row per credential.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from courses.models import CourseRun
from credentials.choices import BATCH_TRANSITIONS, BatchItemStatus, BatchStatus, CredentialStatus
from credentials.models import Credential, IssuanceBatch, IssuanceBatchItem
from credentials.services.issuance import (
    IssueOutcome,
    RunIssuance,
    credential_issue,
    credentials_issue_for_run,
    run_issuance_prepare,
    status_entries_reserve,
)
from credentials.services.pdf import credential_pdfs_requeue_stale
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, FieldProblem, InvalidTransition, ValidationFailed


def issuance_candidates(*, run: CourseRun):
    """Completed enrolments of the run that hold no live credential yet."""
    live = Credential.objects.exclude(status=CredentialStatus.REVOKED).values("enrollment_id")
    return (
        Enrollment.objects.filter(run=run, status=EnrollmentStatus.COMPLETED)
        .exclude(pk__in=live)
        .select_related("learner")
        .order_by("pk")
    )


def _transition(batch: IssuanceBatch, target: BatchStatus) -> None:
    if target not in BATCH_TRANSITIONS[BatchStatus(batch.status)]:
        raise InvalidTransition(batch.status, target, entity="batch")


@transaction.atomic
def issuance_batch_create(
    *,
    run: CourseRun,
    actor,
    enrollments: Iterable[Enrollment] | None = None,
    idempotency_key: str = "",
) -> IssuanceBatch:
    """Create a queued batch with one pending item per enrolment and dispatch it after commit.

    Without enrollments, every completed enrolment of the run without a credential is taken.
    The same idempotency key returns the batch it created before.
    """
    institution = run.course.institution
    if idempotency_key:
        existing = IssuanceBatch.objects.filter(
            institution=institution, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return existing
    chosen = list(issuance_candidates(run=run) if enrollments is None else enrollments)
    foreign = [e.pk for e in chosen if e.run_id != run.pk or e.status != EnrollmentStatus.COMPLETED]
    if foreign:
        raise ValidationFailed(
            "Only completed enrolments of this run can be issued in its batch.",
            problems=[
                FieldProblem(f"Enrolment {pk} is not a completed enrolment of this run.", field="enrollments")
                for pk in foreign
            ],
        )
    if not chosen:
        raise Conflict(
            "Nobody in this run is waiting for a credential.",
            problems=[FieldProblem("No completed enrolment without a credential.", field="enrollments")],
        )
    batch = IssuanceBatch.objects.create(
        institution=institution,
        run=run,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        idempotency_key=idempotency_key,
        total=len(chosen),
    )
    IssuanceBatchItem.objects.bulk_create(IssuanceBatchItem(batch=batch, enrollment=e) for e in chosen)
    audit_record(
        actor=actor,
        action="issuance_batch.created",
        target=batch,
        institution=institution,
        data={"run": run.pk, "items": len(chosen)},
    )
    from credentials.tasks import issuance_batch_dispatch_task

    issuance_batch_dispatch_task.delay_on_commit(batch.pk)
    return batch


def issuance_batch_dispatch(*, batch_id: int) -> list[list[int]]:
    """Mark the batch running and enqueue its pending items in chunks on the issuance queue."""
    with transaction.atomic():
        batch = IssuanceBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status in (BatchStatus.QUEUED, BatchStatus.COMPLETED_WITH_ERRORS):
            _transition(batch, BatchStatus.RUNNING)
            batch.status = BatchStatus.RUNNING
            batch.started_at = batch.started_at or clock.now()
            batch.finished_at = None
            batch.save(update_fields=["status", "started_at", "finished_at", "updated_at"])
        elif batch.status != BatchStatus.RUNNING:
            return []
        pending = list(
            batch.items.filter(status=BatchItemStatus.PENDING).order_by("pk").values_list("pk", flat=True)
        )
    size = max(1, settings.MCPORTAL_ISSUANCE_CHUNK_SIZE)
    chunks = [pending[start : start + size] for start in range(0, len(pending), size)]
    from credentials.tasks import issuance_batch_item_process_task

    for chunk in chunks:
        issuance_batch_item_process_task.delay(chunk)
    if not pending:
        issuance_batch_complete(batch_id=batch_id)
    return chunks


def issuance_batch_items_process(*, item_ids: list[int]) -> None:
    """Issue the credentials of a chunk of pending items in one transaction (safe to repeat)."""
    pending = list(
        IssuanceBatchItem.objects.filter(pk__in=item_ids, status=BatchItemStatus.PENDING)
        .select_related("batch__institution", "batch__run__course__institution", "batch__created_by")
        .order_by("pk")
    )
    if not pending:
        return
    batch = pending[0].batch
    # Reserved in their own short transactions, before the chunk's locks are taken.
    slots = status_entries_reserve(institution=batch.institution, count=len(pending))
    slot_of = {item.pk: slot for item, slot in zip(pending, slots, strict=True)}
    # Outside the chunk's transaction (see run_issuance_prepare).
    issuance = run_issuance_prepare(run=batch.run, actor=batch.created_by)
    try:
        _items_issue_together(batch=batch, slot_of=slot_of, issuance=issuance)
    except IntegrityError:
        # A credential appeared outside the batch's locks (e.g. issued from the shell): redo the
        # chunk item by item, where each such conflict is reported on its own item.
        for item_id, slot in slot_of.items():
            issuance_batch_item_process(item_id=item_id, status_slots=slot)
    if not IssuanceBatchItem.objects.filter(batch_id=batch.pk, status=BatchItemStatus.PENDING).exists():
        issuance_batch_complete(batch_id=batch.pk)


@transaction.atomic
def _items_issue_together(*, batch: IssuanceBatch, slot_of: dict, issuance: RunIssuance) -> None:
    items = list(
        # of=("self",), skip_locked: items another worker is processing are left to it.
        IssuanceBatchItem.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
        .filter(pk__in=list(slot_of), status=BatchItemStatus.PENDING)
        .select_related("enrollment")
        .order_by("pk")
    )
    if not items:
        return
    outcomes = credentials_issue_for_run(
        issuance=issuance,
        enrollments=[item.enrollment for item in items],
        actor=batch.created_by,
        status_slots=[slot_of[item.pk] for item in items],
    )
    now = clock.now()
    counts = {"issued_count": 0, "skipped_count": 0, "failed_count": 0}
    for item, outcome in zip(items, outcomes, strict=True):
        if isinstance(outcome, IssueOutcome):
            item.status = BatchItemStatus.ISSUED if outcome.created else BatchItemStatus.SKIPPED
            item.credential = outcome.credential
            item.error = ""
            counts["issued_count" if outcome.created else "skipped_count"] += 1
        else:
            # Terminal for this learner (e.g. not completed any more): record why.
            item.status = BatchItemStatus.FAILED
            item.error = outcome.message
            counts["failed_count"] += 1
        item.attempts = F("attempts") + 1
        item.processed_at = now
    IssuanceBatchItem.objects.bulk_update(
        items, ["status", "credential", "attempts", "processed_at", "error"]
    )
    IssuanceBatch.objects.filter(pk=batch.pk).update(
        **{counter: F(counter) + added for counter, added in counts.items() if added}
    )


def issuance_batch_item_process(*, item_id: int, status_slots=None) -> IssuanceBatchItem | None:
    """Issue one item: lock it (skip if another worker holds it), issue, record the outcome."""
    try:
        with transaction.atomic():
            item = (
                # of=("self",): lock only the item; locking the joined batch or enrolment would make
                # skip_locked skip items whose batch row another worker is updating.
                IssuanceBatchItem.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                .select_related("batch", "enrollment")
                .filter(pk=item_id, status=BatchItemStatus.PENDING)
                .first()
            )
            if item is None:
                return None
            outcome = credential_issue(
                enrollment=item.enrollment, actor=item.batch.created_by, status_slots=status_slots
            )
            item.status = BatchItemStatus.ISSUED if outcome.created else BatchItemStatus.SKIPPED
            item.credential = outcome.credential
            item.attempts = F("attempts") + 1
            item.processed_at = clock.now()
            item.error = ""
            item.save(update_fields=["status", "credential", "attempts", "processed_at", "error"])
            counter = "issued_count" if outcome.created else "skipped_count"
            IssuanceBatch.objects.filter(pk=item.batch_id).update(**{counter: F(counter) + 1})
            return item
    except (Conflict, ValidationFailed) as exc:
        # Terminal for this learner (e.g. not completed any more): record why, go on with the rest.
        with transaction.atomic():
            updated = IssuanceBatchItem.objects.filter(pk=item_id, status=BatchItemStatus.PENDING).update(
                status=BatchItemStatus.FAILED,
                error=exc.message,
                attempts=F("attempts") + 1,
                processed_at=clock.now(),
            )
            if updated:
                batch_id = IssuanceBatchItem.objects.values_list("batch_id", flat=True).get(pk=item_id)
                IssuanceBatch.objects.filter(pk=batch_id).update(failed_count=F("failed_count") + 1)
        return None


@transaction.atomic
def issuance_batch_complete(*, batch_id: int) -> IssuanceBatch:
    """Finish a running batch once no item is pending (two chunks finishing together finish it once)."""
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != BatchStatus.RUNNING or batch.items.filter(status=BatchItemStatus.PENDING).exists():
        return batch
    target = BatchStatus.COMPLETED_WITH_ERRORS if batch.failed_count else BatchStatus.COMPLETED
    batch.status = target
    batch.finished_at = clock.now()
    batch.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(
        actor=None,
        action="issuance_batch.finished",
        target=batch,
        institution=batch.institution,
        data={"issued": batch.issued_count, "skipped": batch.skipped_count, "failed": batch.failed_count},
    )
    return batch


@transaction.atomic
def issuance_batch_retry_failed(*, batch: IssuanceBatch, actor) -> IssuanceBatch:
    """Put the failed items back to pending and run the batch again."""
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch.pk)
    _transition(batch, BatchStatus.RUNNING)
    failed = batch.items.filter(status=BatchItemStatus.FAILED).update(
        status=BatchItemStatus.PENDING, error=""
    )
    batch.failed_count = F("failed_count") - failed
    batch.save(update_fields=["failed_count", "updated_at"])
    audit_record(
        actor=actor,
        action="issuance_batch.retried",
        target=batch,
        institution=batch.institution,
        data={"items": failed},
    )
    from credentials.tasks import issuance_batch_dispatch_task

    issuance_batch_dispatch_task.delay_on_commit(batch.pk)
    batch.refresh_from_db()
    return batch


def issuance_batch_sweep(*, stale_after_seconds: int = 900) -> int:
    """Re-dispatch running batches whose pending items nobody processed for a while (worker died),
    and queue again the PDFs left pending as long. Returns the number of batches re-dispatched."""
    credential_pdfs_requeue_stale(stale_after_seconds=stale_after_seconds)
    threshold = clock.now() - dt.timedelta(seconds=stale_after_seconds)
    stale = list(
        IssuanceBatch.objects.filter(status=BatchStatus.RUNNING, updated_at__lt=threshold).values_list(
            "pk", flat=True
        )
    )
    for batch_id in stale:
        issuance_batch_dispatch(batch_id=batch_id)
    return len(stale)
