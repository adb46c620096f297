"""Fixtures for account tests: a settable clock and a learner who signed up through the service."""
import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from mcportal.core import clock
from mcportal.core.users import user_register

SIGNUP_PASSWORD = "violet tapestry 4 harbour"
VERIFY_LINK = re.compile(r"https://portal\.test(/accounts/verify/[^/\s]+/)")


class SettableClock:
    """Stands in for mcportal.core.clock.now; tests move it explicitly."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def set(self, moment: dt.datetime) -> None:
        self.current = moment


@pytest.fixture
def settable_clock(monkeypatch):
    """Stop time at the present; the test moves it.

    mcportal.core.clock.now reads django.utils.timezone.now, and so do the defaults of audit rows
    and sessions, so patching it there keeps the services, the audit trail and logins in one time.
    """
    fake = SettableClock(clock.now())
    monkeypatch.setattr(timezone, "now", fake.now)
    return fake


@pytest.fixture
def signed_up(db, django_capture_on_commit_callbacks):
    """A learner registered through user_register, with the verification e-mail delivered."""
    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(
            email="Ana.Novak@Example.org",
            password=SIGNUP_PASSWORD,
            full_name="Ana  Nováková",
            preferred_language="cs",
        )
    return user


def verification_path_from(message) -> str:
    """The path of the verification link in an e-mail (the same in its text and HTML bodies)."""
    text_paths = VERIFY_LINK.findall(message.body)
    html_paths = VERIFY_LINK.findall(message.alternatives[0][0])
    assert len(set(text_paths)) == 1
    assert set(html_paths) == set(text_paths)
    return text_paths[0]


@pytest.fixture
def verification_path(signed_up):
    """The verification link e-mailed to the signed_up learner."""
    assert len(mail.outbox) == 1
    return verification_path_from(mail.outbox[0])
