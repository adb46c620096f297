"""The single source of the current time: aware UTC, patchable in tests."""
import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return timezone.now()


def today() -> dt.date:
    """Return today's date in UTC."""
    return now().astimezone(dt.UTC).date()
