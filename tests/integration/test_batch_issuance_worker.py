"""Batch issuance on a real Celery worker (Redis broker) against the real PostgreSQL test database.

The worker is a separate process, so the test commits its rows (transaction=True) and starts
`celery worker` on the database pytest-django created. Killing the worker's whole process group
mid-batch stands in for a machine that dies: a new worker must finish the batch without duplicates.
"""
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from credentials.choices import BatchItemStatus, BatchStatus, PdfStatus
from credentials.models import Credential, IssuanceBatch
from credentials.services.batches import issuance_batch_create, issuance_batch_sweep
from mcportal.core.models import AuditEvent
from tests.fixtures.celery_broker import redis_broker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process needs a shared database"),
]

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("MCPORTAL_TEST_BROKER_URL", "redis://127.0.0.1:6379/7")
# Longer than any task takes on a loaded machine (else a slow task is redelivered), short enough
# that messages held by a killed worker come back within the deadline.
VISIBILITY_TIMEOUT_SECONDS = 30
DEADLINE_SECONDS = 120
BATCH_SIZE = 20


@pytest.fixture
def broker():
    """An empty Redis database as broker; this process sends tasks there instead of running them."""
    with redis_broker(BROKER_URL, when_missing=pytest.skip) as url:
        yield url


@pytest.fixture
def workers(broker, tmp_path):
    """start() launches a worker on the test database; every worker is killed at the end."""
    started: list[subprocess.Popen] = []
    database = settings.DATABASES["default"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "mcportal.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "REDIS_URL": broker,
        "MCPORTAL_TEST_REAL_CELERY": "1",
        "MCPORTAL_TEST_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS),
        "MCPORTAL_ISSUANCE_CHUNK_SIZE": "2",
        # PDFs are rendered several per task: a killed worker's chunk must be redone as a whole.
        "MCPORTAL_PDF_CHUNK_SIZE": "3",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    })
    celery = str(Path(sys.executable).with_name("celery"))

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [celery, "-A", "mcportal", "worker", "-Q", "default,issuance", "--pool=prefork",
             "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", f"--hostname=test-{len(started)}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        _kill_group(process, signal.SIGKILL)
    for log in sorted(tmp_path.glob("worker-*.log")):
        sys.stdout.write(f"--- {log.name} (tail) ---\n{log.read_text(errors='replace')[-3000:]}\n")


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the worker and its pool children together (a lost machine, not a polite shutdown)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it may have exited just now
            os.killpg(process.pid, sig)
    process.wait(timeout=30)


def _wait_for(condition, what: str, deadline: float, processes=()):
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process in processes:
            assert process.poll() is None, f"a worker exited ({process.returncode}) during: {what}"
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}: {_progress()}")


def _progress() -> dict:
    """What a timeout reports: the newest batch, its items and its PDFs."""
    batch = IssuanceBatch.objects.order_by("-pk").first()
    credentials = Credential.objects.filter(enrollment__run_id=batch.run_id) if batch else Credential.objects
    return {
        "batch": batch and (batch.status, batch.total, batch.issued_count, batch.failed_count),
        "items": batch and sorted(batch.items.values_list("status", flat=True)),
        "pdfs": sorted(credentials.values_list("pdf_status", flat=True)),
    }


def _batch_finished(batch_id: int) -> bool:
    batch = IssuanceBatch.objects.get(pk=batch_id)
    pdfs_ready = Credential.objects.filter(
        enrollment__run_id=batch.run_id, pdf_status=PdfStatus.READY
    ).count()
    return batch.status == BatchStatus.COMPLETED and pdfs_ready == batch.total


def _assert_issued_exactly_once(batch_id: int) -> None:
    batch = IssuanceBatch.objects.get(pk=batch_id)
    credentials = Credential.objects.filter(enrollment__run_id=batch.run_id)
    assert batch.status == BatchStatus.COMPLETED
    assert (batch.issued_count, batch.skipped_count, batch.failed_count) == (BATCH_SIZE, 0, 0)
    assert set(batch.items.values_list("status", flat=True)) == {BatchItemStatus.ISSUED}
    assert credentials.count() == BATCH_SIZE
    assert credentials.values("enrollment_id").distinct().count() == BATCH_SIZE
    assert set(credentials.values_list("pdf_status", flat=True)) == {PdfStatus.READY}
    for credential in credentials:
        assert Path(credential.pdf.path).read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="credential.issued").count() == BATCH_SIZE
    assert AuditEvent.objects.filter(action="issuance_batch.finished").count() == 1


def test_a_worker_issues_a_batch_with_json_and_pdf(completed_run, registrar, workers):
    run = completed_run(BATCH_SIZE)
    worker = workers()

    batch = issuance_batch_create(run=run, actor=registrar)

    deadline = time.monotonic() + DEADLINE_SECONDS
    _wait_for(lambda: _batch_finished(batch.pk), "the batch and its PDFs", deadline, [worker])
    _assert_issued_exactly_once(batch.pk)


def test_a_killed_worker_is_replaced_and_the_batch_completes_without_duplicates(
    completed_run, registrar, workers
):
    run = completed_run(BATCH_SIZE)
    first = workers()
    batch = issuance_batch_create(run=run, actor=registrar)
    deadline = time.monotonic() + DEADLINE_SECONDS

    _wait_for(
        lambda: Credential.objects.filter(enrollment__run=run).count() >= 3,
        "the first credentials", deadline, [first],
    )
    _kill_group(first, signal.SIGKILL)
    assert not _batch_finished(batch.pk), "the batch finished before the worker was killed"

    second = workers()
    issuance_batch_sweep(stale_after_seconds=0)
    _wait_for(lambda: _batch_finished(batch.pk), "the batch after the restart", deadline, [second])
    _assert_issued_exactly_once(batch.pk)
