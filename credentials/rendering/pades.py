"""PAdES baseline B-T sealing of certificate PDFs with pyHanko, and their validation into a report.

Pure functions over bytes: no database work. A remote TSA call must happen outside any database
transaction (conventions 4.5 rule 3); ``sign_pades`` refuses to make one inside a transaction.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.db import transaction
from django.utils.translation import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    KeyUsageConstraints,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .caches import ParsedKeyCache
from .pki import SigningPrivateKey, certificate_fingerprint
from .seal_integrity import bagged_certificates_all_verified, container_is_canonical
from .timestamping import timestamper_is_remote

logger = logging.getLogger(__name__)

SIGNATURE_FIELD_NAME = "mcportal-seal"
CREDENTIAL_ATTACHMENT_NAME = "credential.json"
_MD_ALGORITHM = "sha256"
_PDF_HEADER = b"%PDF-"
# The header may follow up to 1 KiB of junk (ISO 32000-2, annex: readers tolerate it).
_HEADER_SEARCH_BYTES = 1024
_NAME_TREE_MAX_DEPTH = 8


class PadesError(Exception):
    """Sealing a PDF failed."""


class TimestampingFailed(PadesError):
    """The TSA could not be reached or refused the request; retrying later may succeed."""


class RemoteTimestampInTransaction(PadesError):
    """A remote TSA call was attempted inside a database transaction; seal after commit instead."""


class PadesVerdict(enum.StrEnum):
    """The one-word outcome of validating a sealed PDF (most serious problem wins)."""

    VALID = "valid"
    NOT_A_PDF = "not_a_pdf"
    DAMAGED = "damaged"
    UNSIGNED = "unsigned"
    MODIFIED = "modified"
    SIGNATURE_INVALID = "signature_invalid"
    UNTRUSTED = "untrusted"
    TIMESTAMP_MISSING = "timestamp_missing"
    TIMESTAMP_INVALID = "timestamp_invalid"


@dataclass(frozen=True)
class PadesReport:
    """What validating a PDF's seal found; ``detail`` explains the verdict in a sentence.

    ``embedded_credential`` is read from the revision the seal covers; it is vouched for only when
    the verdict is VALID (an unsealed PDF's attachment is reported too, but proves nothing).
    """

    verdict: PadesVerdict
    detail: str
    signature_count: int = 0
    intact: bool = False
    signature_valid: bool = False
    trusted: bool = False
    covers_whole_document: bool = False
    signer_subject: str | None = None
    signer_reported_time: datetime | None = None
    timestamp_present: bool = False
    timestamp_valid: bool = False
    timestamp_time: datetime | None = None
    timestamp_authority: str | None = None
    embedded_credential: bytes | None = field(default=None, repr=False)

    @property
    def is_valid(self) -> bool:
        return self.verdict is PadesVerdict.VALID


class PreparedSigner(Signer):
    """A pyHanko signer holding an already parsed private key, reusable for many signatures.

    pyHanko's SimpleSigner re-parses its key on every signature (~200 ms for RSA-3072); this
    signer parses nothing per signature.
    """

    def __init__(
        self,
        *,
        private_key: SigningPrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise PadesError("Only RSA and ECDSA keys are supported for sealing PDFs.")
        if private_key.public_key().public_numbers() != certificate.public_key().public_numbers():
            raise PadesError("The private key does not belong to the signing certificate.")
        self._private_key = private_key
        self._reserved_bytes: weakref.WeakKeyDictionary[TimeStamper, int] = weakref.WeakKeyDictionary()
        super().__init__(
            signing_cert=_to_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs([_to_asn1(cert) for cert in chain]),
            # A verifier brings its own trust anchor; an embedded root is bytes no signature covers.
            embed_roots=False,
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the mechanism pyHanko chose for the certificate's key."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        hash_algorithm = getattr(hashes, digest_algorithm.upper())()
        if isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(hash_algorithm))
        if mechanism.signature_algo == "rsassa_pss":
            pss = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
            return self._private_key.sign(data, pss, hash_algorithm)
        return self._private_key.sign(data, padding.PKCS1v15(), hash_algorithm)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def reserved_bytes(self, timestamper: TimeStamper) -> int:
        """Room to leave for the signature with this timestamper, estimated once and remembered.

        pyHanko otherwise builds a throw-away signature and timestamp for every PDF to size the
        placeholder, which doubles the cost of sealing.
        """
        reserved = self._reserved_bytes.get(timestamper)
        if reserved is None:
            dummy_digest = hashlib.new(_MD_ALGORITHM).digest()
            sample = asyncio.run(
                self.async_sign(
                    dummy_digest, _MD_ALGORITHM, dry_run=True, use_pades=True, timestamper=timestamper
                )
            )
            hex_length = 2 * len(sample.dump())
            # The same 50 % margin pyHanko applies: a TSA's answers need not all have one size.
            reserved = hex_length + 2 * (hex_length // 4)
            self._reserved_bytes[timestamper] = reserved
        return reserved


_signers: ParsedKeyCache[PreparedSigner] = ParsedKeyCache()


def pades_signer_get(
    *,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    load_private_key: Callable[[], SigningPrivateKey],
) -> PreparedSigner:
    """Return the process-wide signer for this certificate; ``load_private_key`` runs only on a miss.

    Decrypting and parsing the key happens once per certificate per process, so a worker seals
    PDF after PDF at the cost of the signature alone. A rotated key has a new certificate and
    therefore its own entry.
    """
    key = (certificate_fingerprint(certificate), *map(certificate_fingerprint, chain))
    return _signers.get_or_build(
        key,
        lambda: PreparedSigner(private_key=load_private_key(), certificate=certificate, chain=chain),
    )


def pades_signer_cache_clear() -> None:
    """Forget every cached signer (after a key rotation, or between tests)."""
    _signers.clear()


def sign_pades(
    *,
    pdf: bytes,
    signer: PreparedSigner,
    timestamper: TimeStamper,
    reason: str,
    location: str = "",
) -> bytes:
    """Seal ``pdf`` as PAdES baseline B-T (CAdES-detached signature + RFC 3161 signature timestamp).

    Anything the PDF must carry (the embedded credential) has to be in it already: the seal covers
    the whole file, and any later change breaks it. Raises TimestampingFailed if the TSA fails.
    """
    if timestamper_is_remote(timestamper) and transaction.get_connection().in_atomic_block:
        raise RemoteTimestampInTransaction(
            "The remote TSA must not be called inside a database transaction; seal after commit."
        )
    metadata = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD_NAME,
        md_algorithm=_MD_ALGORITHM,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
    except PdfError as error:
        raise PadesError(f"The document to seal is not a readable PDF: {error}") from error
    try:
        reserved = signer.reserved_bytes(timestamper)
        output = PdfSigner(metadata, signer=signer, timestamper=timestamper).sign_pdf(
            writer, bytes_reserved=reserved
        )
    except TimestampRequestError as error:
        raise TimestampingFailed(f"The timestamping authority failed: {error}") from error
    except (SigningError, PdfError) as error:
        raise PadesError(f"Sealing the PDF failed: {error}") from error
    return output.getvalue()


def validate_pades(*, pdf_bytes: bytes, trust_roots: Sequence[x509.Certificate]) -> PadesReport:
    """Validate the first (issuer's) seal of an untrusted PDF against ``trust_roots``; never raises.

    Checks integrity, coverage of the whole document (later B-LT/B-LTA additions allowed), the
    signer's chain, and the RFC 3161 signature timestamp; makes no network call. When the signer's
    certificate has since expired, it is judged at the time proven by a trusted timestamp.
    """
    if not isinstance(pdf_bytes, bytes | bytearray) or _PDF_HEADER not in pdf_bytes[:_HEADER_SEARCH_BYTES]:
        return PadesReport(PadesVerdict.NOT_A_PDF, _("The file is not a PDF document."))
    try:
        reader = PdfFileReader(BytesIO(bytes(pdf_bytes)))
        signatures = reader.embedded_signatures
    # Untrusted input: whatever a damaged or hostile file makes the parser raise is a verdict.
    except Exception:  # noqa: BLE001
        logger.info("PDF could not be parsed for seal validation", exc_info=True)
        return PadesReport(PadesVerdict.DAMAGED, _("The PDF is damaged and cannot be read."))
    seals = [signature for signature in signatures if signature.sig_object_type == "/Sig"]
    if not seals:
        return PadesReport(
            PadesVerdict.UNSIGNED,
            _("The PDF carries no electronic seal."),
            embedded_credential=_embedded_credential_or_none(reader, revision=None),
        )
    seal = seals[0]
    try:
        container_intact = container_is_canonical(
            pdf_bytes=bytes(pdf_bytes), byte_range=seal.byte_range, container=seal.pkcs7_content
        )
        if not container_intact:
            return PadesReport(
                PadesVerdict.MODIFIED,
                _("The seal's signature container was changed after sealing."),
                signature_count=len(seals),
            )
        status = _validate_seal(seal, [_to_asn1(root) for root in trust_roots])
        return _report(seal, status, reader, signature_count=len(seals))
    except Exception:  # noqa: BLE001  (same reason: a malformed CMS blob is a verdict, not a crash)
        logger.info("PDF seal could not be validated", exc_info=True)
        return PadesReport(
            PadesVerdict.DAMAGED,
            _("The seal in the PDF is damaged and cannot be checked."),
            signature_count=len(seals),
        )


def _validate_seal(seal: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate]) -> PdfSignatureStatus:
    key_usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    now_context = ValidationContext(trust_roots=roots, allow_fetching=False)
    status = validate_pdf_signature(seal, signer_validation_context=now_context, key_usage_settings=key_usage)
    timestamp = status.timestamp_validity
    proven_time_helps = (
        status.intact
        and status.valid
        and not status.trusted
        and timestamp is not None
        and timestamp.intact
        and timestamp.valid
        and timestamp.trusted
        and seal.signer_cert["tbs_certificate"]["validity"]["not_after"].native > timestamp.timestamp
    )
    if not proven_time_helps:
        return status
    # Long-term validation: the timestamp proves the seal existed while the certificate was valid.
    proven_context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=timestamp.timestamp)
    return validate_pdf_signature(
        seal,
        signer_validation_context=proven_context,
        ts_validation_context=now_context,
        key_usage_settings=key_usage,
    )


def _report(
    seal: EmbeddedPdfSignature, status: PdfSignatureStatus, reader: PdfFileReader, *, signature_count: int
) -> PadesReport:
    timestamp = status.timestamp_validity
    covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # A later revision is fine only if it merely adds validation data or document timestamps;
    # bytes appended without a revision (ModificationLevel.NONE) are a change like any other.
    coverage_ok = covers_whole_document or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level == ModificationLevel.LTA_UPDATES
    )
    timestamp_valid = bool(timestamp and timestamp.intact and timestamp.valid and timestamp.trusted)
    verdict, detail = _verdict(status, coverage_ok=coverage_ok, timestamp_valid=timestamp_valid)
    if verdict is PadesVerdict.VALID and not bagged_certificates_all_verified(
        container=seal.pkcs7_content,
        validation_paths=[status.validation_path, timestamp.validation_path],
    ):
        verdict, detail = (
            PadesVerdict.MODIFIED,
            _("The seal carries a certificate that was changed or is unused."),
        )
    return PadesReport(
        verdict=verdict,
        detail=detail,
        signature_count=signature_count,
        intact=status.intact,
        signature_valid=status.valid,
        trusted=status.trusted,
        covers_whole_document=covers_whole_document,
        signer_subject=status.signing_cert.subject.human_friendly,
        signer_reported_time=status.signer_reported_dt,
        timestamp_present=timestamp is not None,
        timestamp_valid=timestamp_valid,
        timestamp_time=timestamp.timestamp if timestamp is not None else None,
        timestamp_authority=timestamp.signing_cert.subject.human_friendly if timestamp is not None else None,
        embedded_credential=_embedded_credential_or_none(reader, revision=seal.signed_revision),
    )


def _verdict(
    status: PdfSignatureStatus, *, coverage_ok: bool, timestamp_valid: bool
) -> tuple[PadesVerdict, str]:
    if not status.intact:
        return PadesVerdict.MODIFIED, _("The PDF was changed after it was sealed.")
    if not coverage_ok:
        return PadesVerdict.MODIFIED, _("Content was added to the PDF after it was sealed.")
    if not status.valid:
        return PadesVerdict.SIGNATURE_INVALID, _("The seal's signature value is not valid.")
    if not status.trusted:
        return PadesVerdict.UNTRUSTED, _(
            "The seal's certificate does not lead to a trusted authority, or was not valid when used."
        )
    if status.timestamp_validity is None:
        return PadesVerdict.TIMESTAMP_MISSING, _("The seal carries no trusted timestamp.")
    if not timestamp_valid:
        return PadesVerdict.TIMESTAMP_INVALID, _("The seal's timestamp is not valid or not trusted.")
    return PadesVerdict.VALID, _("The seal is valid and covers the whole document.")


def embedded_file_read(pdf_bytes: bytes, name: str = CREDENTIAL_ATTACHMENT_NAME) -> bytes | None:
    """Return the embedded file ``name`` of the latest revision, or None; unchecked, and raises
    PdfError on an unreadable PDF (use ``validate_pades`` for untrusted input)."""
    reader = PdfFileReader(BytesIO(pdf_bytes))
    return _embedded_files(reader.root).get(name)


def _embedded_credential_or_none(reader: PdfFileReader, *, revision: int | None) -> bytes | None:
    try:
        root = reader.root if revision is None else reader.get_historical_root(revision)
        return _embedded_files(root).get(CREDENTIAL_ATTACHMENT_NAME)
    except Exception:  # noqa: BLE001  (untrusted input: a broken attachment means "no credential")
        logger.info("Embedded credential could not be read", exc_info=True)
        return None


def _embedded_files(root: generic.DictionaryObject) -> dict[str, bytes]:
    names = _entry(root, "/Names")
    tree = _entry(names, "/EmbeddedFiles") if names is not None else None
    files: dict[str, bytes] = {}
    if tree is not None:
        _collect_name_tree(tree, files, depth=0)
    return files


def _collect_name_tree(node: generic.DictionaryObject, files: dict[str, bytes], *, depth: int) -> None:
    if depth > _NAME_TREE_MAX_DEPTH:
        return
    for kid in _entry(node, "/Kids") or ():
        _collect_name_tree(kid.get_object(), files, depth=depth + 1)
    entries = list(_entry(node, "/Names") or ())
    for name, spec_reference in zip(entries[::2], entries[1::2], strict=False):
        spec = spec_reference.get_object()
        embedded = _entry(spec, "/EF")
        stream = (_entry(embedded, "/UF") or _entry(embedded, "/F")) if embedded is not None else None
        if stream is not None:
            file_name = str(_entry(spec, "/UF") or _entry(spec, "/F") or name)
            files.setdefault(file_name, stream.data)


def _entry(dictionary: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    """Look up ``key``, following indirect references (``.get`` would return the reference)."""
    try:
        return dictionary[key]
    except KeyError:
        return None


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
