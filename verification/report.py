"""The outcome of a verification: one verdict, every check in plain words, warnings and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Verdict

CHECK_LABELS = {
    "size": _("Size of the upload"),
    "format": _("Credential format"),
    "contexts": _("JSON-LD contexts"),
    "integrity": _("Document integrity"),
    "signature": _("Signature"),
    "issuer_key": _("Issuer key in the issuer's DID document"),
    "status": _("Revocation and suspension"),
    "status_list": _("Status list"),
    "validity_period": _("Validity period"),
    "pdf_seal": _("PDF seal (PAdES)"),
    "pdf_timestamp": _("PDF timestamp"),
    "pdf_embedded": _("Credential embedded in the PDF"),
    "pdf_agreement": _("Printed PDF agrees with the embedded credential"),
}

VERDICT_SUMMARIES = {
    Verdict.VALID: _("this credential is genuine and in force."),
    Verdict.REVOKED: _("the issuer has revoked this credential."),
    Verdict.SUSPENDED: _("the issuer has suspended this credential."),
    Verdict.EXPIRED: _("the validity period has ended."),
    Verdict.NOT_YET_VALID: _("the validity period has not begun."),
    Verdict.UNKNOWN_ISSUER: _("the issuer is not one this portal can check, so nothing is vouched for."),
    Verdict.INVALID: _("this document cannot be trusted."),
}


@dataclass(frozen=True)
class Check:
    """One check: its name, whether it passed, and a sentence saying what was found.

    ``code`` names the failure for machines (e.g. ``unknown_context``); empty when passed.
    """

    name: str
    passed: bool
    detail: str
    code: str = ""

    @property
    def label(self) -> str:
        return str(CHECK_LABELS.get(self.name, self.name))


@dataclass
class VerificationReport:
    verdict: str
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The stored credential the document is (a portal-issued one), if any: its page has more.
    credential: Any = None
    # The parsed credential, for showing what it states (None when it could not be read).
    document: dict | None = None
    # The verification method of the proof and the issuer id, when they could be read.
    issuer: str | None = None

    @property
    def verdict_label(self) -> str:
        return str(Verdict(self.verdict).label)

    @property
    def summary(self) -> str:
        return str(VERDICT_SUMMARIES[Verdict(self.verdict)])

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "checks": [
                {
                    "check": c.name,
                    "passed": c.passed,
                    "detail": c.detail,
                    **({"code": c.code} if c.code else {}),
                }
                for c in self.checks
            ],
            "warnings": list(self.warnings),
        }

    def as_vc_api(self) -> dict:
        """The VC-API VerificationResult shape: checks done, warnings, errors as problem details."""
        return {
            "verified": self.verdict == Verdict.VALID,
            "verdict": self.verdict,
            "checks": [check.name for check in self.checks if check.passed],
            "warnings": [{"type": "warning", "title": warning} for warning in self.warnings],
            "errors": [
                {
                    "type": check.code or check.name,
                    "title": check.label,
                    "detail": check.detail,
                    "check": check.name,
                }
                for check in self.failed_checks
            ],
        }
