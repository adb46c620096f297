"""seed_demo shows a suspended and a corrected credential, and a second run changes nothing."""
import io

import pytest
from django.core.management import call_command
from django.test import Client

from credentials.models import Credential

pytestmark = pytest.mark.django_db


def test_the_demo_learner_holds_a_suspended_and_a_corrected_credential():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    held = Credential.objects.filter(enrollment__learner__email="learner.corrections@demo.test")
    states = sorted(held.values_list("enrollment__run__course__slug", "status", "revocation_reason"))
    assert states == [
        ("biostatistics-with-r", "suspended", ""),
        ("good-clinical-practice", "issued", ""),
        ("good-clinical-practice", "revoked", "superseded"),
    ]
    suspended = held.get(status="suspended")
    current = held.get(replaces__isnull=False)
    assert Client().get(f"/v/{suspended.verification_code}.json").json()["verdict"] == "suspended"
    assert Client().get(f"/v/{current.replaces.verification_code}.json").json()["replaced_by"] == (
        current.verification_code
    )
