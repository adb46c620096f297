"""Verifying a credential the portal issued: signature, issuer key, status and validity period."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.cache import cache

from credentials.choices import CredentialStatus
from credentials.did_resolution import public_key_resolver_for_issuer
from credentials.jsonld.loader import portal_document_loader
from credentials.models import Credential
from credentials.signing.proofs import proof_verify
from mcportal.core import clock


class Verdict:
    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID = "invalid"


CHECK_LABELS = {
    "signature": "Signature",
    "status": "Revocation and suspension",
    "validity_period": "Validity period",
}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    @property
    def label(self) -> str:
        return CHECK_LABELS.get(self.name, self.name)


@dataclass
class VerificationReport:
    verdict: str
    checks: list[Check] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "checks": [{"check": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
        }


def _signature_check(credential: Credential) -> Check:
    # The signed text never changes, so its verification result is cached by its hash.
    cache_key = f"proof-verified:{credential.document_sha256}"
    cached = cache.get(cache_key)
    if cached is None:
        document = json.loads(credential.signed_document)
        result = proof_verify(
            document=document,
            resolve_public_key=public_key_resolver_for_issuer(document.get("issuer")),
            document_loader=portal_document_loader(),
        )
        cached = (result.verified, "; ".join(result.errors))
        cache.set(cache_key, cached, timeout=24 * 3600)
    verified, errors = cached
    return Check(
        "signature",
        verified,
        "The issuer's signature is intact and made with a key in its DID document."
        if verified
        else f"The signature does not verify: {errors}",
    )


def verification_run_for_credential(*, credential: Credential) -> VerificationReport:
    """Check a portal-issued credential and give one verdict with every check spelled out."""
    now = clock.now()
    signature = _signature_check(credential)
    status_ok = credential.status == CredentialStatus.ISSUED
    status_detail = {
        CredentialStatus.ISSUED: "Neither revoked nor suspended.",
        CredentialStatus.SUSPENDED: "Suspended by the issuer.",
        CredentialStatus.REVOKED: "Revoked by the issuer.",
    }[CredentialStatus(credential.status)]
    in_period = credential.valid_from <= now and (
        credential.valid_until is None or now < credential.valid_until
    )
    period_detail = (
        "Within its validity period."
        if in_period
        else ("Not valid yet." if now < credential.valid_from else "Its validity period has ended.")
    )
    checks = [
        signature,
        Check("status", status_ok, status_detail),
        Check("validity_period", in_period, period_detail),
    ]
    if not signature.passed:
        verdict = Verdict.INVALID
    elif credential.status == CredentialStatus.REVOKED:
        verdict = Verdict.REVOKED
    elif credential.status == CredentialStatus.SUSPENDED:
        verdict = Verdict.SUSPENDED
    elif now < credential.valid_from:
        verdict = Verdict.NOT_YET_VALID
    elif not in_period:
        verdict = Verdict.EXPIRED
    else:
        verdict = Verdict.VALID
    return VerificationReport(verdict=verdict, checks=checks)
