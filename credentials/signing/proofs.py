"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite: pure create and verify functions."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credentials.jsonld.canonical import CanonicalizationError, canonicalize
from credentials.jsonld.loader import ContextNotPinned, DocumentLoader
from credentials.signing.multikey import MultikeyError, base58btc_encode, multibase_decode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION_METHOD = "assertionMethod"
_SIGNATURE_LENGTH = 64
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# XML Schema dateTimeStamp (what VC/DI require of "created" made by other issuers).
_DATE_TIME_STAMP = re.compile(
    r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$"
)


@dataclass(frozen=True)
class ProofVerification:
    """Outcome of checking one proof; ``errors`` says why it failed, in plain words."""

    verified: bool
    verification_method: str | None
    errors: tuple[str, ...] = ()


def format_timestamp(moment: datetime) -> str:
    """Return an aware datetime as UTC ``YYYY-MM-DDTHH:MM:SSZ`` (fractional seconds dropped)."""
    if moment.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def proof_create(
    *,
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    proof_purpose: str = ASSERTION_METHOD,
    document_loader: DocumentLoader,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an eddsa-rdfc-2022 DataIntegrityProof attached.

    Raises UnsafeDocument if any content would go unsigned, ContextNotPinned for an unknown
    context, and ValueError/TypeError if the input is not a JSON object without a proof.
    """
    if not isinstance(document, dict):
        raise TypeError("document must be a dict")
    if "proof" in document:
        raise ValueError("document already has a proof")
    if isinstance(created, datetime):
        created = format_timestamp(created)
    elif not _TIMESTAMP.match(created):
        raise ValueError("created must look like 2024-01-31T12:00:00Z")
    # A JSON round trip copies the input and rejects what JSON cannot carry (NaN, sets, …).
    unsigned = json.loads(json.dumps(document, ensure_ascii=False, allow_nan=False))
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = private_key.sign(_hash_data(unsigned, options, document_loader))
    return {**unsigned, "proof": {**options, "proofValue": "z" + base58btc_encode(signature)}}


def proof_verify(
    *,
    document: dict[str, Any],
    resolve_public_key: Callable[[str], Ed25519PublicKey],
    document_loader: DocumentLoader,
    expected_proof_purpose: str = ASSERTION_METHOD,
) -> ProofVerification:
    """Check the document's single eddsa-rdfc-2022 proof; never raises for bad input.

    ``resolve_public_key`` maps a verification method id to its key and should raise
    LookupError or ValueError if it cannot (that becomes an error in the result).
    """
    if not isinstance(document, dict):
        return _failed(None, "document is not a JSON object")
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            return _failed(None, f"document has {len(proof)} proofs; exactly one is supported")
        proof = proof[0]
    if proof is None:
        return _failed(None, "document has no proof")
    if not isinstance(proof, dict):
        return _failed(None, "proof is not a JSON object")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method:
        return _failed(None, "proof.verificationMethod is missing or not a string")
    errors = _proof_option_errors(proof, expected_proof_purpose)
    signature, value_error = _decode_proof_value(proof.get("proofValue"))
    errors.extend(value_error)
    if errors:
        return _failed(method, *errors)
    try:
        public_key = resolve_public_key(method)
    except (LookupError, ValueError) as error:
        return _failed(method, f"verification method {method!r} could not be resolved: {error}")
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    try:
        hash_data = _hash_data(unsigned, options, document_loader)
    except ContextNotPinned as error:
        return _failed(method, str(error))
    except CanonicalizationError as error:
        return _failed(method, f"document cannot be canonicalised: {error}")
    except RecursionError:
        return _failed(method, "document is nested too deeply to canonicalise")
    try:
        public_key.verify(signature, hash_data)
    except InvalidSignature:
        return _failed(
            method,
            "signature does not match: the document or proof options were altered, "
            "or it was signed with a different key",
        )
    return ProofVerification(verified=True, verification_method=method)


def _hash_data(unsigned: dict[str, Any], options: dict[str, Any], document_loader: DocumentLoader) -> bytes:
    """SHA-256(canonical proof config) ‖ SHA-256(canonical document), as the suite specifies."""
    proof_config = {"@context": unsigned.get("@context"), **options}
    config_hash = hashlib.sha256(
        canonicalize(proof_config, document_loader=document_loader).encode("utf-8")
    ).digest()
    document_hash = hashlib.sha256(
        canonicalize(unsigned, document_loader=document_loader).encode("utf-8")
    ).digest()
    return config_hash + document_hash


def _proof_option_errors(proof: dict[str, Any], expected_purpose: str) -> list[str]:
    errors = []
    if proof.get("type") != PROOF_TYPE:
        errors.append(f"proof type {proof.get('type')!r} is not {PROOF_TYPE!r}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        errors.append(f"cryptosuite {proof.get('cryptosuite')!r} is not {CRYPTOSUITE!r}")
    if proof.get("proofPurpose") != expected_purpose:
        errors.append(f"proof purpose {proof.get('proofPurpose')!r} is not the expected {expected_purpose!r}")
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _DATE_TIME_STAMP.match(created)):
        errors.append(f"proof.created {created!r} is not an XML Schema dateTimeStamp")
    return errors


def _decode_proof_value(value: Any) -> tuple[bytes, list[str]]:
    if not isinstance(value, str):
        return b"", ["proof.proofValue is missing or not a string"]
    try:
        signature = multibase_decode(value)
    except MultikeyError as error:
        return b"", [f"proof.proofValue is not base58btc multibase: {error}"]
    if len(signature) != _SIGNATURE_LENGTH:
        return b"", [f"proof.proofValue decodes to {len(signature)} bytes, not 64"]
    return signature, []


def _failed(method: str | None, *errors: str) -> ProofVerification:
    return ProofVerification(verified=False, verification_method=method, errors=errors)
