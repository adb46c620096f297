"""A credential built by the portal's document builder verifies in the JavaScript reference verifier."""
import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.jsonld.documents import credential_document_build
from credentials.signing.multikey import did_key_verification_method
from credentials.signing.proofs import proof_create
from tests.credentials.document_samples import microcredential_facts
from tests.interop.test_reference_verifier import (  # noqa: F401  (fixtures)
    OWN_URL,
    _reference_verify,
    contexts_map,
    loader,
)


def test_portal_built_microcredential_verifies_in_the_reference_verifier(node, contexts_map, loader):  # noqa: F811
    key = Ed25519PrivateKey.generate()
    method = did_key_verification_method(key.public_key())
    document = credential_document_build(microcredential_facts(), own_context_url=OWN_URL)
    document["issuer"]["id"] = method.split("#")[0]
    signed = proof_create(
        document=document, private_key=key, verification_method=method,
        created=dt.datetime.now(dt.UTC), document_loader=loader,
    )

    assert _reference_verify(node, signed, contexts_map) == {"verified": True, "errors": []}

    signed["credentialSubject"]["achievement"]["learningOutcomes"][0] = "Something else."
    assert _reference_verify(node, signed, contexts_map)["verified"] is False
