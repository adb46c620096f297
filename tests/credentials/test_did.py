"""did:web identifiers, DID documents of institutions and the portal, and their public endpoints."""
import hashlib
import json

import pytest
from django.urls import reverse

from credentials.did import (
    DidError,
    DidWeb,
    did_document_build,
    did_web_document_url,
    did_web_host,
    did_web_parse,
    institution_did,
    portal_did,
    verification_method_id,
)
from credentials.did_resolution import did_document_for
from credentials.jsonld.canonical import canonicalize
from credentials.jsonld.loader import CONTEXTS_DIR, build_document_loader
from credentials.services.keys import signing_key_generate, signing_key_retire, signing_key_rotate

TEST_KEK = "dGVzdC1rZWstMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
KEY_A = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
KEY_B = "z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"


@pytest.fixture(autouse=True)
def kek(settings):
    settings.MCPORTAL_KEY_ENCRYPTION_KEY = TEST_KEK


# --- identifiers (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "host", "_case"),
    [
        ("https://portal.example.edu", "portal.example.edu", "plain host"),
        ("http://127.0.0.1:8000", "127.0.0.1%3A8000", "port colon is %3A"),
        ("https://Portal.Example.EDU:8443/", "portal.example.edu%3A8443", "case folded"),
        ("https://portal.example.edu:443", "portal.example.edu", "default https port dropped"),
        ("https://bücher.example", "xn--bcher-kva.example", "IDN as punycode"),
    ],
)
def test_did_web_host(public_url, host, _case):
    assert did_web_host(public_url) == host


def test_institution_and_portal_dids_with_a_port():
    url = "http://127.0.0.1:8000"

    assert portal_did(url) == "did:web:127.0.0.1%3A8000"
    assert institution_did(url, "muni") == "did:web:127.0.0.1%3A8000:institutions:muni"
    assert did_web_document_url(portal_did(url)) == "https://127.0.0.1:8000/.well-known/did.json"
    assert did_web_document_url(institution_did(url, "muni")) == (
        "https://127.0.0.1:8000/institutions/muni/did.json"
    )


def test_a_public_url_path_becomes_did_path_segments():
    did = institution_did("https://example.edu/portal", "muni")

    assert did == "did:web:example.edu:portal:institutions:muni"
    assert did_web_document_url(did) == "https://example.edu/portal/institutions/muni/did.json"


def test_did_web_parse_decodes_host_and_segments():
    assert did_web_parse("did:web:127.0.0.1%3A8000:institutions:muni") == DidWeb(
        host="127.0.0.1:8000", path=("institutions", "muni")
    )
    assert did_web_parse("did:web:Portal.Test") == DidWeb(host="portal.test", path=())


@pytest.mark.parametrize(
    ("did", "_case"),
    [
        ("did:key:z6Mk", "other method"),
        ("did:web:portal.test#key-1", "DID URL with fragment"),
        ("did:web:portal.test:institutions:muni/did.json", "path with slash"),
        ("did:web:", "no host"),
        ("did:web:portal.test::muni", "empty segment"),
    ],
)
def test_did_web_parse_refuses_what_is_not_a_did_web(did, _case):
    with pytest.raises(DidError):
        did_web_parse(did)


def test_did_document_lists_every_key_as_a_multikey_assertion_method():
    did = "did:web:portal.test:institutions:muni"

    document = did_document_build(did=did, public_keys_multibase=[KEY_A, KEY_B])

    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": f"{did}#{KEY_A}", "type": "Multikey", "controller": did, "publicKeyMultibase": KEY_A},
            {"id": f"{did}#{KEY_B}", "type": "Multikey", "controller": did, "publicKeyMultibase": KEY_B},
        ],
        "assertionMethod": [f"{did}#{KEY_A}", f"{did}#{KEY_B}"],
    }
    assert verification_method_id(did, KEY_A) == f"{did}#{KEY_A}"


def test_did_document_is_fully_defined_by_the_pinned_contexts():
    # canonicalize raises if any term would be dropped as undefined
    document = did_document_build(did="did:web:portal.test", public_keys_multibase=[KEY_A])

    nquads = canonicalize(document, document_loader=build_document_loader())

    assert f'<did:web:portal.test#{KEY_A}> <https://w3id.org/security#publicKeyMultibase> "{KEY_A}"' in nquads
    assert (
        f"<did:web:portal.test> <https://w3id.org/security#assertionMethod> <did:web:portal.test#{KEY_A}>"
        in nquads
    )


def test_did_document_refuses_a_key_listed_twice():
    with pytest.raises(ValueError, match="listed twice"):
        did_document_build(did="did:web:portal.test", public_keys_multibase=[KEY_A, KEY_A])


# --- documents from the database ------------------------------------------------------------------------


@pytest.mark.django_db
def test_institution_document_lists_active_then_retired_keys_and_nothing_else(institution, other_institution):
    first = signing_key_generate(institution=institution, actor=None)
    second = signing_key_rotate(institution=institution, actor=None)
    third = signing_key_rotate(institution=institution, actor=None)
    signing_key_generate(institution=other_institution, actor=None)
    signing_key_generate(institution=None, actor=None)

    document = did_document_for(institution)

    did = "did:web:portal.test:institutions:muni"
    assert document["id"] == did
    assert document["assertionMethod"] == [
        f"{did}#{third.public_key_multibase}",
        f"{did}#{second.public_key_multibase}",
        f"{did}#{first.public_key_multibase}",
    ]


@pytest.mark.django_db
def test_document_of_an_institution_without_keys_has_none(institution):
    assert did_document_for(institution)["verificationMethod"] == []


@pytest.mark.django_db
def test_document_follows_the_public_url(institution, settings):
    settings.MCPORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    key = signing_key_generate(institution=institution, actor=None)

    document = did_document_for(institution)

    assert document["id"] == "did:web:127.0.0.1%3A8000:institutions:muni"
    assert document["verificationMethod"][0]["id"] == (
        f"did:web:127.0.0.1%3A8000:institutions:muni#{key.public_key_multibase}"
    )


# --- the public endpoints --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_institution_did_json_is_public_cacheable_json_ld(client, institution, django_assert_num_queries):
    key = signing_key_generate(institution=institution, actor=None)
    url = reverse("credentials:institution-did-document", args=["muni"])

    with django_assert_num_queries(2):
        response = client.get(url)

    assert url == "/institutions/muni/did.json"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+ld+json"
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
    assert json.loads(response.content) == did_document_for(institution)
    assert key.public_key_multibase in response.content.decode()
    assert "Cookie" not in response.get("Vary", "")
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_did_json_answers_a_matching_etag_with_304(client, institution):
    signing_key_generate(institution=institution, actor=None)
    first = client.get("/institutions/muni/did.json")

    again = client.get("/institutions/muni/did.json", headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=60"


@pytest.mark.django_db
def test_rotation_changes_the_etag(client, institution):
    signing_key_generate(institution=institution, actor=None)
    before = client.get("/institutions/muni/did.json")

    signing_key_rotate(institution=institution, actor=None)
    after = client.get("/institutions/muni/did.json", headers={"If-None-Match": before["ETag"]})

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert len(json.loads(after.content)["assertionMethod"]) == 2


@pytest.mark.django_db
def test_retired_keys_stay_in_the_served_document(client, institution):
    key = signing_key_generate(institution=institution, actor=None)
    signing_key_retire(signing_key=key, actor=None)

    response = client.get("/institutions/muni/did.json")

    assert json.loads(response.content)["assertionMethod"] == [
        f"did:web:portal.test:institutions:muni#{key.public_key_multibase}"
    ]


@pytest.mark.django_db
def test_unknown_institution_is_404(client):
    response = client.get("/institutions/nowhere/did.json")

    assert response.status_code == 404


@pytest.mark.django_db
def test_did_json_only_answers_safe_methods(client, institution):
    assert client.head("/institutions/muni/did.json").status_code == 200
    assert client.post("/institutions/muni/did.json").status_code == 405


@pytest.mark.django_db
def test_portal_did_json_at_the_well_known_path(client):
    key = signing_key_generate(institution=None, actor=None)

    response = client.get("/.well-known/did.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+ld+json"
    document = json.loads(response.content)
    assert document["id"] == "did:web:portal.test"
    assert document["assertionMethod"] == [f"did:web:portal.test#{key.public_key_multibase}"]


@pytest.mark.django_db
def test_own_context_is_served_byte_for_byte_with_long_cache(client):
    manifest = json.loads((CONTEXTS_DIR / "manifest.json").read_text())
    own = manifest["own"]["mcportal-v1"]

    response = client.get("/contexts/mcportal/v1.jsonld")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response.content == (CONTEXTS_DIR / own["file"]).read_bytes()
    assert response["ETag"] == f'"{own["sha256"]}"'
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.get(
        "/contexts/mcportal/v1.jsonld", headers={"If-None-Match": response["ETag"]}
    ).status_code == 304
