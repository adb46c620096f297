"""Pinned JSON-LD contexts and the offline document loader: provenance, integrity, no network."""

import hashlib
import json
import re
import shutil
import socket
from pathlib import Path

import pytest
from pyld import jsonld

from credentials.jsonld.canonical import InvalidJsonLd, canonicalize
from credentials.jsonld.loader import (
    CONTEXTS_DIR,
    ContextNotPinned,
    PinnedContextTampered,
    build_document_loader,
    mcportal_context_url,
    pinned_contexts,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
ELM = "http://data.europa.eu/snb/model/elm/"
OWN_URL = mcportal_context_url("https://mc.portal.example")


@pytest.fixture
def no_network(monkeypatch):
    """Make every socket connection fail and record the attempt."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def _examples_context():
    return json.loads((REFERENCE / "w3c/contexts/credentials-examples-v2.jsonld").read_text())


def test_manifest_lists_the_pinned_urls_with_matching_sha256():
    # given the manifest on disk
    manifest = json.loads((CONTEXTS_DIR / "manifest.json").read_text())

    # when the pinned contexts are loaded
    contexts = pinned_contexts()

    # then every file hashes to the recorded value and names its npm source
    assert set(contexts) == {
        VC_V2,
        OB_303,
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        "https://w3id.org/security/data-integrity/v2",
        "https://w3id.org/security/multikey/v1",
        "https://www.w3.org/ns/did/v1",
    }
    for url, context in contexts.items():
        assert hashlib.sha256(context.file.read_bytes()).hexdigest() == context.sha256
        assert manifest["pinned"][url]["source"]["npm"].count("@") >= 1
    own = manifest["own"]["mcportal-v1"]
    own_bytes = (CONTEXTS_DIR / own["file"]).read_bytes()
    assert hashlib.sha256(own_bytes).hexdigest() == own["sha256"]


def test_readme_provenance_table_matches_the_manifest():
    # given the human-readable provenance table
    readme = (CONTEXTS_DIR / "README.md").read_text()
    manifest = json.loads((CONTEXTS_DIR / "manifest.json").read_text())

    # then each pinned file's row names its package and its current SHA-256
    for entry in [*manifest["pinned"].values(), *manifest["own"].values()]:
        row = next(line for line in readme.splitlines() if f"`{entry['file']}`" in line)
        assert entry["sha256"] in row
        if "npm" in entry["source"]:
            assert entry["source"]["npm"] in row


def test_ob_303_context_is_byte_identical_to_the_1edtech_file():
    # given the pinned copy and the 1EdTech reference copy
    pinned = pinned_contexts()[OB_303]
    reference = REFERENCE / "ob3/context-3.0.3.json"

    # then the bytes are the same, including the 2024 additions
    assert pinned.file.read_bytes() == reference.read_bytes()
    text = pinned.file.read_text()
    assert '"inLanguage"' in text
    assert '"awardedDate"' in text


def test_vc_v2_context_has_the_same_content_as_the_w3c_file():
    pinned = pinned_contexts()[VC_V2]
    reference = json.loads((REFERENCE / "w3c/contexts/credentials-v2.jsonld").read_text())

    assert json.loads(pinned.file.read_text()) == reference


def test_loader_returns_a_fresh_copy_each_time():
    # given a loader
    loader = build_document_loader()

    # when a caller mutates what it got
    first = loader(VC_V2)
    first["document"]["@context"]["mutated"] = True

    # then the next caller still gets the pinned document
    assert "mutated" not in loader(VC_V2)["document"]["@context"]
    assert first["documentUrl"] == VC_V2


def test_unknown_url_fails_closed_without_touching_the_network(no_network):
    # given the product loader and a document using an unpinned context
    loader = build_document_loader()
    document = {
        "@context": [VC_V2, "https://evil.example/context.jsonld"],
        "type": ["VerifiableCredential"],
    }

    # when the loader is asked directly, or indirectly through canonicalisation
    with pytest.raises(ContextNotPinned) as direct:
        loader("https://evil.example/context.jsonld")
    with pytest.raises(ContextNotPinned) as indirect:
        canonicalize(document, document_loader=loader)

    # then both name the URL and no connection was attempted
    assert direct.value.url == "https://evil.example/context.jsonld"
    assert indirect.value.url == "https://evil.example/context.jsonld"
    assert "https://evil.example/context.jsonld" in str(indirect.value)
    assert no_network == []


def test_pyld_global_loader_is_never_used(no_network, monkeypatch):
    # given pyld's process-wide loader replaced by one that records calls
    calls = []
    monkeypatch.setattr(jsonld, "_default_document_loader", lambda url, options=None: calls.append(url))
    document = {"@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": "did:example:1"}

    # when a document is canonicalised
    canonicalize(document, document_loader=build_document_loader())

    # then only our loader was consulted
    assert calls == []


def test_altered_pinned_file_fails_the_sha256_check(tmp_path):
    # given a copy of the contexts with one byte appended to the VC context
    contexts_dir = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, contexts_dir)
    with (contexts_dir / "credentials-v2.jsonld").open("ab") as handle:
        handle.write(b" ")

    # when a loader is built from it
    with pytest.raises(PinnedContextTampered) as error:
        build_document_loader(contexts_dir=contexts_dir)

    # then it refuses, naming the file
    assert "credentials-v2.jsonld" in str(error.value)


def test_altered_own_context_fails_the_sha256_check(tmp_path):
    contexts_dir = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, contexts_dir)
    own = contexts_dir / "mcportal-v1.jsonld"
    own.write_text(own.read_text().replace("elm/point", "elm/points"))

    with pytest.raises(PinnedContextTampered, match="mcportal-v1.jsonld"):
        pinned_contexts(own_context_url=OWN_URL, contexts_dir=contexts_dir)


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://mc.example", "https://mc.example/contexts/mcportal/v1.jsonld"),
        ("https://mc.example/", "https://mc.example/contexts/mcportal/v1.jsonld"),
        ("http://localhost:8000", "http://localhost:8000/contexts/mcportal/v1.jsonld"),
    ],
    ids=["plain_case", "trailing_slash_case", "dev_port_case"],
)
def test_own_context_url_is_derived_from_the_portal_url(public_url, expected):
    assert mcportal_context_url(public_url) == expected


def test_own_context_is_served_only_at_the_configured_url():
    # given loaders with and without the portal's URL
    with_own = build_document_loader(own_context_url=OWN_URL)
    without_own = build_document_loader()

    # then only the configured one serves the file's content
    served = with_own(OWN_URL)["document"]
    assert served == json.loads((CONTEXTS_DIR / "mcportal-v1.jsonld").read_text())
    with pytest.raises(ContextNotPinned):
        without_own(OWN_URL)


def test_own_context_may_not_shadow_a_pinned_url():
    with pytest.raises(ValueError, match="already a pinned"):
        build_document_loader(own_context_url=VC_V2)


def test_extra_contexts_do_not_leak_into_other_loaders():
    # given a test loader that knows the W3C examples context, used once
    document = json.loads((REFERENCE / "w3c/test-vectors/eddsa-rdfc-2022/unsigned.json").read_text())
    test_loader = build_document_loader(extra_contexts={EXAMPLES_V2: _examples_context()})
    assert canonicalize(document, document_loader=test_loader)

    # when the product loader meets the same context afterwards
    with pytest.raises(ContextNotPinned) as error:
        canonicalize(document, document_loader=build_document_loader())

    # then it still refuses (pyld's shared cache would otherwise have served it)
    assert error.value.url == EXAMPLES_V2


def _elm_ontology_terms() -> set[str]:
    text = (REFERENCE / "elm/ontology/ELM.ttl").read_text()
    return set(re.findall(r"^elm:(\w+)\s*$", text, flags=re.MULTILINE))


def test_own_context_maps_terms_to_elm_properties():
    # given the portal's own context
    context = json.loads((CONTEXTS_DIR / "mcportal-v1.jsonld").read_text())["@context"]
    terms = {key: value for key, value in context.items() if not key.startswith("@")}
    elm_terms = _elm_ontology_terms()

    # then it is protected and every ELM IRI is a property defined in the ontology
    assert context["@protected"] is True
    for term in (
        "ectsCredits",
        "assessmentType",
        "participationForm",
        "qualityAssurance",
        "identityVerification",
        "issuerCountry",
    ):
        assert term in terms
    for term, definition in terms.items():
        iri = definition["@id"]
        if term == "assessmentType":
            # ELM types an assessment specification with dc:type ("dcType" in EDC).
            assert iri == "http://purl.org/dc/terms/type"
            continue
        assert iri.startswith(ELM), term
        assert iri.removeprefix(ELM) in elm_terms, term


def test_own_context_terms_expand_and_cannot_be_redefined():
    # given a loader that serves the portal's context
    loader = build_document_loader(own_context_url=OWN_URL)
    document = {
        "@context": [VC_V2, OWN_URL],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential"],
        "issuer": {
            "id": "did:example:issuer",
            "issuerCountry": "http://publications.europa.eu/resource/authority/country/SVK",
        },
    }

    # when expanded, the term becomes the ELM IRI with an IRI value
    nquads = canonicalize(document, document_loader=loader)
    assert (
        "<did:example:issuer> <http://data.europa.eu/snb/model/elm/countryCode> "
        "<http://publications.europa.eu/resource/authority/country/SVK> ." in nquads
    )

    # and a later context may not redefine a protected term
    redefined = {**document, "@context": [VC_V2, OWN_URL, {"issuerCountry": "urn:other"}]}
    with pytest.raises(InvalidJsonLd, match="protected term redefinition"):
        canonicalize(redefined, document_loader=loader)
