"""eddsa-rdfc-2022 Data Integrity proofs, Multikey/did:key encodings and canonicalisation guards."""

import copy
import hashlib
import json
import time
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.jsonld.canonical import (
    CanonicalizationLimitExceeded,
    UnsafeDocument,
    canonicalize,
)
from credentials.jsonld.loader import ContextNotPinned, build_document_loader, mcportal_context_url
from credentials.signing.multikey import (
    MultikeyError,
    base58btc_decode,
    base58btc_encode,
    did_key_from_public_key,
    did_key_verification_method,
    multikey_to_private_key,
    multikey_to_public_key,
    private_key_to_multikey,
    public_key_from_did_key,
    public_key_to_multikey,
)
from credentials.signing.proofs import ProofVerification, format_timestamp, proof_create, proof_verify
from tests.interop.samples import PORTAL_URL, openbadge_microcredential

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"
VECTORS = REFERENCE / "w3c/test-vectors/eddsa-rdfc-2022"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OWN_URL = mcportal_context_url(PORTAL_URL)
CREATED = "2025-06-30T12:00:00Z"
# Published in the W3C notes for the eddsa-rdfc-2022 test vector.
VECTOR_PROOF_CONFIG_HASH = "bea7b7acfbad0126b135104024a5f1733e705108f42d59668b05c0c50004c6b0"
VECTOR_DOCUMENT_HASH = "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"


def _vector(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


@pytest.fixture(scope="module")
def vector_loader():
    examples = json.loads((REFERENCE / "w3c/contexts/credentials-examples-v2.jsonld").read_text())
    return build_document_loader(extra_contexts={EXAMPLES_V2: examples})


@pytest.fixture(scope="module")
def loader():
    return build_document_loader(own_context_url=OWN_URL)


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def credential(key):
    return openbadge_microcredential(
        issuer_did=did_key_from_public_key(key.public_key()), own_context_url=OWN_URL
    )


def _sign(document, key, loader, **overrides):
    arguments = {
        "document": document,
        "private_key": key,
        "verification_method": did_key_verification_method(key.public_key()),
        "created": CREATED,
        "document_loader": loader,
    }
    return proof_create(**(arguments | overrides))


def _verify(document, loader, **overrides) -> ProofVerification:
    arguments = {
        "document": document,
        "resolve_public_key": public_key_from_did_key,
        "document_loader": loader,
    }
    return proof_verify(**(arguments | overrides))


# --- W3C test vector -----------------------------------------------------------------------


def test_w3c_vector_intermediate_hashes(vector_loader):
    # given the vector's proof configuration and unsigned document
    proof_config = _vector("proofConfigDataInt.json")
    unsigned = _vector("unsigned.json")

    # when each is canonicalised and hashed
    config_hash = hashlib.sha256(canonicalize(proof_config, document_loader=vector_loader).encode())
    document_hash = hashlib.sha256(canonicalize(unsigned, document_loader=vector_loader).encode())

    # then both match the published values
    assert config_hash.hexdigest() == VECTOR_PROOF_CONFIG_HASH
    assert document_hash.hexdigest() == VECTOR_DOCUMENT_HASH


def test_w3c_vector_is_reproduced_byte_for_byte(vector_loader):
    # given the vector's key pair and proof options
    key_pair = _vector("keyPair.json")
    options = _vector("proofConfigDataInt.json")
    private_key = multikey_to_private_key(key_pair["privateKeyMultibase"])

    # when the unsigned credential is signed
    signed = proof_create(
        document=_vector("unsigned.json"),
        private_key=private_key,
        verification_method=options["verificationMethod"],
        created=options["created"],
        proof_purpose=options["proofPurpose"],
        document_loader=vector_loader,
    )

    # then the output, serialised, is exactly the expected signed credential
    expected = _vector("signedDataInt.json")
    assert signed == expected
    assert json.dumps(signed) == json.dumps(expected)
    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]


def test_w3c_vector_verifies(vector_loader):
    result = _verify(_vector("signedDataInt.json"), vector_loader)

    assert result == ProofVerification(
        verified=True, verification_method=_vector("proofConfigDataInt.json")["verificationMethod"]
    )


# --- Multikey and did:key ------------------------------------------------------------------


def test_w3c_key_pair_round_trips_through_multikey():
    key_pair = _vector("keyPair.json")

    private_key = multikey_to_private_key(key_pair["privateKeyMultibase"])

    assert private_key_to_multikey(private_key) == key_pair["privateKeyMultibase"]
    assert public_key_to_multikey(private_key.public_key()) == key_pair["publicKeyMultibase"]
    assert key_pair["publicKeyMultibase"].startswith("z6Mk")


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", ""),
        (b"\x00", "1"),
        (b"\x00\x00\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (bytes(range(256))[:32], "1thX6LZfHDZZKUs92febYZhYRcXddmzfzF2NvTkPNE"),
    ],
    ids=["empty_case", "zero_case", "leading_zeros_case", "ascii_case", "key_sized_case"],
)
def test_base58btc_round_trip(raw, encoded):
    assert base58btc_encode(raw) == encoded
    assert base58btc_decode(encoded) == raw


@pytest.mark.parametrize(
    "bad",
    ["0OIl", "z6Mk+", "abc def"],
    ids=["excluded_letters_case", "symbol_case", "space_case"],
)
def test_base58btc_rejects_characters_outside_the_alphabet(bad):
    with pytest.raises(MultikeyError, match="invalid base58btc character"):
        base58btc_decode(bad)


def test_did_key_helpers_agree(key):
    public_key = key.public_key()
    multikey = public_key_to_multikey(public_key)

    assert did_key_from_public_key(public_key) == f"did:key:{multikey}"
    assert did_key_verification_method(public_key) == f"did:key:{multikey}#{multikey}"
    resolved = public_key_from_did_key(did_key_verification_method(public_key))
    assert public_key_to_multikey(resolved) == multikey


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("did:web:portal.example#key-1", "not a did:key"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#other", "fragment"),
        ("did:key:z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq", "not an Ed25519 public"),
        ("did:key:u6Mk", "base58btc"),
    ],
    ids=["other_method_case", "fragment_mismatch_case", "secret_key_case", "other_base_case"],
)
def test_public_key_from_did_key_rejects_non_matching_input(value, message):
    with pytest.raises(MultikeyError, match=message):
        public_key_from_did_key(value)


def test_multikey_rejects_a_public_key_in_place_of_a_secret_one():
    with pytest.raises(MultikeyError, match="secret"):
        multikey_to_private_key(_vector("keyPair.json")["publicKeyMultibase"])
    with pytest.raises(MultikeyError):
        multikey_to_public_key("z")


# --- Create and verify ---------------------------------------------------------------------


def test_ob_credential_round_trip(credential, key, loader):
    # given an untouched copy of the unsigned credential
    before = copy.deepcopy(credential)

    # when it is signed and verified
    signed = _sign(credential, key, loader)
    result = _verify(signed, loader)

    # then the proof verifies, the input is unchanged and the proof has the expected shape
    assert result == ProofVerification(
        verified=True, verification_method=did_key_verification_method(key.public_key())
    )
    assert credential == before
    assert "proof" not in credential
    assert list(signed["proof"]) == [
        "type",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
    ]
    assert signed["proof"]["proofValue"].startswith("z")
    assert len(base58btc_decode(signed["proof"]["proofValue"][1:])) == 64
    assert {key: value for key, value in signed.items() if key != "proof"} == before


def test_verify_does_not_modify_its_input(credential, key, loader):
    signed = _sign(credential, key, loader)
    before = copy.deepcopy(signed)

    _verify(signed, loader)

    assert signed == before


def test_signing_is_deterministic(credential, key, loader):
    assert _sign(credential, key, loader) == _sign(copy.deepcopy(credential), key, loader)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (datetime(2025, 6, 30, 12, 0, 0, 987654, tzinfo=UTC), "2025-06-30T12:00:00Z"),
        (
            datetime(2025, 6, 30, 14, 0, 0, tzinfo=timezone(timedelta(hours=2))),
            "2025-06-30T12:00:00Z",
        ),
        ("2025-06-30T12:00:00Z", "2025-06-30T12:00:00Z"),
    ],
    ids=["microseconds_dropped_case", "offset_converted_case", "string_kept_case"],
)
def test_created_is_utc_without_fractions(credential, key, loader, created, expected):
    signed = _sign(credential, key, loader, created=created)

    assert signed["proof"]["created"] == expected


@pytest.mark.parametrize(
    "created",
    [datetime(2025, 6, 30, 12, 0, 0), "2025-06-30T12:00:00.5Z", "2025-06-30 12:00:00"],
    ids=["naive_datetime_case", "fraction_string_case", "space_string_case"],
)
def test_created_must_be_an_aware_utc_timestamp(credential, key, loader, created):
    with pytest.raises(ValueError, match="timestamp|created"):
        _sign(credential, key, loader, created=created)


def test_format_timestamp_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2025, 1, 1))


def test_signing_a_signed_document_is_a_programmer_error(credential, key, loader):
    signed = _sign(credential, key, loader)

    with pytest.raises(ValueError, match="already has a proof"):
        _sign(signed, key, loader)


def test_signing_refuses_values_json_cannot_carry(credential, key, loader):
    credential["credentialSubject"]["creditsEarned"] = float("nan")

    with pytest.raises(ValueError, match="Out of range float"):
        _sign(credential, key, loader)


# --- Tampering -----------------------------------------------------------------------------

MISMATCH = "signature does not match"


def _set(path, value):
    def change(document):
        target = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(document):
        target = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


TAMPERING = [
    ("credential_name_case", _set(["name"], "Master of Everything"), MISMATCH),
    ("valid_from_case", _set(["validFrom"], "2020-01-01T00:00:00Z"), MISMATCH),
    (
        "achievement_type_case",
        _set(["credentialSubject", "achievement", "achievementType"], "Diploma"),
        MISMATCH,
    ),
    ("result_value_case", _set(["credentialSubject", "result", 0, "value"], "B"), MISMATCH),
    ("ects_credits_case", _set(["credentialSubject", "achievement", "ectsCredits"], 60), MISMATCH),
    ("issuer_name_case", _set(["issuer", "name"], "Diploma Mill Ltd"), MISMATCH),
    ("issuer_removed_case", _delete(["issuer"]), MISMATCH),
    (
        "context_removed_case",
        _set(["@context"], ["https://www.w3.org/ns/credentials/v2"]),
        "not defined by any @context",
    ),
    ("added_undefined_property_case", _set(["grade"], "A+"), "'grade' is not defined by any @context"),
    ("unpinned_context_case", _set(["@context", 3], "https://evil.example/v1"), "not pinned"),
    ("created_case", _set(["proof", "created"], "2025-07-01T12:00:00Z"), MISMATCH),
    ("proof_type_case", _set(["proof", "type"], "Ed25519Signature2020"), "proof type 'Ed25519Signature2020'"),
    ("cryptosuite_case", _set(["proof", "cryptosuite"], "eddsa-jcs-2022"), "cryptosuite 'eddsa-jcs-2022'"),
    ("purpose_case", _set(["proof", "proofPurpose"], "authentication"), "proof purpose 'authentication'"),
    ("created_format_case", _set(["proof", "created"], "yesterday"), "not an XML Schema dateTimeStamp"),
    ("proof_value_short_case", _set(["proof", "proofValue"], "z3zz"), "not 64"),
    ("proof_value_alphabet_case", _set(["proof", "proofValue"], "z0OIl"), "not base58btc"),
    ("proof_value_base_case", _set(["proof", "proofValue"], "uAAAA"), "prefix 'z'"),
    ("proof_value_missing_case", _delete(["proof", "proofValue"]), "proofValue is missing"),
    ("proof_missing_case", _delete(["proof"]), "document has no proof"),
    ("proof_not_object_case", _set(["proof"], "z123"), "proof is not a JSON object"),
    ("method_missing_case", _delete(["proof", "verificationMethod"]), "verificationMethod is missing"),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [case[1:] for case in TAMPERING],
    ids=[case[0] for case in TAMPERING],
)
def test_tampering_fails_with_a_specific_error(credential, key, loader, change, message):
    # given a correctly signed credential
    signed = _sign(credential, key, loader)

    # when one thing in it is changed
    change(signed)
    result = _verify(signed, loader)

    # then verification fails and says why
    assert result.verified is False
    assert any(message in error for error in result.errors), result.errors


def test_swapped_verification_method_fails(credential, key, loader):
    # given a credential whose proof names another key
    signed = _sign(credential, key, loader)
    other = Ed25519PrivateKey.generate().public_key()
    signed["proof"]["verificationMethod"] = did_key_verification_method(other)

    result = _verify(signed, loader)

    assert result.verified is False
    assert result.verification_method == did_key_verification_method(other)
    assert MISMATCH in result.errors[0]


def test_wrong_key_fails(credential, key, loader):
    # given a resolver that returns a different key for the method
    signed = _sign(credential, key, loader)
    other = Ed25519PrivateKey.generate().public_key()

    result = _verify(signed, loader, resolve_public_key=lambda method: other)

    assert result.verified is False
    assert MISMATCH in result.errors[0]


def test_unresolvable_method_is_reported(credential, key, loader):
    signed = _sign(credential, key, loader)

    def resolver(method):
        raise LookupError("no such key in the DID document")

    result = _verify(signed, loader, resolve_public_key=resolver)

    assert result.verified is False
    assert "could not be resolved: no such key in the DID document" in result.errors[0]


@pytest.mark.parametrize(
    "document",
    [[], "a string", {"@context": [], "proof": [{}, {}]}],
    ids=["list_case", "string_case", "proof_set_case"],
)
def test_malformed_documents_are_reported_not_raised(loader, document):
    result = _verify(document, loader)

    assert result.verified is False
    assert result.errors


@pytest.mark.parametrize(
    ("path", "value"),
    [(["@context", 0], "relative/context"), (["@type"], None), (["issuer", "@context"], 5)],
    ids=["relative_context_case", "null_type_case", "numeric_scoped_context_case"],
)
def test_invalid_json_ld_is_reported_not_raised(credential, key, loader, path, value):
    # given a signed credential made invalid as JSON-LD
    signed = _sign(credential, key, loader)
    _set(path, value)(signed)

    # when it is verified
    result = _verify(signed, loader)

    # then pyld's complaint becomes an error message
    assert result.verified is False
    assert "invalid JSON-LD" in result.errors[0], result.errors


# --- Unicode ---------------------------------------------------------------------------------

UNICODE_NAMES = [
    ("combining_case", "Zoe\u0308 Ko\u0301s\u030ca\u0301 — Ana\u0301lisis de datos"),
    ("emoji_case", "🎓 Data Analysis 👩🏽‍💻 with Python 🐍"),
    ("rtl_case", "تحليل البيانات باستخدام بايثون"),
    ("hebrew_case", "נִיתּוּחַ נְתוּנִים"),
    ("cjk_case", "使用Python进行数据分析・データ分析"),
    ("astral_case", "𝔇𝔞𝔱𝔞 𝒜𝓃𝒶𝓁𝓎𝓈𝒾𝓈 𐍈 𓀀"),
    ("devanagari_case", "पायथन के साथ डेटा विश्लेषण"),
    ("quotes_and_escapes_case", 'Line one\nLine "two"\t\\ back\\slash'),
]


@pytest.mark.parametrize("name", [case[1] for case in UNICODE_NAMES], ids=[case[0] for case in UNICODE_NAMES])
def test_every_unicode_character_survives_signing(key, loader, name):
    # given a credential named in some script, signed and sent as UTF-8 JSON
    credential = openbadge_microcredential(
        issuer_did=did_key_from_public_key(key.public_key()), own_context_url=OWN_URL, name=name
    )
    wire = json.dumps(_sign(credential, key, loader), ensure_ascii=False).encode("utf-8")

    # when it is received and verified
    received = json.loads(wire.decode("utf-8"))
    result = _verify(received, loader)

    # then it verifies and the name is exactly the same code points
    assert result.verified is True, result.errors
    assert received["name"] == name
    assert received["credentialSubject"]["achievement"]["name"] == name


def test_unicode_normalisation_counts_as_tampering(key, loader):
    # given a credential whose name is in decomposed (NFD) form
    name = "Zoe\u0308 Kosa\u0301"
    credential = openbadge_microcredential(
        issuer_did=did_key_from_public_key(key.public_key()), own_context_url=OWN_URL, name=name
    )
    signed = _sign(credential, key, loader)

    # when something normalises it to NFC on the way
    signed["name"] = unicodedata.normalize("NFC", name)

    # then the signature no longer matches
    assert _verify(signed, loader).errors[0].startswith(MISMATCH)


# --- Content that would not be signed ------------------------------------------------------


def _null_term(document):
    document["@context"].append({"secret": None})
    document["secret"] = "hidden"


UNSAFE = [
    ("undefined_property_case", _set(["favouriteColour"], "blue"), "'favouriteColour' is not defined"),
    (
        "undefined_nested_property_case",
        _set(["credentialSubject", "achievement", "difficulty"], "hard"),
        "'difficulty' is not defined",
    ),
    ("undefined_type_case", _set(["type"], ["VerifiableCredential", "MyBadge"]), "type 'MyBadge'"),
    ("relative_id_case", _set(["credentialSubject", "id"], "learner-42"), "id 'learner-42'"),
    ("relative_id_with_space_case", _set(["id"], "urn:uuid:not a uri"), "is not an absolute IRI"),
    ("null_term_case", _null_term, "mapped to null"),
    ("reserved_keyword_case", _set(["@foo"], "bar"), "mapped to null or is a reserved"),
    (
        "language_tag_case",
        _set(["description"], {"@value": "x", "@language": "not a tag"}),
        "language tag 'not a tag'",
    ),
    ("control_character_case", _set(["name"], "Form\x0cfeed"), "U+000C"),
    ("delete_character_case", _set(["name"], "Delete\x7f"), "U+007F"),
    (
        "utf16_order_case",
        _set(["credentialSubject", "achievement", "tag"], ["\U0001f600 smile", "\ufb01 ligature"]),
        "sort differently",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [case[1:] for case in UNSAFE], ids=[case[0] for case in UNSAFE]
)
def test_content_that_would_go_unsigned_is_refused(credential, key, loader, change, message):
    # given a credential with content that would not survive canonicalisation intact
    change(credential)

    # when it is signed
    with pytest.raises(UnsafeDocument) as error:
        _sign(credential, key, loader)

    # then the signer refuses and names the problem
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_signing_with_an_unpinned_context_fails_closed(credential, key, loader):
    credential["@context"].append("https://evil.example/v1")

    with pytest.raises(ContextNotPinned, match="https://evil.example/v1"):
        _sign(credential, key, loader)


def test_poison_graph_is_refused_quickly(loader):
    # given six blank nodes that all point at each other (every node looks the same)
    nodes = [f"_:b{index}" for index in range(6)]
    document = {
        "@context": {"p": {"@id": "urn:example:p", "@type": "@id"}},
        "@graph": [{"@id": node, "p": [other for other in nodes if other != node]} for node in nodes],
    }

    # when it is canonicalised
    started = time.perf_counter()
    with pytest.raises(CanonicalizationLimitExceeded):
        canonicalize(document, document_loader=loader)

    # then the work limit stops it promptly
    assert time.perf_counter() - started < 5


def test_identical_blank_nodes_within_the_limit_still_canonicalise(loader):
    # given two identical alignment objects (same first-degree hash, no cycle)
    document = openbadge_microcredential(
        issuer_did="did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )
    alignment = document["credentialSubject"]["achievement"]["alignment"]
    alignment.append(copy.deepcopy(alignment[0]))

    nquads = canonicalize(document, document_loader=loader)

    assert nquads.count("European Qualifications Framework") == 2
