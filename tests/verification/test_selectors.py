"""Counts of verifications per institution, for the leadership dashboard's evidence."""

import datetime as dt

import pytest
from django.test import Client

from credentials.services.revocation import credential_revoke
from mcportal.core import clock
from verification.selectors import verification_count_since, verification_counts_by_verdict_since

pytestmark = pytest.mark.django_db


def test_verifications_are_counted_per_institution_and_verdict(
    issue, registrar, institution, other_institution
):
    valid, revoked = issue(2)
    credential_revoke(credential=revoked, reason="issued_in_error", actor=registrar)
    since = clock.now() - dt.timedelta(seconds=1)
    for code in (valid.verification_code, valid.verification_code, revoked.verification_code):
        Client().get(f"/v/{code}")
    Client().post("/verify/", {"pasted": valid.signed_document})
    Client().post("/verify/", {"pasted": "not json"})  # matches no credential: counted nowhere

    counts = verification_counts_by_verdict_since(institution=institution, since=since)

    assert verification_count_since(institution=institution, since=since) == 4
    assert counts["valid"] == 3 and counts["revoked"] == 1
    assert sum(counts.values()) == 4
    assert set(counts) == {
        "valid",
        "revoked",
        "suspended",
        "expired",
        "not_yet_valid",
        "unknown_issuer",
        "invalid",
    }
    assert verification_count_since(institution=other_institution, since=since) == 0
    assert verification_count_since(institution=institution, since=clock.now() + dt.timedelta(seconds=1)) == 0
