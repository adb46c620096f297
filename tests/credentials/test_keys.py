"""Issuer keys and PDF-signing identities: encryption at rest, rotation, storage, admin, command."""
import datetime as dt
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import Permission
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from credentials.did_resolution import did_document_for, public_key_resolver_for_issuer
from credentials.jsonld.loader import build_document_loader, mcportal_context_url
from credentials.models import DocumentSigningIdentity, DocumentSigningIdentityKind, KeyStatus, SigningKey
from credentials.rendering.pki import (
    document_signing_certificate_issue,
    portal_ca_create,
    timestamping_certificate_issue,
)
from credentials.services.keys import (
    SigningKeyMissing,
    load_active_signing_key,
    signing_key_ensure_active,
    signing_key_generate,
    signing_key_retire,
    signing_key_rotate,
)
from credentials.services.x509 import (
    DocumentSigningIdentityMissing,
    document_signing_identity_import_pkcs12,
    document_signing_identity_load,
    document_signing_identity_retire,
    document_signing_identity_store,
)
from credentials.signing.keys import (
    EncryptedKeyCorrupted,
    KeyEncryptionKeyMissing,
    WrongKeyEncryptionKey,
    dev_key_encryption_key_path,
    ed25519_private_key_decrypt,
    encrypted_key_kek_id,
    key_encryption_key_id,
    private_key_encrypt,
)
from credentials.signing.multikey import private_key_to_multikey, public_key_to_multikey
from credentials.signing.proofs import proof_create, proof_verify
from mcportal.core.exceptions import Conflict, InvalidTransition, ValidationFailed
from mcportal.core.models import AuditEvent
from tests.factories.core import MembershipFactory, UserFactory
from tests.interop.samples import openbadge_microcredential

pytestmark = pytest.mark.django_db

TEST_KEK = "dGVzdC1rZWstMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
OTHER_KEK = "b3RoZXIta2VrLTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2"
CREATED = "2025-06-30T12:00:00Z"
SIGNER = DocumentSigningIdentityKind.DOCUMENT_SIGNER


@pytest.fixture(autouse=True)
def kek(settings):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = TEST_KEK
    return TEST_KEK


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _secret_forms(private_key) -> list[bytes]:
    """Every usual encoding of a private key: none may appear in storage."""
    forms = [
        private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()),
        private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
    ]
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        forms.append(private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
        forms.append(private_key_to_multikey(private_key).encode("ascii"))
    else:
        forms.append(
            private_key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
        )
    return forms


def _stored_column(table: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT private_key_encrypted FROM {table} WHERE id = %s", [pk])
        return bytes(cursor.fetchone()[0])


def _sign(document, loaded):
    return proof_create(
        document=document,
        private_key=loaded.private_key,
        verification_method=loaded.verification_method,
        created=CREATED,
        document_loader=_loader(),
    )


def _loader():
    from django.conf import settings

    return build_document_loader(own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL))


def _credential(issuer_did: str, name: str = "Datová analýza – 数据分析 🎓") -> dict:
    from django.conf import settings

    return openbadge_microcredential(
        issuer_did=issuer_did, own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL), name=name
    )


def _verify(document):
    return proof_verify(
        document=document,
        resolve_public_key=public_key_resolver_for_issuer(document["issuer"]),
        document_loader=_loader(),
    )


# --- the key-encryption key and the blob format -------------------------------------------------


def test_encrypted_blob_round_trips_and_holds_no_key_encoding():
    # given an Ed25519 key
    private_key = ed25519.Ed25519PrivateKey.generate()

    # when it is encrypted for an owner
    blob = private_key_encrypt(private_key, associated_data=b"owner-1")

    # then it decrypts to the same key, and no encoding of the key is in the blob
    decrypted = ed25519_private_key_decrypt(blob, associated_data=b"owner-1")
    assert decrypted.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()) == (
        private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    )
    for secret in _secret_forms(private_key):
        assert secret not in blob
    assert encrypted_key_kek_id(blob) == key_encryption_key_id()


def test_each_encryption_uses_a_fresh_nonce():
    private_key = ed25519.Ed25519PrivateKey.generate()

    first = private_key_encrypt(private_key, associated_data=b"owner")
    second = private_key_encrypt(private_key, associated_data=b"owner")

    assert first != second


def test_wrong_kek_is_a_clear_error_naming_both_key_ids(settings):
    # given a blob made under one KEK
    blob = private_key_encrypt(ed25519.Ed25519PrivateKey.generate(), associated_data=b"owner")
    stored_id = key_encryption_key_id()

    # when another KEK is configured
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = OTHER_KEK

    # then decryption names both KEK ids and nothing secret
    with pytest.raises(WrongKeyEncryptionKey) as error:
        ed25519_private_key_decrypt(blob, associated_data=b"owner")
    assert error.value.stored_kek_id == stored_id
    assert error.value.configured_kek_id == key_encryption_key_id()
    assert stored_id != key_encryption_key_id()
    assert str(error.value) == (
        f"This private key was encrypted with key-encryption key {stored_id}, but "
        f"MCPORTAL_KEY_ENCRYPTION_KEY is key {key_encryption_key_id()}. Configure the key it was "
        "encrypted with (or, outside production, the dev-kek file that created it)."
    )
    assert TEST_KEK not in str(error.value) and OTHER_KEK not in str(error.value)


def test_blob_moved_to_another_owner_does_not_decrypt():
    blob = private_key_encrypt(ed25519.Ed25519PrivateKey.generate(), associated_data=b"owner-1")

    with pytest.raises(EncryptedKeyCorrupted, match="altered or belongs to another record"):
        ed25519_private_key_decrypt(blob, associated_data=b"owner-2")


@pytest.mark.parametrize(
    ("mutate", "_case"),
    [
        (lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]), "flipped tag bit"),
        (lambda blob: blob[:30] + bytes([blob[30] ^ 1]) + blob[31:], "flipped ciphertext bit"),
    ],
)
def test_altered_blob_fails_its_integrity_check(mutate, _case):
    blob = private_key_encrypt(ed25519.Ed25519PrivateKey.generate(), associated_data=b"owner")

    with pytest.raises(EncryptedKeyCorrupted, match="failed its integrity check"):
        ed25519_private_key_decrypt(mutate(blob), associated_data=b"owner")


@pytest.mark.parametrize(
    ("blob", "_case"),
    [
        (b"", "empty"),
        (b"-----BEGIN PRIVATE KEY-----", "plain PEM"),
        (b"mcpk\x02" + b"0" * 40, "unknown format version"),
    ],
)
def test_blob_in_another_format_is_refused(blob, _case):
    with pytest.raises(EncryptedKeyCorrupted, match="not in the portal's encrypted format"):
        ed25519_private_key_decrypt(blob, associated_data=b"owner")


def test_non_ed25519_key_in_an_ed25519_slot_is_refused():
    blob = private_key_encrypt(ec.generate_private_key(ec.SECP256R1()), associated_data=b"owner")

    with pytest.raises(EncryptedKeyCorrupted, match="not an Ed25519 key"):
        ed25519_private_key_decrypt(blob, associated_data=b"owner")


def test_development_kek_is_created_once_with_owner_only_permissions(settings, tmp_path):
    # given no KEK in the environment, outside production
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = ""
    settings.VAR_DIR = tmp_path / "var"

    # when keys are encrypted twice
    first_id = key_encryption_key_id()
    blob = private_key_encrypt(ed25519.Ed25519PrivateKey.generate(), associated_data=b"owner")
    second_id = key_encryption_key_id()

    # then one file was made, readable by its owner only, and it keeps decrypting
    path = dev_key_encryption_key_path()
    assert path == tmp_path / "var" / "secrets" / "dev-kek"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(os.listdir(path.parent)) == ["dev-kek"]
    assert first_id == second_id
    ed25519_private_key_decrypt(blob, associated_data=b"owner")
    assert len(path.read_text().strip()) == 44


def test_production_without_kek_refuses_and_creates_no_file(settings, tmp_path):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = ""
    settings.VAR_DIR = tmp_path / "var"
    settings.SETTINGS_MODULE = "mcportal.settings.production"

    with pytest.raises(KeyEncryptionKeyMissing, match="production never uses a development key"):
        private_key_encrypt(ed25519.Ed25519PrivateKey.generate(), associated_data=b"owner")

    assert not (tmp_path / "var").exists()


# --- signing keys -----------------------------------------------------------------------------------


def test_generate_stores_an_active_key_encrypted_and_audits(institution, registrar):
    # when the first key is generated
    key = signing_key_generate(institution=institution, actor=registrar)

    # then it is active, public in the clear, private only as ciphertext
    loaded = load_active_signing_key(institution=institution)
    assert key.status == KeyStatus.ACTIVE
    assert key.retired_at is None
    assert key.public_key_multibase == public_key_to_multikey(loaded.private_key.public_key())
    assert key.public_key_multibase.startswith("z6Mk")
    column = _stored_column("credentials_signingkey", key.pk)
    for secret in _secret_forms(loaded.private_key):
        assert secret not in column
    assert loaded.verification_method == f"did:web:portal.test:institutions:muni#{key.public_key_multibase}"
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.institution, event.target_id) == (
        "signing_key.generated", registrar, institution, str(key.pk)
    )
    assert event.data == {"public_key_multibase": key.public_key_multibase}


def test_generate_when_a_key_is_active_conflicts_and_changes_nothing(institution, registrar):
    key = signing_key_generate(institution=institution, actor=registrar)

    with pytest.raises(Conflict, match="rotate it"):
        signing_key_generate(institution=institution, actor=registrar)

    assert list(SigningKey.objects.values_list("pk", "status")) == [(key.pk, KeyStatus.ACTIVE)]
    assert AuditEvent.objects.count() == 1


def test_rotation_signs_with_the_new_key_and_old_credentials_keep_verifying(institution, registrar):
    # given a credential signed with the first key
    first = signing_key_generate(institution=institution, actor=registrar)
    issuer = f"did:web:portal.test:institutions:{institution.slug}"
    old_credential = _sign(_credential(issuer), load_active_signing_key(institution=institution))

    # when the key is rotated
    second = signing_key_rotate(institution=institution, actor=registrar)

    # then the new key signs, the old one is retired but still published
    loaded = load_active_signing_key(institution=institution)
    assert loaded.signing_key.pk == second.pk
    first.refresh_from_db()
    assert (first.status, first.retired_at is not None) == (KeyStatus.RETIRED, True)
    document = did_document_for(institution)
    assert document["assertionMethod"] == [
        f"{issuer}#{second.public_key_multibase}", f"{issuer}#{first.public_key_multibase}"
    ]
    # and the old credential still verifies, as does one signed after the rotation
    assert old_credential["proof"]["verificationMethod"] == f"{issuer}#{first.public_key_multibase}"
    assert _verify(old_credential).verified is True
    new_credential = _sign(_credential(issuer), loaded)
    assert new_credential["proof"]["verificationMethod"] == f"{issuer}#{second.public_key_multibase}"
    assert _verify(new_credential).verified is True
    event = AuditEvent.objects.get(action="signing_key.rotated")
    assert event.data == {
        "public_key_multibase": second.public_key_multibase,
        "retired_public_key_multibase": first.public_key_multibase,
    }


def test_rotation_without_an_active_key_activates_a_first_one(institution):
    key = signing_key_rotate(institution=institution, actor=None)

    assert list(SigningKey.objects.values_list("pk", "status")) == [(key.pk, KeyStatus.ACTIVE)]
    assert AuditEvent.objects.get().data == {
        "public_key_multibase": key.public_key_multibase, "retired_public_key_multibase": None,
    }


def test_rotation_touches_only_its_own_institution(institution, other_institution):
    other = signing_key_generate(institution=other_institution, actor=None)
    signing_key_generate(institution=institution, actor=None)

    signing_key_rotate(institution=institution, actor=None)

    other.refresh_from_db()
    assert other.status == KeyStatus.ACTIVE
    assert SigningKey.objects.filter(institution=institution).count() == 2


def test_retire_stops_signing_but_keeps_the_key_published(institution, registrar):
    key = signing_key_generate(institution=institution, actor=registrar)

    signing_key_retire(signing_key=key, actor=registrar)

    key.refresh_from_db()
    assert key.status == KeyStatus.RETIRED
    with pytest.raises(SigningKeyMissing, match="MUNI has no active signing key"):
        load_active_signing_key(institution=institution)
    assert did_document_for(institution)["assertionMethod"] == [
        f"did:web:portal.test:institutions:muni#{key.public_key_multibase}"
    ]
    assert AuditEvent.objects.filter(action="signing_key.retired", target_id=str(key.pk)).count() == 1


def test_retiring_a_retired_key_is_an_invalid_transition(institution):
    key = signing_key_generate(institution=institution, actor=None)
    signing_key_retire(signing_key=key, actor=None)
    audit_count = AuditEvent.objects.count()

    with pytest.raises(InvalidTransition):
        signing_key_retire(signing_key=key, actor=None)

    assert AuditEvent.objects.count() == audit_count


def test_ensure_active_generates_once_and_then_returns_the_same_key(institution):
    first = signing_key_ensure_active(institution=institution, actor=None)
    second = signing_key_ensure_active(institution=institution, actor=None)

    assert first.pk == second.pk
    assert SigningKey.objects.count() == 1
    assert AuditEvent.objects.filter(action="signing_key.generated").count() == 1


def test_portal_key_is_published_as_the_portal_did(db):
    key = signing_key_generate(institution=None, actor=None)

    loaded = load_active_signing_key(institution=None)

    assert loaded.verification_method == f"did:web:portal.test#{key.public_key_multibase}"
    assert did_document_for(None)["id"] == "did:web:portal.test"
    with pytest.raises(Conflict):
        signing_key_generate(institution=None, actor=None)


@pytest.mark.parametrize("owner", ["institution", "portal"])
def test_database_allows_one_active_key_per_owner(owner, institution):
    owner_institution = institution if owner == "institution" else None
    signing_key_generate(institution=owner_institution, actor=None)
    duplicate_key = ed25519.Ed25519PrivateKey.generate()
    duplicate = SigningKey(
        institution=owner_institution,
        public_key_multibase=public_key_to_multikey(duplicate_key.public_key()),
        private_key_encrypted=b"x",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_wrong_kek_when_loading_raises_and_names_the_key_ids(institution, settings):
    signing_key_generate(institution=institution, actor=None)
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = OTHER_KEK

    with pytest.raises(WrongKeyEncryptionKey):
        load_active_signing_key(institution=institution)


def test_reprs_and_serialized_rows_hold_no_key_material(institution):
    key = signing_key_generate(institution=institution, actor=None)
    loaded = load_active_signing_key(institution=institution)
    raw = loaded.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    texts = [repr(loaded), str(loaded), repr(key), str(key), serializers.serialize("json", [key])]

    for text in texts:
        assert "private_key" not in text
        assert raw.hex() not in text
        assert private_key_to_multikey(loaded.private_key) not in text
    assert sorted(json.loads(texts[-1])[0]["fields"]) == [
        "created_at", "institution", "public_key_multibase", "retired_at", "status", "updated_at"
    ]


def test_missing_key_error_says_how_to_make_one(institution):
    with pytest.raises(SigningKeyMissing) as error:
        load_active_signing_key(institution=institution)

    assert str(error.value) == (
        "MUNI has no active signing key. Generate one in the admin (Signing keys) or with "
        "“manage.py signing_key_rotate”."
    )


# --- the management command --------------------------------------------------------------------------


def test_command_rotates_an_institution_key(institution, capsys):
    first = signing_key_generate(institution=institution, actor=None)

    call_command("signing_key_rotate", institution="muni")

    active = SigningKey.objects.get(institution=institution, status=KeyStatus.ACTIVE)
    assert active.pk != first.pk
    assert capsys.readouterr().out == f"Active signing key: {active.public_key_multibase}\n"
    event = AuditEvent.objects.get(action="signing_key.rotated")
    assert event.actor is None


def test_command_rotates_the_portal_key(db, capsys):
    call_command("signing_key_rotate", portal=True)

    assert SigningKey.objects.filter(institution__isnull=True, status=KeyStatus.ACTIVE).count() == 1


def test_command_refuses_an_unknown_institution(db):
    with pytest.raises(CommandError, match="No institution has the slug 'nowhere'"):
        call_command("signing_key_rotate", institution="nowhere")

    assert SigningKey.objects.count() == 0


# --- X.509 identities for PDF signing ------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_ca():
    return portal_ca_create(common_name="mcportal CA", organisation_name="mcportal", country_code="CZ")


@pytest.fixture(scope="module")
def seal(portal_ca):
    return document_signing_certificate_issue(
        ca=portal_ca, organisation_name="Masaryk University", country_code="CZ"
    )


def test_store_and_load_a_document_signer(institution, registrar, portal_ca, seal):
    # when the institution's seal is stored
    identity = document_signing_identity_store(
        institution=institution,
        kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
        certificate=seal.certificate,
        private_key=seal.private_key,
        chain=[portal_ca.certificate],
        actor=registrar,
    )

    # then it loads back, with the key only as ciphertext in the database
    loaded = document_signing_identity_load(institution=institution, kind=SIGNER)
    assert loaded.certificate == seal.certificate
    assert loaded.chain == (portal_ca.certificate,)
    assert loaded.private_key().private_numbers() == seal.private_key.private_numbers()
    assert identity.subject == seal.certificate.subject.rfc4514_string()
    assert identity.fingerprint_sha256 == seal.fingerprint_sha256
    assert identity.valid_until == seal.certificate.not_valid_after_utc
    column = _stored_column("credentials_documentsigningidentity", identity.pk)
    for secret in _secret_forms(seal.private_key):
        assert secret not in column
    assert "private_key" not in repr(loaded)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.institution) == (
        "document_signing_identity.stored", registrar, institution
    )
    assert event.data["fingerprint_sha256"] == seal.fingerprint_sha256
    assert event.data["retired_fingerprint_sha256"] is None


def test_storing_a_new_signer_retires_the_previous_one(institution, portal_ca, seal):
    first = document_signing_identity_store(
        institution=institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
        certificate=seal.certificate, private_key=seal.private_key, actor=None,
    )
    renewed = document_signing_certificate_issue(
        ca=portal_ca, organisation_name="Masaryk University", country_code="CZ"
    )

    second = document_signing_identity_store(
        institution=institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
        certificate=renewed.certificate, private_key=renewed.private_key, actor=None,
    )

    first.refresh_from_db()
    assert (first.status, second.status) == (KeyStatus.RETIRED, KeyStatus.ACTIVE)
    loaded = document_signing_identity_load(institution=institution, kind=SIGNER)
    assert loaded.identity.pk == second.pk


def test_portal_ca_and_timestamp_authority_are_stored_for_the_portal(portal_ca, db):
    tsa = timestamping_certificate_issue(
        ca=portal_ca, common_name="mcportal TSA", organisation_name="mcportal", country_code="CZ"
    )

    document_signing_identity_store(
        institution=None, kind=DocumentSigningIdentityKind.PORTAL_CA,
        certificate=portal_ca.certificate, private_key=portal_ca.private_key, actor=None,
    )
    document_signing_identity_store(
        institution=None, kind=DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY,
        certificate=tsa.certificate, private_key=tsa.private_key, chain=[portal_ca.certificate], actor=None,
    )

    loaded = document_signing_identity_load(
        institution=None, kind=DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY
    )
    assert loaded.certificate == tsa.certificate
    ca = document_signing_identity_load(institution=None, kind=DocumentSigningIdentityKind.PORTAL_CA)
    assert ca.private_key().private_numbers() == portal_ca.private_key.private_numbers()


def _self_signed(private_key, *, days_valid=30, start=None, ca=False, signer=None):
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days_valid))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    signing_key = signer or private_key
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signing_key, algorithm)


@pytest.mark.parametrize(
    ("case", "kind", "owner", "field", "message"),
    [
        ("mismatched key", "document_signer", "institution", "private_key",
         "The private key does not belong to the certificate."),
        ("expired", "document_signer", "institution", "certificate",
         "The certificate expired on 2020-01-31."),
        ("CA for an institution", "portal_ca", "institution", "institution",
         "“Portal certificate authority” belongs to the portal, not to an institution."),
        ("CA without CA flag", "portal_ca", "portal", "certificate",
         "A certificate authority needs the basicConstraints CA flag."),
        ("TSA without EKU", "timestamp_authority", "portal", "certificate",
         "A timestamp authority's certificate needs the timeStamping extended key usage."),
        ("CA certificate as a seal", "document_signer", "institution", "certificate",
         "A CA certificate cannot seal documents."),
        ("Ed25519 key", "document_signer", "institution", "private_key",
         "Only RSA and ECDSA (P-256/384/521) keys can sign PDFs."),
        ("short RSA key", "document_signer", "institution", "private_key",
         "RSA keys need at least 2048 bits; this one has 1024."),
    ],
)
def test_unusable_certificates_are_refused_and_nothing_is_stored(
    case, kind, owner, field, message, institution
):
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _self_signed(key)
    if case == "mismatched key":
        certificate = _self_signed(ec.generate_private_key(ec.SECP256R1()))
    elif case == "expired":
        certificate = _self_signed(key, start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    elif case in {"CA certificate as a seal", "CA for an institution"}:
        certificate = _self_signed(key, ca=True)
    elif case == "Ed25519 key":
        key = ed25519.Ed25519PrivateKey.generate()
        certificate = _self_signed(key)
    elif case == "short RSA key":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        certificate = _self_signed(key)

    with pytest.raises(ValidationFailed) as error:
        document_signing_identity_store(
            institution=institution if owner == "institution" else None,
            kind=kind, certificate=certificate, private_key=key, actor=None,
        )

    assert [(p.field, p.message) for p in error.value.problems] == [(field, message)]
    assert DocumentSigningIdentity.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_the_same_certificate_cannot_be_stored_twice(institution, other_institution, seal):
    document_signing_identity_store(
        institution=institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
        certificate=seal.certificate, private_key=seal.private_key, actor=None,
    )

    with pytest.raises(Conflict, match="stored already"):
        document_signing_identity_store(
            institution=other_institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
            certificate=seal.certificate, private_key=seal.private_key, actor=None,
        )

    assert DocumentSigningIdentity.objects.count() == 1


def _pkcs12(bundle, chain, password: bytes | None) -> bytes:
    encryption = BestAvailableEncryption(password) if password else NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        b"seal", bundle.private_key, bundle.certificate, chain, encryption
    )


def test_pkcs12_import_stores_key_certificate_and_chain(institution, portal_ca, seal):
    data = _pkcs12(seal, [portal_ca.certificate], b"s3cret-pass")

    identity = document_signing_identity_import_pkcs12(
        institution=institution, pkcs12_data=data, password="s3cret-pass", actor=None
    )

    assert identity.kind == DocumentSigningIdentityKind.DOCUMENT_SIGNER
    assert identity.chain() == [portal_ca.certificate]
    assert identity.fingerprint_sha256 == seal.fingerprint_sha256


def test_pkcs12_with_a_wrong_password_is_refused(institution, portal_ca, seal):
    data = _pkcs12(seal, [portal_ca.certificate], b"s3cret-pass")

    with pytest.raises(ValidationFailed) as error:
        document_signing_identity_import_pkcs12(
            institution=institution, pkcs12_data=data, password="wrong", actor=None
        )

    assert [p.field for p in error.value.problems] == ["pkcs12"]
    assert DocumentSigningIdentity.objects.count() == 0


def test_loading_a_missing_identity_says_so(institution):
    with pytest.raises(DocumentSigningIdentityMissing, match="MUNI has no active Document signer"):
        document_signing_identity_load(institution=institution, kind=SIGNER)


def test_retired_identity_no_longer_loads(institution, seal):
    identity = document_signing_identity_store(
        institution=institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER,
        certificate=seal.certificate, private_key=seal.private_key, actor=None,
    )

    document_signing_identity_retire(identity=identity, actor=None)

    with pytest.raises(DocumentSigningIdentityMissing):
        document_signing_identity_load(institution=institution, kind=SIGNER)
    assert AuditEvent.objects.filter(action="document_signing_identity.retired").count() == 1


# --- admin --------------------------------------------------------------------------------------------------


def _staff_registrar(institution):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, institution=institution, role="registrar")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="credentials",
            codename__in=["view_signingkey", "change_signingkey", "add_signingkey"],
        )
    )
    return user


def _secret_markers(key: SigningKey) -> list[str]:
    blob = _stored_column("credentials_signingkey", key.pk)
    return ["private_key_encrypted", "mcpk", blob.hex()[:24], repr(blob)[:24]]


def test_admin_shows_public_parts_and_never_the_encrypted_key(client_for, superuser, institution):
    key = signing_key_generate(institution=institution, actor=None)
    client = client_for(superuser)

    pages = [
        client.get(reverse("admin:credentials_signingkey_changelist")),
        client.get(reverse("admin:credentials_signingkey_change", args=[key.pk])),
    ]

    for response in pages:
        assert response.status_code == 200
        content = response.content.decode()
        assert key.public_key_multibase in content
        for marker in _secret_markers(key):
            assert marker not in content
    detail = pages[1].content.decode()
    assert key.fingerprint in detail
    assert "https://portal.test/institutions/muni/did.json" in detail
    assert pages[1].context["adminform"].form.fields == {}


def test_admin_refuses_lookups_on_the_encrypted_key(client_for, superuser, institution):
    signing_key_generate(institution=institution, actor=None)

    response = client_for(superuser).get(
        reverse("admin:credentials_signingkey_changelist"), {"private_key_encrypted__startswith": "mcpk"}
    )

    assert response.status_code == 400


def test_admin_add_generates_a_key_through_the_service(client_for, superuser, institution):
    response = client_for(superuser).post(
        reverse("admin:credentials_signingkey_add"), {"institution": institution.pk}, follow=True
    )

    assert response.status_code == 200
    key = SigningKey.objects.get()
    assert (key.institution, key.status) == (institution, KeyStatus.ACTIVE)
    load_active_signing_key(institution=institution)
    assert AuditEvent.objects.get().action == "signing_key.generated"


def test_admin_add_for_an_owner_with_an_active_key_saves_nothing(client_for, superuser, institution):
    signing_key_generate(institution=institution, actor=None)

    response = client_for(superuser).post(
        reverse("admin:credentials_signingkey_add"), {"institution": institution.pk}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was saved: There is an active signing key already; rotate it to replace it with a new one."
    ]
    assert SigningKey.objects.count() == 1


def test_registrar_cannot_generate_the_portal_key_in_admin(client_for, institution):
    registrar = _staff_registrar(institution)

    response = client_for(registrar).post(reverse("admin:credentials_signingkey_add"), {"institution": ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"institution": ["This field is required."]}
    assert SigningKey.objects.count() == 0


def test_admin_rotate_action_calls_the_service(client_for, institution):
    registrar = _staff_registrar(institution)
    key = signing_key_generate(institution=institution, actor=None)

    response = client_for(registrar).post(
        reverse("admin:credentials_signingkey_changelist"),
        {"action": "rotate_keys", "_selected_action": [str(key.pk)]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "A new signing key of MUNI is active; the previous one is retired."
    ]
    key.refresh_from_db()
    assert key.status == KeyStatus.RETIRED
    assert AuditEvent.objects.get(action="signing_key.rotated").actor == registrar


def test_admin_hides_and_protects_other_institutions_keys(client_for, institution, other_institution):
    registrar = _staff_registrar(institution)
    own = signing_key_generate(institution=institution, actor=None)
    foreign = signing_key_generate(institution=other_institution, actor=None)
    portal = signing_key_generate(institution=None, actor=None)
    client = client_for(registrar)

    listing = client.get(reverse("admin:credentials_signingkey_changelist"))
    rotate = client.post(
        reverse("admin:credentials_signingkey_changelist"),
        {"action": "rotate_keys", "_selected_action": [str(foreign.pk), str(portal.pk)]},
    )
    detail = client.get(reverse("admin:credentials_signingkey_change", args=[foreign.pk]), follow=True)

    assert list(listing.context["cl"].result_list) == [own]
    assert rotate.status_code == 302
    assert list(SigningKey.objects.filter(status=KeyStatus.ACTIVE).order_by("pk")) == [own, foreign, portal]
    assert detail.redirect_chain[-1][0] == reverse("admin:index")
    assert AuditEvent.objects.filter(action="signing_key.rotated").count() == 0


def test_admin_never_deletes_or_edits_keys(client_for, superuser, institution):
    key = signing_key_generate(institution=institution, actor=None)
    client = client_for(superuser)

    delete = client.post(reverse("admin:credentials_signingkey_delete", args=[key.pk]), {"post": "yes"})
    edit = client.post(reverse("admin:credentials_signingkey_change", args=[key.pk]), {"status": "retired"})

    assert delete.status_code == 403
    assert edit.status_code == 403
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_admin_imports_a_pkcs12_and_shows_only_public_parts(
    client_for, superuser, institution, portal_ca, seal
):
    client = client_for(superuser)
    upload = SimpleUploadedFile("seal.p12", _pkcs12(seal, [portal_ca.certificate], b"pass-1234"))

    client.post(
        reverse("admin:credentials_documentsigningidentity_add"),
        {"institution": institution.pk, "kind": "document_signer", "pkcs12": upload, "password": "pass-1234"},
    )

    identity = DocumentSigningIdentity.objects.get()
    detail = client.get(reverse("admin:credentials_documentsigningidentity_change", args=[identity.pk]))
    content = detail.content.decode()
    assert identity.subject in content
    assert identity.fingerprint_sha256 in content
    assert "BEGIN" not in content
    assert "private_key_encrypted" not in content
    assert "pass-1234" not in content


def test_admin_pkcs12_with_a_wrong_password_saves_nothing(
    client_for, superuser, institution, portal_ca, seal
):
    upload = SimpleUploadedFile("seal.p12", _pkcs12(seal, [portal_ca.certificate], b"pass-1234"))

    response = client_for(superuser).post(
        reverse("admin:credentials_documentsigningidentity_add"),
        {"institution": institution.pk, "kind": "document_signer", "pkcs12": upload, "password": "nope"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was saved: The PKCS#12 file could not be read; check the file and its password."
    ]
    assert DocumentSigningIdentity.objects.count() == 0
