"""Abstract base model: creation and update timestamps (aware UTC)."""
from django.db import models

from mcportal.core import clock


class BaseModel(models.Model):
    created_at = models.DateTimeField(default=clock.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
