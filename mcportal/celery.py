"""Celery application, configured from Django settings (CELERY_* names)."""
import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcportal.settings.local")

app = Celery("mcportal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _worker_process_warm_and_freeze(**_kwargs) -> None:
    """Load the heavy modules once per worker process, then move the start-up heap out of the GC.

    Django, pyld, WeasyPrint and pyHanko leave ~1M long-lived objects; without gc.freeze() every
    full collection rescans them (~200 ms each, several per batch chunk). Importing the task
    modules here, not in the first task, keeps that first task's latency in line with the others.
    """
    from credentials.rendering import pades, pdf  # noqa: F401  (imported for their start-up cost)
    from credentials.services import batches, issuance  # noqa: F401

    gc.collect()
    gc.freeze()
