"""Offline resolution of verification methods: did:key, this portal's did:web, and what is refused."""
import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from credentials.did_resolution import (
    DidNotFound,
    DidResolutionError,
    ForeignDidWebHost,
    IssuerNotController,
    ResolvedVerificationMethod,
    UnsupportedDidMethod,
    VerificationMethodNotFound,
    VerificationRelationshipMissing,
    did_document_resolve,
    public_key_resolver_for_issuer,
    resolve_public_key_for_verification_method,
    verification_method_resolve,
)
from credentials.jsonld.loader import build_document_loader, mcportal_context_url, pinned_contexts
from credentials.services.keys import load_active_signing_key, signing_key_generate, signing_key_rotate
from credentials.signing.multikey import did_key_from_public_key, did_key_verification_method
from credentials.signing.proofs import proof_create, proof_verify
from tests.interop.samples import openbadge_microcredential

pytestmark = pytest.mark.django_db

TEST_KEK = "dGVzdC1rZWstMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
MUNI = "did:web:portal.test:institutions:muni"
UT = "did:web:portal.test:institutions:ut"
CREATED = "2025-06-30T12:00:00Z"
INTEROP = Path(__file__).resolve().parents[2] / "interop"


@pytest.fixture(autouse=True)
def kek(settings):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = TEST_KEK


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection or DNS lookup fails the test; the list records attempts."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def _raw(public_key) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _loader():
    return build_document_loader(own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL))


def _signed(issuer: str, private_key, verification_method: str) -> dict:
    document = openbadge_microcredential(
        issuer_did=issuer,
        own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL),
        name="Ζ Ελληνικά · عربي · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    )
    return proof_create(
        document=document,
        private_key=private_key,
        verification_method=verification_method,
        created=CREATED,
        document_loader=_loader(),
    )


def _verify(document):
    return proof_verify(
        document=document,
        resolve_public_key=public_key_resolver_for_issuer(document.get("issuer")),
        document_loader=_loader(),
    )


# --- did:key -------------------------------------------------------------------------------------------


def test_did_key_resolves_to_its_key(no_network):
    private_key = Ed25519PrivateKey.generate()
    method = did_key_verification_method(private_key.public_key())
    did = did_key_from_public_key(private_key.public_key())

    resolved = verification_method_resolve(method, issuer=did)

    assert resolved.id == method
    assert resolved.controller == did
    assert _raw(resolved.public_key) == _raw(private_key.public_key())
    assert (resolved.key_status, resolved.retired_at) == (None, None)
    assert no_network == []


def test_did_key_with_a_foreign_fragment_is_refused():
    did = did_key_from_public_key(Ed25519PrivateKey.generate().public_key())
    other = did_key_from_public_key(Ed25519PrivateKey.generate().public_key())[len("did:key:"):]

    with pytest.raises(VerificationMethodNotFound, match="fragment does not match"):
        verification_method_resolve(f"{did}#{other}")


def test_did_key_signed_credential_verifies_through_the_resolver():
    private_key = Ed25519PrivateKey.generate()
    issuer = did_key_from_public_key(private_key.public_key())

    result = _verify(_signed(issuer, private_key, did_key_verification_method(private_key.public_key())))

    assert result.verified is True


# --- this portal's did:web ----------------------------------------------------------------------------------


def test_institution_key_resolves_from_the_database_without_network(institution, no_network):
    key = signing_key_generate(institution=institution, actor=None)

    resolved = verification_method_resolve(f"{MUNI}#{key.public_key_multibase}", issuer={"id": MUNI})

    assert resolved == ResolvedVerificationMethod(
        id=f"{MUNI}#{key.public_key_multibase}",
        controller=MUNI,
        public_key=resolved.public_key,
        key_status="active",
        retired_at=None,
    )
    assert _raw(resolved.public_key) == _raw(key.public_key())
    assert no_network == []


def test_retired_key_still_resolves_and_says_when_it_retired(institution):
    first = signing_key_generate(institution=institution, actor=None)
    signing_key_rotate(institution=institution, actor=None)
    first.refresh_from_db()

    resolved = verification_method_resolve(f"{MUNI}#{first.public_key_multibase}", issuer=MUNI)

    assert (resolved.key_status, resolved.retired_at) == ("retired", first.retired_at)


def test_portal_key_resolves(db):
    key = signing_key_generate(institution=None, actor=None)

    public_key = resolve_public_key_for_verification_method(
        f"did:web:portal.test#{key.public_key_multibase}", issuer="did:web:portal.test"
    )

    assert _raw(public_key) == _raw(key.public_key())


def test_resolution_follows_the_configured_port(institution, settings):
    settings.MCPORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    key = signing_key_generate(institution=institution, actor=None)

    resolved = verification_method_resolve(
        f"did:web:127.0.0.1%3A8000:institutions:muni#{key.public_key_multibase}"
    )

    assert _raw(resolved.public_key) == _raw(key.public_key())


def test_institution_signed_credential_verifies_offline(institution, no_network):
    signing_key_generate(institution=institution, actor=None)
    loaded = load_active_signing_key(institution=institution)

    result = _verify(_signed(MUNI, loaded.private_key, loaded.verification_method))

    assert result.verified is True
    assert result.verification_method == loaded.verification_method
    assert no_network == []


def test_did_document_resolve_returns_the_published_document(institution):
    key = signing_key_generate(institution=institution, actor=None)

    document = did_document_resolve(MUNI)

    assert document["assertionMethod"] == [f"{MUNI}#{key.public_key_multibase}"]


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "_case"),
    [
        ("did:web:issuer.example.org#key-1", "other host"),
        ("did:web:portal.test%3A8443:institutions:muni#key-1", "same host, other port"),
        ("did:web:evil.example:institutions:muni#z6Mk", "other host, our path"),
    ],
)
def test_foreign_did_web_is_refused_without_any_network_call(method, _case, institution, no_network):
    with pytest.raises(ForeignDidWebHost) as error:
        verification_method_resolve(method)

    assert str(error.value).endswith(
        "is not this portal ('portal.test'); DID documents of other hosts are never fetched."
    )
    assert no_network == []


def test_foreign_did_web_fails_a_proof_check_with_that_reason(no_network):
    private_key = Ed25519PrivateKey.generate()
    issuer = "did:web:issuer.example.org"
    document = _signed(issuer, private_key, f"{issuer}#key-1")

    result = _verify(document)

    assert result.verified is False
    assert result.errors == (
        "verification method 'did:web:issuer.example.org#key-1' could not be resolved: did:web host "
        "'issuer.example.org' is not this portal ('portal.test'); DID documents of other hosts are "
        "never fetched.",
    )
    assert no_network == []


def test_a_key_not_listed_under_the_institution_did_is_refused(institution, other_institution):
    # given UT's key presented as if it were MUNI's
    signing_key_generate(institution=institution, actor=None)
    foreign = signing_key_generate(institution=other_institution, actor=None)

    with pytest.raises(VerificationMethodNotFound, match="does not list"):
        verification_method_resolve(f"{MUNI}#{foreign.public_key_multibase}", issuer=MUNI)


def test_a_key_outside_assertion_method_is_refused(institution):
    key = signing_key_generate(institution=institution, actor=None)

    with pytest.raises(VerificationRelationshipMissing, match="not listed under 'authentication'"):
        verification_method_resolve(f"{MUNI}#{key.public_key_multibase}", relationship="authentication")


def test_a_key_of_another_issuer_is_refused(institution, other_institution):
    # given a credential claiming UT as issuer but signed with MUNI's key
    signing_key_generate(institution=institution, actor=None)
    signing_key_generate(institution=other_institution, actor=None)
    muni = load_active_signing_key(institution=institution)
    document = _signed(UT, muni.private_key, muni.verification_method)

    result = _verify(document)

    assert result.verified is False
    assert result.errors == (
        f"verification method {muni.verification_method!r} could not be resolved: The proof's key "
        f"belongs to {MUNI!r}, but the credential's issuer is {UT!r}.",
    )


def test_a_credential_without_issuer_resolves_no_key(institution):
    signing_key_generate(institution=institution, actor=None)
    loaded = load_active_signing_key(institution=institution)
    document = _signed(MUNI, loaded.private_key, loaded.verification_method)
    del document["issuer"]

    resolve = public_key_resolver_for_issuer(document.get("issuer"))

    with pytest.raises(IssuerNotController):
        resolve(loaded.verification_method)


@pytest.mark.parametrize(
    ("method", "error", "_case"),
    [
        ("did:web:portal.test:institutions:nowhere#z6Mk", DidNotFound, "unknown institution"),
        ("did:web:portal.test:courses:x#z6Mk", DidNotFound, "unknown path"),
        ("did:web:portal.test:institutions:muni:extra#z6Mk", DidNotFound, "too deep"),
        ("did:example:123#key-1", UnsupportedDidMethod, "other method"),
        ("https://portal.test/keys/1#k", UnsupportedDidMethod, "not a DID"),
        ("did:web:portal.test:institutions:muni", VerificationMethodNotFound, "no fragment"),
        ("did:web:portal.test:institutions:muni#", VerificationMethodNotFound, "empty fragment"),
    ],
)
def test_unresolvable_methods_raise_a_specific_lookup_error(method, error, _case, institution):
    with pytest.raises(error) as raised:
        verification_method_resolve(method)

    assert isinstance(raised.value, DidResolutionError)
    assert isinstance(raised.value, LookupError)


def test_an_issuer_object_without_id_controls_no_key(institution):
    key = signing_key_generate(institution=institution, actor=None)

    with pytest.raises(IssuerNotController, match="has no id"):
        verification_method_resolve(f"{MUNI}#{key.public_key_multibase}", issuer={"name": "MUNI"})


# --- the reference verifier reads the served DID document the same way -------------------------------


@pytest.fixture(scope="module")
def node() -> str:
    """Path of node; fails (never skips) when the reference verifier is missing, as tests/interop does."""
    binary = shutil.which("node")
    if binary is None:
        pytest.fail("node is not installed; the reference verifier needs Node.js 20+")
    if not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("interop/node_modules is missing: run npm ci --prefix interop")
    return binary


def _reference_verify(node: str, client, credential: dict, tmp_path) -> dict:
    """Run @digitalbazaar/vc offline with the DID document exactly as the portal serves it."""
    own_url = mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)
    files = {url: str(context.file) for url, context in pinned_contexts(own_context_url=own_url).items()}
    for did, path in [(MUNI, "/institutions/muni/did.json"), (UT, "/institutions/ut/did.json")]:
        served = client.get(path)
        assert served.status_code == 200
        document_file = tmp_path / f"{did.rsplit(':', 1)[-1]}-did.json"
        document_file.write_bytes(served.content)
        files[did] = str(document_file)
        # A did:web resolver dereferences "#fragment" inside the fetched document.
        for method in json.loads(served.content)["verificationMethod"]:
            method_file = tmp_path / f"{method['publicKeyMultibase']}.json"
            method_file.write_text(json.dumps(method))
            files[method["id"]] = str(method_file)
    contexts_map = tmp_path / "map.json"
    contexts_map.write_text(json.dumps(files))
    completed = subprocess.run(
        [node, str(INTEROP / "verify.mjs"), "--contexts", str(contexts_map), "-"],
        input=json.dumps(credential, ensure_ascii=False), capture_output=True, text=True, encoding="utf-8",
        timeout=120, check=False,
    )
    return json.loads(completed.stdout)


def test_reference_verifier_accepts_old_and_new_keys_after_rotation(
    node, client, institution, other_institution, tmp_path
):
    # given a credential signed before a rotation and one signed after
    signing_key_generate(institution=institution, actor=None)
    signing_key_generate(institution=other_institution, actor=None)
    before = load_active_signing_key(institution=institution)
    old_credential = _signed(MUNI, before.private_key, before.verification_method)
    signing_key_rotate(institution=institution, actor=None)
    after = load_active_signing_key(institution=institution)
    new_credential = _signed(MUNI, after.private_key, after.verification_method)

    # then the reference verifier, reading the served DID document, accepts both
    assert _reference_verify(node, client, old_credential, tmp_path) == {"verified": True, "errors": []}
    assert _reference_verify(node, client, new_credential, tmp_path) == {"verified": True, "errors": []}


def test_reference_verifier_refuses_a_key_of_another_issuer(
    node, client, institution, other_institution, tmp_path
):
    # given UT named as issuer, but the proof made with MUNI's key
    signing_key_generate(institution=institution, actor=None)
    signing_key_generate(institution=other_institution, actor=None)
    muni = load_active_signing_key(institution=institution)
    credential = _signed(UT, muni.private_key, muni.verification_method)

    result = _reference_verify(node, client, credential, tmp_path)

    # then both verifiers refuse it
    assert result == {
        "verified": False,
        "errors": ["Error: Credential issuer must match the verification method controller."],
    }
    assert _verify(credential).verified is False
