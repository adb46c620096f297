"""X.509 for PDF seals: the portal's own CA, per-institution document-signing and TSA certificates.

Pure functions over `cryptography` objects: nothing here reads or writes storage. The caller keeps
the keys (encrypted at rest) and passes them back in to sign.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from django.utils.translation import gettext as _

from mcportal.core import clock

SigningPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_Extension = TypeVar("_Extension", bound=x509.ExtensionType)

# RFC 9336 id-kp-documentSigning, plus Microsoft's document-signing purpose, which Adobe Acrobat
# lists among the purposes it accepts for signer certificates.
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
EKU_MICROSOFT_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
RSA_KEY_SIZE = 3072
RSA_PUBLIC_EXPONENT = 65537
CA_VALIDITY = timedelta(days=20 * 365)
DOCUMENT_SIGNING_VALIDITY = timedelta(days=3 * 365)
TIMESTAMPING_VALIDITY = timedelta(days=10 * 365)
# Certificates start an hour in the past so that a worker whose clock lags a little behind the
# machine that made the certificate can still sign with it straight away.
_BACKDATE = timedelta(hours=1)


class KeyAlgorithm(enum.StrEnum):
    """Key types the portal generates; both are accepted by Adobe Acrobat and pyHanko."""

    EC_P256 = "ec-p256"
    RSA_3072 = "rsa-3072"


class PkiError(ValueError):
    """Key or certificate material is unusable; the message says why."""


@dataclass(frozen=True)
class KeyAndCertificate:
    """A private key with its certificate and the chain above it (issuer first, root last)."""

    private_key: SigningPrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint_sha256(self) -> str:
        """Hex SHA-256 of the certificate's DER encoding."""
        return certificate_fingerprint(self.certificate)

    def certificate_pem(self) -> bytes:
        """Return the certificate as PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        """Return the chain certificates as concatenated PEM (empty for a root)."""
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.chain)

    def private_key_pem(self, *, passphrase: bytes | None) -> bytes:
        """Return the key as PKCS#8 PEM, encrypted with ``passphrase`` unless it is None."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """Return the hex SHA-256 of a certificate's DER encoding (the identity used in caches)."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def private_key_generate(algorithm: KeyAlgorithm) -> SigningPrivateKey:
    """Generate a fresh private key of the given type."""
    if algorithm is KeyAlgorithm.RSA_3072:
        return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_SIZE)
    return ec.generate_private_key(ec.SECP256R1())


def portal_ca_create(
    *,
    common_name: str,
    organisation_name: str,
    country_code: str,
    key_algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    valid_for: timedelta = CA_VALIDITY,
    now: datetime | None = None,
) -> KeyAndCertificate:
    """Create a self-signed root CA that may issue end-entity certificates only (path length 0)."""
    key = private_key_generate(key_algorithm)
    subject = _name(common_name=common_name, organisation_name=organisation_name, country_code=country_code)
    not_before = (now or clock.now()) - _BACKDATE
    subject_key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = _certificate_sign(
        subject=subject,
        issuer=subject,
        public_key=key.public_key(),
        not_before=not_before,
        not_after=not_before + valid_for,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(key_cert_sign=True, crl_sign=True), True),
            (subject_key_id, False),
            (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(subject_key_id), False),
        ],
        signing_key=key,
    )
    return KeyAndCertificate(private_key=key, certificate=certificate)


def document_signing_certificate_issue(
    *,
    ca: KeyAndCertificate,
    organisation_name: str,
    country_code: str,
    organisation_identifier: str = "",
    key_algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    valid_for: timedelta = DOCUMENT_SIGNING_VALIDITY,
    now: datetime | None = None,
) -> KeyAndCertificate:
    """Issue an institution's seal certificate: digitalSignature + nonRepudiation, document-signing EKUs.

    ``organisation_identifier`` follows ETSI EN 319 412-1 (e.g. ``VATBE-0123456789``) when given.
    """
    subject = _name(
        common_name=organisation_name,
        organisation_name=organisation_name,
        country_code=country_code,
        organisation_identifier=organisation_identifier,
    )
    extended_usage = x509.ExtendedKeyUsage([EKU_DOCUMENT_SIGNING, EKU_MICROSOFT_DOCUMENT_SIGNING])
    return _end_entity_issue(
        ca=ca,
        subject=subject,
        key_algorithm=key_algorithm,
        valid_for=valid_for,
        now=now,
        extended_usage=extended_usage,
        extended_usage_critical=False,
    )


def timestamping_certificate_issue(
    *,
    ca: KeyAndCertificate,
    common_name: str,
    organisation_name: str,
    country_code: str,
    key_algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    valid_for: timedelta = TIMESTAMPING_VALIDITY,
    now: datetime | None = None,
) -> KeyAndCertificate:
    """Issue the local TSA's certificate: the single, critical EKU id-kp-timeStamping of RFC 3161."""
    subject = _name(common_name=common_name, organisation_name=organisation_name, country_code=country_code)
    return _end_entity_issue(
        ca=ca,
        subject=subject,
        key_algorithm=key_algorithm,
        valid_for=valid_for,
        now=now,
        extended_usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
        extended_usage_critical=True,
    )


def pkcs12_bundle_load(*, data: bytes, passphrase: bytes | None) -> KeyAndCertificate:
    """Parse an imported PKCS#12 seal into key, certificate and chain; raise PkiError if unusable.

    The chain is ordered issuer-first when the bundle allows it (pyHanko accepts any order).
    """
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as error:
        raise PkiError(_("The PKCS#12 file could not be read; check the file and its password.")) from error
    if key is None or certificate is None:
        raise PkiError(_("The PKCS#12 file must contain a private key and its certificate."))
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PkiError(_("Only RSA and ECDSA keys are supported for sealing PDFs."))
    return KeyAndCertificate(private_key=key, certificate=certificate, chain=_order_chain(certificate, extra))


def document_signing_certificate_problems(
    *, private_key: SigningPrivateKey, certificate: x509.Certificate, at: datetime | None = None
) -> list[str]:
    """List why a key and certificate cannot seal PDFs at ``at`` (default now); empty when usable."""
    moment = at or clock.now()
    problems = []
    if private_key.public_key().public_numbers() != certificate.public_key().public_numbers():
        problems.append(_("The private key does not belong to the certificate."))
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        problems.append(_("The certificate is not valid at this time."))
    constraints = _extension(certificate, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        problems.append(_("A CA certificate cannot seal documents."))
    usage = _extension(certificate, x509.KeyUsage)
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        problems.append(
            _("The certificate's key usage allows neither digital signatures nor non-repudiation.")
        )
    return problems


def _end_entity_issue(
    *,
    ca: KeyAndCertificate,
    subject: x509.Name,
    key_algorithm: KeyAlgorithm,
    valid_for: timedelta,
    now: datetime | None,
    extended_usage: x509.ExtendedKeyUsage,
    extended_usage_critical: bool,
) -> KeyAndCertificate:
    not_before = (now or clock.now()) - _BACKDATE
    not_after = min(not_before + valid_for, ca.certificate.not_valid_after_utc)
    if not_after <= not_before + _BACKDATE:
        raise PkiError(_("The CA certificate has expired; create a new CA first."))
    key = private_key_generate(key_algorithm)
    ca_key_id = _extension(ca.certificate, x509.SubjectKeyIdentifier)
    authority_key_id = (
        x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id)
        if ca_key_id is not None
        else x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key())
    )
    certificate = _certificate_sign(
        subject=subject,
        issuer=ca.certificate.subject,
        public_key=key.public_key(),
        not_before=not_before,
        not_after=not_after,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True, content_commitment=True), True),
            (extended_usage, extended_usage_critical),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
            (authority_key_id, False),
        ],
        signing_key=ca.private_key,
    )
    return KeyAndCertificate(private_key=key, certificate=certificate, chain=(ca.certificate, *ca.chain))


def _certificate_sign(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: CertificatePublicKeyTypes,
    not_before: datetime,
    not_after: datetime,
    extensions: list[tuple[x509.ExtensionType, bool]],
    signing_key: SigningPrivateKey,
) -> x509.Certificate:
    """Build and sign (SHA-256) a certificate with a random serial; ``extensions`` are (value, critical)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _name(
    *, common_name: str, organisation_name: str, country_code: str, organisation_identifier: str = ""
) -> x509.Name:
    if len(country_code) != 2 or not country_code.isascii() or not country_code.isalpha():
        raise PkiError(
            _("Country must be an ISO 3166-1 alpha-2 code, not %(value)r.") % {"value": country_code}
        )
    if not common_name.strip() or not organisation_name.strip():
        raise PkiError(_("A certificate needs a common name and an organisation name."))
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country_code.upper()),
        # X.520 limits both attributes to 64 characters; long legal names are cut, not refused.
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation_name.strip()[:64]),
    ]
    if organisation_identifier:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organisation_identifier))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name.strip()[:64]))
    return x509.Name(attributes)


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _extension(certificate: x509.Certificate, kind: type[_Extension]) -> _Extension | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _order_chain(
    certificate: x509.Certificate, others: list[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    remaining = list(others)
    ordered: list[x509.Certificate] = []
    current = certificate
    while remaining:
        issuer = next((cert for cert in remaining if cert.subject == current.issuer), None)
        if issuer is None:
            break
        ordered.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return (*ordered, *remaining)
