"""Fixtures of the verification tests: issued credentials, a did:key issuer, and a socket guard."""

import copy
import json
import socket

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.jsonld.loader import portal_document_loader
from credentials.services.issuance import credential_issue
from credentials.signing.multikey import did_key_from_public_key, did_key_verification_method
from credentials.signing.proofs import proof_create
from enrollment.models import Enrollment

VC_V2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture
def issue(completed_run, registrar):
    """Return make(count=1, **course attributes): credentials issued by the real service."""

    def make(count: int = 1, **course_attributes):
        run = completed_run(count, **course_attributes)
        return [
            credential_issue(enrollment=enrollment, actor=registrar).credential
            for enrollment in Enrollment.objects.filter(run=run).order_by("pk")
        ]

    return make


@pytest.fixture
def credential(issue):
    return issue(1)[0]


@pytest.fixture
def signed_document(credential) -> dict:
    return json.loads(credential.signed_document)


def did_key_credential(**overrides) -> dict:
    """A credential of another issuer, signed with a fresh did:key (no status list)."""
    key = Ed25519PrivateKey.generate()
    did = did_key_from_public_key(key.public_key())
    document = {
        "@context": [VC_V2],
        "id": "urn:uuid:3f1c7c5e-2c1a-4b52-9a59-7d5c3b0a9e11",
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"name": "Ada Lovelace", "description": "Analytical engines"},
        **overrides,
    }
    return proof_create(
        document=copy.deepcopy(document),
        private_key=key,
        verification_method=did_key_verification_method(key.public_key()),
        created="2024-01-01T00:00:00Z",
        document_loader=portal_document_loader(),
    )


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything opens a network connection; record the attempts."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"network connection attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    return attempts
