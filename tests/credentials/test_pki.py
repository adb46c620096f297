"""The portal's PDF-sealing PKI: CA, document-signing and TSA certificates, PKCS#12 import."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from credentials.rendering.pki import (
    EKU_DOCUMENT_SIGNING,
    EKU_MICROSOFT_DOCUMENT_SIGNING,
    KeyAlgorithm,
    KeyAndCertificate,
    PkiError,
    document_signing_certificate_issue,
    document_signing_certificate_problems,
    pkcs12_bundle_load,
    portal_ca_create,
    timestamping_certificate_issue,
)
from tests.credentials.certificate_samples import SamplePki, sample_pki

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pki() -> SamplePki:
    return sample_pki()


def _extension(certificate: x509.Certificate, kind):
    return certificate.extensions.get_extension_for_class(kind)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def test_portal_ca_is_a_self_signed_root_that_only_issues_end_entities(pki):
    certificate = pki.ca.certificate

    constraints = _extension(certificate, x509.BasicConstraints)
    usage = _extension(certificate, x509.KeyUsage)
    assert certificate.subject == certificate.issuer
    certificate.verify_directly_issued_by(certificate)
    assert constraints.critical is True
    assert (constraints.value.ca, constraints.value.path_length) == (True, 0)
    assert usage.critical is True
    assert (usage.value.key_cert_sign, usage.value.crl_sign, usage.value.digital_signature) == (
        True,
        True,
        False,
    )
    assert (
        _extension(certificate, x509.AuthorityKeyIdentifier).value.key_identifier
        == _extension(certificate, x509.SubjectKeyIdentifier).value.digest
    )
    assert pki.ca.chain == ()


def test_document_signing_certificate_has_seal_key_usages_and_document_signing_ekus(pki):
    certificate = pki.seal.certificate

    usage = _extension(certificate, x509.KeyUsage)
    extended = _extension(certificate, x509.ExtendedKeyUsage)
    assert usage.critical is True
    assert (usage.value.digital_signature, usage.value.content_commitment) == (True, True)
    assert (usage.value.key_cert_sign, usage.value.key_encipherment) == (False, False)
    assert extended.critical is False
    assert list(extended.value) == [EKU_DOCUMENT_SIGNING, EKU_MICROSOFT_DOCUMENT_SIGNING]
    assert _extension(certificate, x509.BasicConstraints).value.ca is False
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == (
        "VATES-Q3718001E"
    )
    assert (
        certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Universidad de Salamanca"
    )
    assert certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "ES"


def test_timestamping_certificate_has_the_single_critical_time_stamping_eku(pki):
    extended = _extension(pki.tsa.certificate, x509.ExtendedKeyUsage)

    assert extended.critical is True
    assert list(extended.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert _extension(pki.tsa.certificate, x509.KeyUsage).value.digital_signature is True


@pytest.mark.parametrize(
    ("_case", "role", "key_usage", "extended_key_usage"),
    [
        ("seal", "seal", {"non_repudiation"}, set()),
        ("tsa", "tsa", {"digital_signature"}, {"time_stamping"}),
    ],
)
def test_end_entity_certificates_chain_to_the_portal_ca(pki, _case, role, key_usage, extended_key_usage):
    issued: KeyAndCertificate = getattr(pki, role)
    issued.certificate.verify_directly_issued_by(pki.ca.certificate)
    validator = CertificateValidator(
        _asn1(issued.certificate),
        intermediate_certs=[_asn1(cert) for cert in issued.chain],
        validation_context=ValidationContext(trust_roots=[_asn1(pki.ca.certificate)]),
    )

    path = asyncio.run(validator.async_validate_usage(key_usage, extended_key_usage))

    assert [cert.sha256 for cert in path] == [
        _asn1(pki.ca.certificate).sha256,
        _asn1(issued.certificate).sha256,
    ]
    assert issued.chain == (pki.ca.certificate,)


def test_certificates_are_backdated_an_hour_and_never_outlive_the_ca():
    ca = portal_ca_create(
        common_name="Short CA",
        organisation_name="mcportal",
        country_code="BE",
        valid_for=timedelta(days=30),
        now=NOW,
    )

    seal = document_signing_certificate_issue(
        ca=ca, organisation_name="Université de Liège", country_code="be", now=NOW
    )

    assert seal.certificate.not_valid_before_utc == NOW - timedelta(hours=1)
    assert seal.certificate.not_valid_after_utc == ca.certificate.not_valid_after_utc
    assert seal.certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "BE"


def test_issuing_under_an_expired_ca_is_refused():
    ca = portal_ca_create(
        common_name="Old CA",
        organisation_name="mcportal",
        country_code="BE",
        valid_for=timedelta(days=1),
        now=NOW,
    )

    with pytest.raises(PkiError, match="CA certificate has expired"):
        timestamping_certificate_issue(
            ca=ca,
            common_name="TSA",
            organisation_name="mcportal",
            country_code="BE",
            now=NOW + timedelta(days=2),
        )


@pytest.mark.parametrize(
    ("_case", "country_code", "organisation_name", "message"),
    [
        ("three letters", "BEL", "mcportal", "ISO 3166-1 alpha-2"),
        ("digits", "B1", "mcportal", "ISO 3166-1 alpha-2"),
        ("empty organisation", "BE", "  ", "organisation name"),
    ],
)
def test_bad_subject_values_are_refused(_case, country_code, organisation_name, message):
    with pytest.raises(PkiError, match=message):
        portal_ca_create(common_name="CA", organisation_name=organisation_name, country_code=country_code)


def test_rsa_keys_are_3072_bits_and_ec_keys_p256():
    ca = portal_ca_create(
        common_name="RSA CA",
        organisation_name="mcportal",
        country_code="BE",
        key_algorithm=KeyAlgorithm.RSA_3072,
    )
    seal = document_signing_certificate_issue(ca=ca, organisation_name="Uni", country_code="BE")

    assert isinstance(ca.private_key, rsa.RSAPrivateKey)
    assert ca.private_key.key_size == 3072
    assert isinstance(seal.private_key, ec.EllipticCurvePrivateKey)
    assert seal.private_key.curve.name == "secp256r1"
    seal.certificate.verify_directly_issued_by(ca.certificate)


def test_private_key_pem_is_encrypted_with_a_passphrase_and_round_trips(pki):
    encrypted = pki.seal.private_key_pem(passphrase=b"correct horse")
    plain = pki.seal.private_key_pem(passphrase=None)

    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert b"BEGIN PRIVATE KEY" in plain
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(encrypted, password=None)
    loaded = serialization.load_pem_private_key(encrypted, password=b"correct horse")
    assert loaded.public_key().public_numbers() == pki.seal.private_key.public_key().public_numbers()
    assert "private_key" not in repr(pki.seal)


def test_pkcs12_bundle_loads_key_certificate_and_ordered_chain(pki):
    bundle = pkcs12.serialize_key_and_certificates(
        name=b"seal",
        key=pki.seal.private_key,
        cert=pki.seal.certificate,
        cas=[pki.ca.certificate],
        encryption_algorithm=serialization.BestAvailableEncryption(b"secret"),
    )

    loaded = pkcs12_bundle_load(data=bundle, passphrase=b"secret")

    assert loaded.certificate == pki.seal.certificate
    assert loaded.chain == (pki.ca.certificate,)
    assert loaded.fingerprint_sha256 == pki.seal.fingerprint_sha256


@pytest.mark.parametrize(
    ("_case", "passphrase", "with_key", "message"),
    [
        ("wrong password", b"wrong", True, "could not be read"),
        ("certificate only", b"secret", False, "must contain a private key"),
    ],
)
def test_unusable_pkcs12_bundles_are_refused(pki, _case, passphrase, with_key, message):
    bundle = pkcs12.serialize_key_and_certificates(
        name=b"seal",
        key=pki.seal.private_key if with_key else None,
        cert=pki.seal.certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(b"secret"),
    )

    with pytest.raises(PkiError, match=message):
        pkcs12_bundle_load(data=bundle, passphrase=passphrase)


def test_a_usable_seal_has_no_problems(pki):
    assert (
        document_signing_certificate_problems(
            private_key=pki.seal.private_key, certificate=pki.seal.certificate
        )
        == []
    )


def test_seal_problems_name_a_foreign_key_an_expired_certificate_and_a_ca_certificate(pki):
    expired_at = pki.seal.certificate.not_valid_after_utc + timedelta(days=1)

    assert document_signing_certificate_problems(
        private_key=pki.tsa.private_key, certificate=pki.seal.certificate
    ) == ["The private key does not belong to the certificate."]
    assert document_signing_certificate_problems(
        private_key=pki.seal.private_key, certificate=pki.seal.certificate, at=expired_at
    ) == ["The certificate is not valid at this time."]
    assert document_signing_certificate_problems(
        private_key=pki.ca.private_key, certificate=pki.ca.certificate
    ) == [
        "A CA certificate cannot seal documents.",
        "The certificate's key usage allows neither digital signatures nor non-repudiation.",
    ]
