"""Herd privacy of the status lists: indexes of consecutive issuances are random, not sequential."""

import pytest

from credentials.bitstrings import MINIMUM_ENTRIES
from credentials.models import StatusList, StatusListEntry

pytestmark = pytest.mark.django_db


def test_consecutive_issuances_get_random_not_sequential_indexes(completed_run, registrar):
    from credentials.services.issuance import credential_issue
    from enrollment.models import Enrollment

    run = completed_run(12)
    credentials = [
        credential_issue(enrollment=enrollment, actor=registrar).credential
        for enrollment in Enrollment.objects.filter(run=run).order_by("pk")
    ]
    indexes = [
        StatusListEntry.objects.get(credential=credential, status_list__purpose="revocation").index
        for credential in credentials
    ]

    steps = [later - earlier for earlier, later in zip(indexes, indexes[1:], strict=False)]
    assert len(set(indexes)) == len(indexes)
    assert sorted(indexes) != indexes or len({abs(step) for step in steps}) > 1
    assert not all(abs(step) <= 8 for step in steps)  # neither consecutive nor clustered
    spread = max(indexes) - min(indexes)
    assert spread > MINIMUM_ENTRIES // 4  # 12 uniform draws in 131,072 spread far apart (p of failing ≈ 3e-6)
    assert StatusList.objects.get(purpose="revocation").size >= MINIMUM_ENTRIES
    suspension = [
        StatusListEntry.objects.get(credential=credential, status_list__purpose="suspension").index
        for credential in credentials
    ]
    assert suspension != indexes  # the two purposes do not share a position either
