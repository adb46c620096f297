"""Demo of verification states: a suspended credential and a corrected one (old version revoked as
superseded, linked to its reissue), both held by a second demo learner. Idempotent."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from credentials.choices import CredentialStatus
from credentials.models import Credential
from credentials.services.issuance import credential_reissue
from credentials.services.revocation import credential_suspend
from mcportal.core.models import User

LEARNER_EMAIL = "learner.corrections@demo.test"
SUSPENDED_COURSE = "biostatistics-with-r"
CORRECTED_COURSE = "good-clinical-practice"


def verification_demo_load(*, complete: Callable[[User, str, Decimal, dict], int], registrars: dict) -> str:
    """Complete two courses for the demo learner, suspend one credential and correct the other.

    ``complete(learner, course slug, score, registrars)`` is seed_demo's completion step (enrol,
    pass, issue).
    Returns the verification codes to try, for the command's summary.
    """
    learner = User.objects.get(email=LEARNER_EMAIL)
    complete(learner, SUSPENDED_COURSE, Decimal("71"), registrars)
    complete(learner, CORRECTED_COURSE, Decimal("64"), registrars)
    held = Credential.objects.filter(enrollment__learner=learner).select_related("institution")

    suspended = held.filter(enrollment__run__course__slug=SUSPENDED_COURSE).order_by("-pk").first()
    if suspended.status == CredentialStatus.ISSUED and suspended.status_changed_at is None:
        suspended = credential_suspend(
            credential=suspended,
            reason="under_investigation",
            note="Demo: the final exam result is being reviewed.",
            actor=registrars[suspended.institution.slug],
        )
    corrected = held.filter(enrollment__run__course__slug=CORRECTED_COURSE)
    current = corrected.filter(replaces__isnull=False).first()
    if current is None:
        original = corrected.get()
        current = credential_reissue(
            credential=original,
            actor=registrars[original.institution.slug],
            note="Demo: the final grade was corrected after an appeal.",
        )
    old_code, new_code = current.replaces.verification_code, current.verification_code
    return f"suspended /v/{suspended.verification_code}, corrected /v/{old_code} → /v/{new_code}"
