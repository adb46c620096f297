"""Stored X.509 identities for PDF signing: store (or import PKCS#12), retire, load for signing.

The certificates themselves are made elsewhere (credentials/rendering/pki.py); this module keeps
them with their private key encrypted under the KEK. Writes are atomic and audited; a loaded
private key only leaves inside a LoadedDocumentSigningIdentity, whose repr hides it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from credentials.models import (
    KEY_TRANSITIONS,
    PORTAL_ONLY_KINDS,
    DocumentSigningIdentity,
    DocumentSigningIdentityKind,
    KeyStatus,
)
from credentials.rendering.pki import PkiError, document_signing_certificate_problems, pkcs12_bundle_load
from credentials.signing.keys import private_key_decrypt, private_key_encrypt
from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.exceptions import Conflict, FieldProblem, InvalidTransition, ProblemList, ValidationFailed
from mcportal.core.models import Institution

MINIMUM_RSA_BITS = 2048
SUPPORTED_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
_SUBJECT_MAX_LENGTH = 1024


class DocumentSigningIdentityMissing(Conflict):
    """No active identity of the wanted kind is stored for the institution (or the portal)."""

    def __init__(self, institution: Institution | None, kind: str) -> None:
        owner = institution.short_name if institution is not None else "The portal"
        label = DocumentSigningIdentityKind(kind).label
        super().__init__(f"{owner} has no active {label}.")
        self.institution = institution
        self.kind = kind


@dataclass(frozen=True)
class LoadedDocumentSigningIdentity:
    """An active identity's certificate and chain; the key is decrypted only when asked for.

    ``private_key`` fits pyHanko signer caches that take a loader and call it on a miss.
    """

    identity: DocumentSigningIdentity
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def private_key(self) -> PrivateKeyTypes:
        """Decrypt and return the private key (each call decrypts; never logged)."""
        return private_key_decrypt(
            self.identity.private_key_encrypted, associated_data=self.identity.encryption_associated_data()
        )


def document_signing_identity_qs_for_update() -> QuerySet[DocumentSigningIdentity]:
    """Identities locked for a read-modify-write, in pk order."""
    return DocumentSigningIdentity.objects.select_for_update(no_key=True).order_by("pk")


def _owned_by(queryset: QuerySet, institution: Institution | None) -> QuerySet:
    if institution is None:
        return queryset.filter(institution__isnull=True)
    return queryset.filter(institution=institution)


def _spki(public_key) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _key_problems(private_key: PrivateKeyTypes, problems: ProblemList) -> bool:
    """Add what is wrong with the key; return whether it is a usable key object at all."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < MINIMUM_RSA_BITS:
            problems.add(
                f"RSA keys need at least {MINIMUM_RSA_BITS} bits; this one has {private_key.key_size}.",
                field="private_key",
            )
    elif isinstance(private_key, ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, SUPPORTED_CURVES):
            problems.add(f"The curve {private_key.curve.name} is not supported.", field="private_key")
    else:
        # What credentials.rendering signs with: PDF seals and timestamps use RSA or ECDSA.
        problems.add("Only RSA and ECDSA (P-256/384/521) keys can sign PDFs.", field="private_key")
        return False
    return True


def _certificate_problems(
    *, institution: Institution | None, kind: str, certificate: x509.Certificate,
    private_key: PrivateKeyTypes, chain: Sequence[x509.Certificate],
) -> ProblemList:
    problems = ProblemList()
    if kind not in DocumentSigningIdentityKind.values:
        problems.add(f"Unknown kind {kind!r}.", field="kind")
        return problems
    if institution is not None and kind in PORTAL_ONLY_KINDS:
        problems.add(
            f"“{DocumentSigningIdentityKind(kind).label}” belongs to the portal, not to an institution.",
            field="institution",
        )
    if not isinstance(certificate, x509.Certificate):
        problems.add("The certificate is not an X.509 certificate.", field="certificate")
        return problems
    if any(not isinstance(item, x509.Certificate) for item in chain):
        problems.add("Every chain entry must be an X.509 certificate.", field="chain")
    key_usable = _key_problems(private_key, problems)
    if key_usable and _spki(certificate.public_key()) != _spki(private_key.public_key()):
        problems.add("The private key does not belong to the certificate.", field="private_key")
        key_usable = False
    if certificate.not_valid_after_utc <= clock.now():
        problems.add(
            f"The certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}.", field="certificate"
        )
    if kind == DocumentSigningIdentityKind.PORTAL_CA and not _is_ca(certificate):
        problems.add("A certificate authority needs the basicConstraints CA flag.", field="certificate")
    if kind == DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY and not _is_timestamping(certificate):
        problems.add(
            "A timestamp authority's certificate needs the timeStamping extended key usage.",
            field="certificate",
        )
    if kind == DocumentSigningIdentityKind.DOCUMENT_SIGNER and key_usable:
        # The sealing rules (not a CA, a signing key usage) live with the PAdES code. Asked at
        # the certificate's first moment, so that only those rules speak: expiry is checked
        # above, and a certificate that becomes valid later may be stored in advance.
        for message in document_signing_certificate_problems(
            private_key=private_key, certificate=certificate, at=certificate.not_valid_before_utc
        ):
            problems.add(message, field="certificate")
    return problems


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _is_timestamping(certificate: x509.Certificate) -> bool:
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.TIME_STAMPING in usages


def _pem(certificates: Sequence[x509.Certificate]) -> str:
    return "".join(item.public_bytes(Encoding.PEM).decode("ascii") for item in certificates)


def _retire(identity: DocumentSigningIdentity) -> None:
    if KeyStatus.RETIRED not in KEY_TRANSITIONS[KeyStatus(identity.status)]:
        raise InvalidTransition(identity.status, KeyStatus.RETIRED, entity="document signing identity")
    identity.status = KeyStatus.RETIRED
    identity.retired_at = clock.now()
    identity.save(update_fields=["status", "retired_at", "updated_at"])


def _lock_owner(institution: Institution | None) -> None:
    # Parent before child, as for signing keys; the portal's identities rely on the constraint.
    if institution is not None:
        list(Institution.objects.select_for_update(no_key=True).filter(pk=institution.pk))


@transaction.atomic
def document_signing_identity_store(
    *,
    institution: Institution | None,
    kind: str,
    certificate: x509.Certificate,
    private_key: PrivateKeyTypes,
    chain: Sequence[x509.Certificate] = (),
    actor,
) -> DocumentSigningIdentity:
    """Store a certificate, its chain and its key (encrypted); it becomes the active one of its kind.

    The previously active identity of the same kind and owner is retired in the same
    transaction. Raises ValidationFailed for a mismatched, expired or unsuitable certificate
    and Conflict if this certificate is stored already. Audited.
    """
    chain = tuple(chain)
    problems = _certificate_problems(
        institution=institution, kind=kind, certificate=certificate, private_key=private_key, chain=chain
    )
    if problems:
        raise ValidationFailed("The certificate cannot be used.", problems=problems.items)
    fingerprint = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    if DocumentSigningIdentity.objects.filter(fingerprint_sha256=fingerprint).exists():
        raise Conflict("This certificate is stored already.")
    _lock_owner(institution)
    previous = (
        _owned_by(document_signing_identity_qs_for_update(), institution)
        .filter(kind=kind, status=KeyStatus.ACTIVE)
        .first()
    )
    if previous is not None:
        _retire(previous)
    identity = DocumentSigningIdentity(
        institution=institution,
        kind=kind,
        certificate_pem=_pem([certificate]),
        chain_pem=_pem(chain),
        subject=certificate.subject.rfc4514_string()[:_SUBJECT_MAX_LENGTH],
        issuer=certificate.issuer.rfc4514_string()[:_SUBJECT_MAX_LENGTH],
        serial_number=format(certificate.serial_number, "x"),
        fingerprint_sha256=fingerprint,
        valid_from=certificate.not_valid_before_utc,
        valid_until=certificate.not_valid_after_utc,
    )
    identity.private_key_encrypted = private_key_encrypt(
        private_key, associated_data=identity.encryption_associated_data()
    )
    try:
        with transaction.atomic():
            identity.save()
    except IntegrityError:
        raise Conflict(
            "Another certificate of this kind was stored at the same moment; reload and try again."
        ) from None
    audit_record(
        actor=actor,
        action="document_signing_identity.stored",
        target=identity,
        institution=institution,
        data={
            "kind": kind,
            "subject": identity.subject,
            "fingerprint_sha256": fingerprint,
            "valid_until": identity.valid_until.isoformat(),
            "retired_fingerprint_sha256": previous.fingerprint_sha256 if previous else None,
        },
    )
    return identity


def document_signing_identity_import_pkcs12(
    *,
    institution: Institution | None,
    pkcs12_data: bytes,
    password: str | None,
    actor,
    kind: str = DocumentSigningIdentityKind.DOCUMENT_SIGNER,
) -> DocumentSigningIdentity:
    """Open a PKCS#12 file (e.g. a qualified seal) and store it as the active identity of its kind.

    Raises ValidationFailed if the file cannot be opened or holds no key and certificate.
    """
    try:
        bundle = pkcs12_bundle_load(
            data=pkcs12_data, passphrase=password.encode("utf-8") if password else None
        )
    except PkiError as error:
        raise ValidationFailed(str(error), problems=[FieldProblem(str(error), field="pkcs12")]) from None
    return document_signing_identity_store(
        institution=institution,
        kind=kind,
        certificate=bundle.certificate,
        private_key=bundle.private_key,
        chain=bundle.chain,
        actor=actor,
    )


@transaction.atomic
def document_signing_identity_retire(
    *, identity: DocumentSigningIdentity, actor
) -> DocumentSigningIdentity:
    """Retire an active identity: nothing signs with it any more. Audited."""
    _lock_owner(identity.institution)
    locked = document_signing_identity_qs_for_update().get(pk=identity.pk)
    _retire(locked)
    audit_record(
        actor=actor,
        action="document_signing_identity.retired",
        target=locked,
        institution=locked.institution,
        data={"kind": locked.kind, "fingerprint_sha256": locked.fingerprint_sha256},
    )
    return locked


def document_signing_identity_load(
    *, institution: Institution | None, kind: str
) -> LoadedDocumentSigningIdentity:
    """Return the active identity of a kind for an institution (None: the portal).

    Raises DocumentSigningIdentityMissing when there is none. Its ``private_key()`` raises a
    credentials.signing.keys KeyEncryptionError when the KEK cannot decrypt the key.
    """
    identity = (
        _owned_by(DocumentSigningIdentity.objects.select_related("institution"), institution)
        .filter(kind=kind, status=KeyStatus.ACTIVE)
        .first()
    )
    if identity is None:
        raise DocumentSigningIdentityMissing(institution, kind)
    return LoadedDocumentSigningIdentity(
        identity=identity, certificate=identity.certificate(), chain=tuple(identity.chain())
    )
