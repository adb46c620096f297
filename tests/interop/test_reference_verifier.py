"""Cross-checks with the JavaScript reference (@digitalbazaar/vc + eddsa-rdfc-2022-cryptosuite)."""

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.jsonld.canonical import UnsafeDocument
from credentials.jsonld.loader import build_document_loader, mcportal_context_url, pinned_contexts
from credentials.signing.multikey import (
    did_key_from_public_key,
    did_key_verification_method,
    public_key_from_did_key,
)
from credentials.signing.proofs import proof_create, proof_verify
from tests.interop.conftest import INTEROP
from tests.interop.samples import PORTAL_URL, openbadge_microcredential

OWN_URL = mcportal_context_url(PORTAL_URL)
NODE_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def contexts_map(tmp_path_factory) -> Path:
    """The same pinned files the Python loader serves, as {url: path} for the scripts."""
    path = tmp_path_factory.mktemp("interop") / "contexts.json"
    contexts = pinned_contexts(own_context_url=OWN_URL)
    path.write_text(json.dumps({url: str(context.file) for url, context in contexts.items()}))
    return path


@pytest.fixture(scope="module")
def loader():
    return build_document_loader(own_context_url=OWN_URL)


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def _run(node: str, script: str, document: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [node, str(INTEROP / script), *args, "-"],
        input=json.dumps(document, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )


def _reference_verify(node: str, document: dict, contexts_map: Path) -> dict:
    completed = _run(node, "verify.mjs", document, "--contexts", str(contexts_map))
    result = json.loads(completed.stdout)
    assert (completed.returncode == 0) == result["verified"], completed
    return result


def _reference_sign(node: str, document: dict, contexts_map: Path) -> dict:
    completed = _run(node, "sign.mjs", document, "--contexts", str(contexts_map))
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _python_sign(key: Ed25519PrivateKey, loader, name: str | None = None) -> dict:
    document = openbadge_microcredential(
        issuer_did=did_key_from_public_key(key.public_key()), own_context_url=OWN_URL, name=name
    )
    return proof_create(
        document=document,
        private_key=key,
        verification_method=did_key_verification_method(key.public_key()),
        created=datetime.now(UTC),
        document_loader=loader,
    )


def test_python_signed_openbadge_verifies_in_the_reference_verifier(node, contexts_map, key, loader):
    # given an OB 3.0 micro-credential signed by the portal
    signed = _python_sign(key, loader)

    # when the JavaScript reference verifier checks it offline
    result = _reference_verify(node, signed, contexts_map)

    # then it verifies
    assert result == {"verified": True, "errors": []}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["name"], "Doctor of Everything"),
        (["credentialSubject", "achievement", "ectsCredits"], 60),
        (["credentialSubject", "result", 0, "value"], "FX"),
        (["proof", "created"], "2020-01-01T00:00:00Z"),
    ],
    ids=["name_case", "own_context_term_case", "result_case", "proof_created_case"],
)
def test_tampered_python_signed_credential_fails_in_the_reference_verifier(
    node, contexts_map, key, loader, path, value
):
    # given a portal-signed credential with one value changed afterwards
    signed = _python_sign(key, loader)
    target = signed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    # when the reference verifier checks it
    result = _reference_verify(node, signed, contexts_map)

    # then it is rejected because the signature no longer matches
    assert result["verified"] is False
    assert any("Invalid signature" in error for error in result["errors"]), result


def test_reference_signed_credential_verifies_in_python(node, contexts_map, loader):
    # given an OB credential signed by the JavaScript library with a key it generated
    unsigned = openbadge_microcredential(issuer_did="did:key:replaced", own_context_url=OWN_URL)
    signed = _reference_sign(node, unsigned, contexts_map)

    # when the portal verifies it, resolving the did:key itself
    result = proof_verify(document=signed, resolve_public_key=public_key_from_did_key, document_loader=loader)

    # then it verifies with the library's verification method
    assert result.verified is True, result.errors
    assert result.verification_method == signed["proof"]["verificationMethod"]
    assert signed["issuer"]["id"] == result.verification_method.split("#")[0]


@pytest.mark.parametrize(
    "name",
    [
        "Zoe\u0308 — Ana\u0301lisis de datos",
        "🎓 Data Analysis 👩🏽‍💻",
        "تحليل البيانات",
        "数据分析・データ分析",
        "𝔇𝔞𝔱𝔞 𝒜𝓃𝒶𝓁𝓎𝓈𝒾𝓈 𐍈",
    ],
    ids=["combining_case", "emoji_case", "rtl_case", "cjk_case", "astral_case"],
)
def test_unicode_names_verify_in_both_directions(node, contexts_map, key, loader, name):
    # given the same name signed by each side
    python_signed = _python_sign(key, loader, name=name)
    unsigned = openbadge_microcredential(issuer_did="did:key:replaced", own_context_url=OWN_URL, name=name)
    reference_signed = _reference_sign(node, unsigned, contexts_map)

    # then each side verifies the other's signature and the name is unchanged
    assert _reference_verify(node, python_signed, contexts_map)["verified"] is True
    result = proof_verify(
        document=reference_signed,
        resolve_public_key=public_key_from_did_key,
        document_loader=loader,
    )
    assert result.verified is True, result.errors
    assert reference_signed["name"] == name


def test_undefined_terms_are_refused_by_both_sides(node, contexts_map, key):
    # given a credential with a property no context defines
    unsigned = openbadge_microcredential(issuer_did=did_key_from_public_key(key.public_key()))
    unsigned["favouriteColour"] = "blue"

    # then the reference library refuses it (safe mode) and so does the portal
    completed = _run(node, "sign.mjs", unsigned, "--contexts", str(contexts_map))
    assert completed.returncode != 0
    assert "Safe mode validation error" in completed.stderr
    with pytest.raises(UnsafeDocument, match="favouriteColour"):
        proof_create(
            document=unsigned,
            private_key=key,
            verification_method=did_key_verification_method(key.public_key()),
            created=datetime.now(UTC),
            document_loader=build_document_loader(),
        )


def test_utf16_ordering_divergence_is_reported_not_misdiagnosed(node, contexts_map, loader):
    # given a JS-signed credential whose tags sort differently by UTF-16 and by code point
    unsigned = openbadge_microcredential(issuer_did="did:key:replaced", own_context_url=OWN_URL)
    unsigned["credentialSubject"]["achievement"]["tag"] = ["\U0001f600 smile", "\ufb01 ligature"]
    signed = _reference_sign(node, unsigned, contexts_map)

    # when the portal verifies it
    result = proof_verify(document=signed, resolve_public_key=public_key_from_did_key, document_loader=loader)

    # then the reason is the canonicaliser difference, not a bare signature failure
    assert result.verified is False
    assert "sort differently" in result.errors[0]


def test_reference_verifier_is_offline(node, contexts_map, key):
    # given a credential signed with a context that only this test's loader knows
    extra_url = "https://unpinned.example/context.jsonld"
    unsigned = openbadge_microcredential(issuer_did=did_key_from_public_key(key.public_key()))
    unsigned["@context"].append(extra_url)
    signed = proof_create(
        document=unsigned,
        private_key=key,
        verification_method=did_key_verification_method(key.public_key()),
        created=datetime.now(UTC),
        document_loader=build_document_loader(extra_contexts={extra_url: {"@context": {}}}),
    )

    # when the reference verifier, which was not given that context, checks it
    result = _reference_verify(node, signed, contexts_map)

    # then its loader refused the URL instead of fetching it
    assert result["verified"] is False
    assert any(f"{extra_url} is not pinned" in error for error in result["errors"]), result
