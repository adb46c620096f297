"""mcportal: a portal that issues verifiable European microcredentials."""
from .celery import app as celery_app

__all__ = ["celery_app"]
