"""Celery tasks of credentials: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.db import IntegrityError, OperationalError

from credentials.rendering.pades import PadesError, TimestampingFailed
from credentials.rendering.pdf import PdfRenderingError


@shared_task(name="credentials.credential_pdf_render", acks_late=True, max_retries=5)
def credential_pdf_render_task(credential_id: int) -> None:
    """Render and seal one credential's PDF; a TSA failure retries, a rendering bug fails fast."""
    from credentials.services.pdf import credential_pdf_mark_failed, credential_pdf_render

    try:
        credential_pdf_render(credential_id=credential_id)
    except TimestampingFailed as exc:
        if credential_pdf_render_task.request.retries >= credential_pdf_render_task.max_retries:
            credential_pdf_mark_failed(credential_id=credential_id, error=str(exc))
            return
        raise credential_pdf_render_task.retry(exc=exc, countdown=30) from exc
    except (PdfRenderingError, PadesError) as exc:
        credential_pdf_mark_failed(credential_id=credential_id, error=str(exc))


@shared_task(name="credentials.credential_pdfs_render", acks_late=True)
def credential_pdfs_render_task(credential_ids: list[int]) -> None:
    """Render and seal a chunk of PDFs (batch issuance); a TSA failure retries that PDF on its own."""
    from credentials.services.pdf import credential_pdfs_render

    for credential_id in credential_pdfs_render(credential_ids=credential_ids):
        credential_pdf_render_task.apply_async((credential_id,), countdown=30)


@shared_task(name="credentials.issuance_batch_dispatch", acks_late=True)
def issuance_batch_dispatch_task(batch_id: int) -> None:
    """Split a batch's pending items into chunks on the issuance queue."""
    from credentials.services.batches import issuance_batch_dispatch

    issuance_batch_dispatch(batch_id=batch_id)


@shared_task(
    name="credentials.issuance_batch_item_process",
    acks_late=True,
    # A lost race or a dropped connection heals on retry; items already done are skipped.
    autoretry_for=(IntegrityError, OperationalError),
    retry_backoff=2,
    retry_kwargs={"max_retries": 5},
)
def issuance_batch_item_process_task(item_ids: list[int]) -> None:
    """Issue one chunk of batch items; repeats are no-ops (items are their own idempotency keys)."""
    from credentials.services.batches import issuance_batch_items_process

    issuance_batch_items_process(item_ids=item_ids)


@shared_task(name="credentials.issuance_batch_sweep", expires=600)
def issuance_batch_sweep_task() -> int:
    """Beat: re-dispatch batches left running by a worker that died."""
    from credentials.services.batches import issuance_batch_sweep

    return issuance_batch_sweep()
