"""Verifying credentials: a stored one by its code, or an uploaded JSON-LD document or sealed PDF.

Nothing here makes a network request: contexts come from the pinned loader (which refuses
anything else), DIDs resolve locally (did:key, and this portal's did:web from the database),
and status lists are read from the database when they are this portal's (others are reported,
never fetched). Every function returns a report; bad input never raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.urls import Resolver404, resolve

from credentials.bitstrings import BitstringError, bit_get
from credentials.choices import CredentialStatus, StatusPurpose
from credentials.did_resolution import (
    DidNotFound,
    DidResolutionError,
    ForeignDidWebHost,
    ResolvedVerificationMethod,
    UnsupportedDidMethod,
    verification_method_resolve,
)
from credentials.jsonld.loader import portal_document_loader
from credentials.models import Credential, StatusList, StatusListEntry
from credentials.rendering.pades import PadesVerdict, validate_pades
from credentials.selectors import credential_get_by_public_id, pdf_trust_roots
from credentials.signing.proofs import proof_verify
from mcportal.core import clock

from .models import Verdict, VerificationEvent, VerificationMethod
from .report import Check, VerificationReport

logger = logging.getLogger(__name__)

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# Results of a proof check keyed by the document's bytes: the same bytes always verify the same
# way (keys are never removed from a DID document, only retired, and a retirement only ever
# concerns proofs made after it; see _issuer_key_outcome for the proofs that are not cached).
PROOF_CACHE_SECONDS = 24 * 3600
# A signer that loaded the key just before a rotation committed may stamp its proof a moment after
# the key's retired_at (issuance reads the active key without locking it, so batches do not queue
# behind one row). Proofs made within this margin of the retirement still count as made before it.
KEY_RETIREMENT_GRACE = dt.timedelta(seconds=60)
DEFAULT_UPLOAD_MAX_BYTES = 2 * 1024 * 1024


def upload_max_bytes() -> int:
    """Largest upload or pasted document read for verification (settings.MCPORTAL_VERIFY_UPLOAD_MAX_BYTES)."""
    return getattr(settings, "MCPORTAL_VERIFY_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES)


# --- checks shared by stored and uploaded credentials --------------------------------------


# Resolution failures that mean "this portal cannot know the issuer" rather than "wrong key".
_UNKNOWN_ISSUER_ERRORS = (UnsupportedDidMethod, ForeignDidWebHost, DidNotFound)


def _proof_created(proof: dict) -> dt.datetime | None:
    """When the proof says it was made (None if it does not say, or not as a zoned date-time)."""
    try:
        return _parse_moment(proof.get("created"))
    except ValueError:
        return None


def _issuer_key_outcome(resolved: ResolvedVerificationMethod, proof: dict) -> tuple[str, str, bool]:
    """(detail, code, cacheable) of the issuer-key check of a key the issuer lists.

    A retired key vouches only for proofs made before it retired (with KEY_RETIREMENT_GRACE), so
    a rotation never breaks the credentials signed before it. ``cacheable`` is False when a later
    retirement could still change the answer: a live key and a proof that is undated or dated
    in the future.
    """
    created = _proof_created(proof)
    if resolved.retired_at is None:
        state = f" ({resolved.key_status})" if resolved.key_status else ""
        detail = f"{resolved.controller} lists the key under assertionMethod{state}."
        has_lifecycle = resolved.key_status is not None
        return detail, "", not (has_lifecycle and (created is None or created > clock.now()))
    retired = f"{resolved.retired_at:%d %B %Y %H:%M} UTC"
    if created is None:
        return (
            f"The key was retired on {retired} and the proof does not say when it was made, "
            "so it cannot be shown to predate the retirement.",
            "issuer_key_retired",
            True,
        )
    if created > resolved.retired_at + KEY_RETIREMENT_GRACE:
        return (
            f"The proof was made on {created:%d %B %Y %H:%M} UTC with a key that "
            f"{resolved.controller} retired on {retired}: a retired key signs nothing new.",
            "issuer_key_retired",
            True,
        )
    return (
        f"{resolved.controller} lists the key under assertionMethod (retired on {retired}, "
        "after this proof was made).",
        "",
        True,
    )


def _proof_outcome(document: dict, cache_key: str) -> tuple[tuple[bool, str, str, str, str], bool]:
    """((verified, detail, code, issuer key detail, issuer key code), cacheable), cached under cache_key.

    The key code is "" when the key is listed by the issuer and was not retired before the proof
    was made, "unknown_issuer" when the issuer's DID cannot be resolved here (another did:web
    host, another DID method), "issuer_key_retired" for a proof made after its key retired,
    else "issuer_key_unresolved". An outcome a later key retirement could change is not cached.
    """
    cached = cache.get(cache_key)
    if cached is not None:
        return cached, True
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    issuer = document.get("issuer")
    key_detail, key_code, cacheable = "The proof names no key.", "issuer_key_unresolved", True
    if isinstance(method, str):
        try:
            resolved = verification_method_resolve(method, issuer=issuer)
        except _UNKNOWN_ISSUER_ERRORS as error:
            key_detail, key_code = f"Unknown issuer: {error}", "unknown_issuer"
        except DidResolutionError as error:
            key_detail = str(error)
        else:
            key_detail, key_code, cacheable = _issuer_key_outcome(resolved, proof)
    if key_code == "unknown_issuer":
        outcome = (False, "Not checked: the issuer's key is unknown.", "unknown_issuer", key_detail, key_code)
    else:
        result = proof_verify(
            document=document,
            resolve_public_key=lambda vm: verification_method_resolve(vm, issuer=issuer).public_key,
            document_loader=portal_document_loader(),
        )
        outcome = (
            result.verified,
            "The issuer's signature (eddsa-rdfc-2022) is intact."
            if result.verified
            else "The signature does not verify: " + "; ".join(result.errors),
            "" if result.verified else "signature_invalid",
            key_detail,
            key_code,
        )
    if cacheable:
        cache.set(cache_key, outcome, timeout=PROOF_CACHE_SECONDS)
    return outcome, cacheable


def _signature_checks(document: dict, cache_key: str) -> tuple[list[Check], bool]:
    """The signature and issuer-key checks, and whether they may be cached with the document."""
    (verified, detail, code, key_detail, key_code), cacheable = _proof_outcome(document, cache_key)
    if key_code == "unknown_issuer":
        return [Check("issuer_key", False, key_detail, key_code)], cacheable
    return [
        Check("signature", verified, detail, code),
        Check("issuer_key", not key_code, key_detail, key_code),
    ], cacheable


def _parse_moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        raise ValueError("not a string")
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment


def _validity_check(
    valid_from: dt.datetime | None, valid_until: dt.datetime | None, now: dt.datetime
) -> Check:
    if valid_from is not None and now < valid_from:
        return Check("validity_period", False, f"Not valid before {valid_from:%d %B %Y}.", "not_yet_valid")
    if valid_until is not None and now >= valid_until:
        return Check("validity_period", False, f"Its validity ended on {valid_until:%d %B %Y}.", "expired")
    if valid_until is None:
        return Check("validity_period", True, "In force, with no end date.")
    return Check("validity_period", True, f"In force until {valid_until:%d %B %Y}.")


def _verdict(checks: Iterable[Check], *, revoked: bool, suspended: bool) -> str:
    failed = {check.name: check for check in checks if not check.passed}
    if failed.get("issuer_key") is not None and failed["issuer_key"].code == "unknown_issuer":
        return Verdict.UNKNOWN_ISSUER
    fatal = {
        "size",
        "format",
        "contexts",
        "integrity",
        "signature",
        "issuer_key",
        "status_list",
        "pdf_seal",
        "pdf_timestamp",
        "pdf_embedded",
        "pdf_agreement",
    }
    if fatal & set(failed):
        return Verdict.INVALID
    if revoked:
        return Verdict.REVOKED
    if suspended:
        return Verdict.SUSPENDED
    period = failed.get("validity_period")
    if period is not None:
        return Verdict.NOT_YET_VALID if period.code == "not_yet_valid" else Verdict.EXPIRED
    return Verdict.VALID


# --- a stored credential (the /v/<code> page) ------------------------------------------------


def _status_entries(credential: Credential) -> list[dict]:
    return list(
        StatusListEntry.objects.filter(credential=credential)
        .order_by("status_list__purpose")
        .values("index", "status_list_id", "status_list__purpose", "status_list__version")
    )


def _stored_static_checks(
    credential: Credential, entries: list[dict]
) -> tuple[tuple[list[Check], bool, bool], bool]:
    """((checks, revoked, suspended), cacheable): what depends only on the stored document and lists.

    Cacheable by the status-list versions unless a later key retirement could change the answer.
    """
    text = credential.signed_document
    intact = hashlib.sha256(text.encode("utf-8")).hexdigest() == credential.document_sha256
    checks = [
        Check(
            "integrity",
            intact,
            "The stored document is byte for byte the one signed at issue."
            if intact
            else "The stored document differs from the one signed at issue.",
            "" if intact else "integrity",
        )
    ]
    signature_checks, cacheable = _signature_checks(
        json.loads(text), f"proof-verified:v3:{credential.document_sha256}"
    )
    checks += signature_checks
    status = CredentialStatus(credential.status)
    checks.append(
        Check(
            "status",
            status == CredentialStatus.ISSUED,
            {
                CredentialStatus.ISSUED: "Neither revoked nor suspended.",
                CredentialStatus.SUSPENDED: "Suspended by the issuer.",
                CredentialStatus.REVOKED: "Revoked by the issuer.",
            }[status],
            "" if status == CredentialStatus.ISSUED else str(status),
        )
    )
    bits_by_list = dict(
        StatusList.objects.filter(pk__in=[entry["status_list_id"] for entry in entries]).values_list(
            "pk", "bits"
        )
    )
    published = {
        entry["status_list__purpose"]: bit_get(bytes(bits_by_list[entry["status_list_id"]]), entry["index"])
        for entry in entries
    }
    revoked_bit = published.get(StatusPurpose.REVOCATION, False)
    suspended_bit = published.get(StatusPurpose.SUSPENSION, False)
    expected_revoked = status == CredentialStatus.REVOKED
    expected_suspended = status == CredentialStatus.SUSPENDED
    agree = revoked_bit == expected_revoked and (expected_revoked or suspended_bit == expected_suspended)
    if not entries:
        checks.append(Check("status_list", True, "The credential carries no status list entry."))
    else:
        checks.append(
            Check(
                "status_list",
                agree,
                "The published status lists say the same: "
                + (
                    "revoked."
                    if revoked_bit
                    else "suspended."
                    if suspended_bit
                    else "neither revoked nor suspended."
                )
                if agree
                else "The published status lists disagree with the issuer's records.",
                "" if agree else "status_list_mismatch",
            )
        )
    return (checks, expected_revoked or revoked_bit, expected_suspended or suspended_bit), cacheable


def verification_run_for_credential(*, credential: Credential) -> VerificationReport:
    """Check a portal-issued credential and give one verdict with every check spelled out.

    Everything but the validity period is cached per credential, document and status-list
    version, so a page of a credential whose lists did not change never re-canonicalises it.
    """
    entries = _status_entries(credential)
    versions = ",".join(f"{e['status_list_id']}.{e['status_list__version']}" for e in entries)
    cache_key = f"verification:v2:{credential.pk}:{credential.document_sha256}:{credential.status}:{versions}"
    cached = cache.get(cache_key)
    if cached is None:
        cached, cacheable = _stored_static_checks(credential, entries)
        if cacheable:
            cache.set(cache_key, cached, timeout=PROOF_CACHE_SECONDS)
    static_checks, revoked, suspended = cached
    checks = [*static_checks, _validity_check(credential.valid_from, credential.valid_until, clock.now())]
    return VerificationReport(
        verdict=_verdict(checks, revoked=revoked, suspended=suspended),
        checks=checks,
        credential=credential,
        issuer=None,
    )


# --- an uploaded or posted document -----------------------------------------------------------


def _failed_report(check: Check, *, document: dict | None = None) -> VerificationReport:
    return VerificationReport(verdict=Verdict.INVALID, checks=[check], document=document)


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _format_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "The JSON is not an object, so it is not a credential."
    contexts = document.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != VC_V2_CONTEXT:
        return f"A Verifiable Credential 2.0 starts its @context with {VC_V2_CONTEXT}."
    if "VerifiableCredential" not in _types(document.get("type")):
        return "Its type does not include VerifiableCredential."
    if not isinstance(document.get("credentialSubject"), dict | list):
        return "It has no credentialSubject."
    if "proof" not in document:
        return "It carries no proof, so nobody vouches for it."
    return None


def _context_urls(node: Any, depth: int = 0) -> Iterable[str]:
    """Every string @context anywhere in the document (inline contexts are searched too)."""
    if depth > 64:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@import" and isinstance(value, str):
                yield value
            elif key == "@context":
                for entry in value if isinstance(value, list) else [value]:
                    if isinstance(entry, str):
                        yield entry
                    else:
                        yield from _context_urls(entry, depth + 1)
            else:
                yield from _context_urls(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _context_urls(item, depth + 1)


def _contexts_check(document: dict) -> Check:
    pinned = portal_document_loader().urls
    unknown = sorted({url for url in _context_urls(document) if url not in pinned})
    if unknown:
        return Check(
            "contexts",
            False,
            "It uses JSON-LD contexts this portal does not hold, and never fetches: "
            + ", ".join(unknown[:5]),
            "unknown_context",
        )
    return Check("contexts", True, "Every JSON-LD context is one the portal holds a pinned copy of.")


def _status_list_key(url: str) -> tuple[str, str, int] | None:
    """(institution slug, purpose, sequence) of a status list URL of this portal, else None."""
    public = urlsplit(settings.MCPORTAL_PUBLIC_URL)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (public.scheme, public.netloc):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.view_name != "credentials:status_list":
        return None
    return match.kwargs["institution"], match.kwargs["purpose"], match.kwargs["sequence"]


class _StatusEntryInvalid(ValueError):
    """A status entry that cannot be checked as written (a malformed credential)."""


def _status_entry_parse(entry: Any, warnings: list[str]) -> tuple[tuple[str, str, int], str, int] | None:
    """(list key, purpose, index) of a BitstringStatusListEntry of this portal; None (warned) otherwise."""
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        warnings.append("A status entry of an unsupported type was not checked.")
        return None
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    try:
        index = int(entry.get("statusListIndex"))
    except (TypeError, ValueError):
        raise _StatusEntryInvalid("A status entry has no valid index.") from None
    key = _status_list_key(url) if isinstance(url, str) else None
    if key is None:
        warnings.append(
            f"The {purpose or 'status'} list at {str(url)[:200]} is not this portal's; "
            "it was not fetched, so that status is unknown."
        )
        return None
    if key[1] != purpose:
        raise _StatusEntryInvalid("A status entry names the wrong purpose for its list.")
    return key, purpose, index


def _status_bits(
    parsed: list[tuple[tuple[str, str, int], str, int]], warnings: list[str]
) -> list[tuple[str, bool]]:
    """Read every entry's bit with one query over the lists they name."""
    if not parsed:
        return []
    wanted = Q()
    for (slug, purpose, sequence), _purpose, _index in parsed:
        wanted |= Q(institution__slug=slug, purpose=purpose, sequence=sequence)
    rows = StatusList.objects.filter(wanted).values("institution__slug", "purpose", "sequence", "bits")
    lists = {(row["institution__slug"], row["purpose"], row["sequence"]): bytes(row["bits"]) for row in rows}
    bits = []
    for key, purpose, index in parsed:
        if key not in lists:
            warnings.append(f"The {purpose} list this credential names does not exist on this portal.")
            continue
        try:
            bits.append((purpose, bit_get(lists[key], index)))
        except BitstringError as error:
            raise _StatusEntryInvalid(str(error)) from None
    return bits


def _status_checks(document: dict) -> tuple[list[Check], list[str], bool, bool]:
    """Read this portal's status bits for the document's entries; other hosts' lists are warnings."""
    entries = document.get("credentialStatus")
    if entries is None:
        return [], ["The credential carries no status entry: its issuer cannot revoke it."], False, False
    warnings: list[str] = []
    listed = entries if isinstance(entries, list) else [entries]
    try:
        parsed = [_status_entry_parse(entry, warnings) for entry in listed]
        read = _status_bits([item for item in parsed if item is not None], warnings)
    except _StatusEntryInvalid as error:
        return [Check("status_list", False, str(error), "status_entry_invalid")], warnings, False, False
    revoked = any(bit for purpose, bit in read if purpose == StatusPurpose.REVOCATION)
    suspended = any(bit for purpose, bit in read if purpose == StatusPurpose.SUSPENSION)
    if revoked or suspended:
        detail = "The issuer's status list says: " + ("revoked." if revoked else "suspended.")
        return (
            [Check("status", False, detail, "revoked" if revoked else "suspended")],
            warnings,
            revoked,
            suspended,
        )
    if read:
        passed = Check("status", True, "The issuer's status lists say: neither revoked nor suspended.")
        return [passed], warnings, False, False
    return [], warnings, False, False


def _stored_match(document: dict) -> Credential | None:
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id.startswith("urn:uuid:"):
        return None
    try:
        public_id = uuid.UUID(credential_id.removeprefix("urn:uuid:"))
    except ValueError:
        return None
    return credential_get_by_public_id(public_id=public_id)


def verification_run_for_document(*, document: Any) -> VerificationReport:
    """Verify a parsed JSON credential from anywhere (did:key, or this portal's did:web)."""
    problem = _format_problem(document)
    if problem is not None:
        return _failed_report(Check("format", False, problem, "not_a_credential"))
    checks = [Check("format", True, "A Verifiable Credential 2.0 with a proof.")]
    contexts = _contexts_check(document)
    checks.append(contexts)
    if not contexts.passed:
        return VerificationReport(verdict=Verdict.INVALID, checks=checks, document=document)
    try:
        canonical_bytes = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):
        return _failed_report(Check("format", False, "The JSON cannot be read back.", "not_a_credential"))
    signature_checks, _cacheable = _signature_checks(
        document, "proof-verified:doc:v2:" + hashlib.sha256(canonical_bytes).hexdigest()
    )
    checks += signature_checks
    if any(check.code == "unknown_issuer" for check in signature_checks):
        return VerificationReport(verdict=Verdict.UNKNOWN_ISSUER, checks=checks, document=document)
    status_checks, warnings, revoked, suspended = _status_checks(document)
    checks += status_checks
    try:
        valid_from = _parse_moment(document["validFrom"]) if "validFrom" in document else None
        valid_until = _parse_moment(document["validUntil"]) if "validUntil" in document else None
    except ValueError:
        checks.append(
            Check("validity_period", False, "validFrom or validUntil is not a date and time.", "bad_dates")
        )
        checks.append(Check("format", False, "The validity dates cannot be read.", "bad_dates"))
        return VerificationReport(
            verdict=Verdict.INVALID, checks=checks, document=document, warnings=warnings
        )
    checks.append(_validity_check(valid_from, valid_until, clock.now()))
    signature_ok = all(check.passed for check in checks if check.name in ("signature", "issuer_key"))
    return VerificationReport(
        verdict=_verdict(checks, revoked=revoked, suspended=suspended),
        checks=checks,
        warnings=warnings,
        document=document,
        credential=_stored_match(document) if signature_ok else None,
    )


def verification_run_for_json_bytes(*, data: bytes) -> VerificationReport:
    """Parse untrusted bytes as JSON and verify them; malformed input is an invalid verdict."""
    if len(data) > upload_max_bytes():
        return _too_large()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        return _failed_report(Check("format", False, f"This is not valid JSON ({error}).", "malformed_json"))
    except RecursionError:
        return _failed_report(Check("format", False, "The JSON is nested too deeply.", "malformed_json"))
    return verification_run_for_document(document=document)


def _too_large() -> VerificationReport:
    limit = upload_max_bytes()
    return _failed_report(
        Check(
            "size", False, f"The document is larger than {limit // 1024} KiB; nothing was read.", "too_large"
        )
    )


# --- a sealed PDF ---------------------------------------------------------------------------


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def pdf_printed_text(pdf_bytes: bytes) -> str:
    """The text printed on the PDF's pages (empty if it cannot be read)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(pdf_bytes))
        return "\n".join(page.extract_text() or "" for page in reader.pages[:10])
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        logger.info("PDF text could not be extracted: %s", error)
        return ""


def _holder_name(document: dict) -> str | None:
    subject = document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    if not isinstance(subject, dict):
        return None
    for identifier in subject.get("identifier") or []:
        if (
            isinstance(identifier, dict)
            and identifier.get("identityType") == "name"
            and not identifier.get("hashed")
        ):
            return identifier.get("identityHash")
    name = subject.get("name")
    return name if isinstance(name, str) else None


def _agreement_check(pdf_bytes: bytes, document: dict, credential: Credential | None) -> Check:
    printed = _normalised(pdf_printed_text(pdf_bytes))
    expected = {"holder's name": _holder_name(document), "title": document.get("name")}
    if credential is not None:
        expected["verification code"] = credential.verification_code
    missing = [
        label
        for label, value in expected.items()
        if isinstance(value, str) and _normalised(value) not in printed
    ]
    if not printed:
        return Check(
            "pdf_agreement", False, "No printed text could be read from the PDF.", "pdf_text_unreadable"
        )
    if missing:
        return Check(
            "pdf_agreement",
            False,
            "The printed PDF does not show the embedded credential's " + ", ".join(missing) + ".",
            "pdf_mismatch",
        )
    return Check("pdf_agreement", True, "The printed name, title and code match the embedded credential.")


def verification_run_for_pdf(*, pdf_bytes: bytes) -> VerificationReport:
    """Validate the PDF's seal and timestamp, then verify the credential it embeds and compare."""
    if len(pdf_bytes) > upload_max_bytes():
        return _too_large()
    pades = validate_pades(pdf_bytes=pdf_bytes, trust_roots=pdf_trust_roots())
    seal_ok = pades.verdict in (
        PadesVerdict.VALID,
        PadesVerdict.TIMESTAMP_MISSING,
        PadesVerdict.TIMESTAMP_INVALID,
    )
    seal_detail = (
        str(pades.detail)
        if not seal_ok
        else (
            f"Sealed by {pades.signer_subject}; the PDF has not changed since."
            if pades.signer_subject
            else str(pades.detail)
        )
    )
    checks = [Check("pdf_seal", seal_ok, seal_detail, "" if seal_ok else f"pdf_{pades.verdict}")]
    if seal_ok:
        ts_ok = pades.verdict is PadesVerdict.VALID
        checks.append(
            Check(
                "pdf_timestamp",
                ts_ok,
                f"Timestamped {pades.timestamp_time:%d %B %Y %H:%M} UTC by {pades.timestamp_authority}."
                if ts_ok and pades.timestamp_time
                else str(pades.detail),
                "" if ts_ok else f"pdf_{pades.verdict}",
            )
        )
    if not seal_ok:
        return VerificationReport(verdict=Verdict.INVALID, checks=checks)
    if pades.embedded_credential is None:
        checks.append(
            Check("pdf_embedded", False, "The PDF carries no embedded credential.", "pdf_no_credential")
        )
        return VerificationReport(verdict=Verdict.INVALID, checks=checks)
    embedded = verification_run_for_json_bytes(data=pades.embedded_credential)
    checks.append(
        Check("pdf_embedded", True, "The PDF embeds a credential (credential.json), checked below.")
    )
    checks += embedded.checks
    if embedded.document is not None:
        checks.append(_agreement_check(pdf_bytes, embedded.document, embedded.credential))
    revoked = embedded.verdict == Verdict.REVOKED
    suspended = embedded.verdict == Verdict.SUSPENDED
    verdict = (
        embedded.verdict
        if embedded.verdict in (Verdict.UNKNOWN_ISSUER,)
        else _verdict(checks, revoked=revoked, suspended=suspended)
    )
    return VerificationReport(
        verdict=verdict,
        checks=checks,
        warnings=embedded.warnings,
        document=embedded.document,
        credential=embedded.credential,
    )


def verification_run_for_upload(*, data: bytes) -> VerificationReport:
    """A PDF (by its header) or a JSON document, as uploaded or pasted."""
    if len(data) > upload_max_bytes():
        return _too_large()
    if b"%PDF-" in data[:1024]:
        return verification_run_for_pdf(pdf_bytes=data)
    return verification_run_for_json_bytes(data=data)


def verification_too_large() -> VerificationReport:
    """The report for an upload refused by its size before it was read."""
    return _too_large()


def verification_event_record(*, report: VerificationReport, method: VerificationMethod) -> VerificationEvent:
    """Record that a verification happened and its verdict (no IP, no document, no personal data)."""
    credential = report.credential if isinstance(report.credential, Credential) else None
    return VerificationEvent.objects.create(
        credential=credential,
        institution_id=credential.institution_id if credential is not None else None,
        method=method,
        verdict=report.verdict,
    )
