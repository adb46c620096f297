"""A credential issued by the portal (did:web, status entries) verifies in the reference verifier.

The verifier runs offline: the DID documents and status list credentials it reads are the ones
the portal serves, captured through the test client.
"""

import json
import subprocess

import pytest
from django.conf import settings
from django.test import Client

from credentials.jsonld.loader import mcportal_context_url, pinned_contexts
from credentials.services.issuance import credential_issue
from credentials.services.revocation import credential_revoke
from enrollment.models import Enrollment
from tests.interop.conftest import INTEROP

pytestmark = pytest.mark.django_db


def _served_documents(credential_document: dict, tmp_path) -> dict[str, str]:
    client = Client()
    files = {
        url: str(context.file)
        for url, context in pinned_contexts(
            own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)
        ).items()
    }

    def capture(url: str, path: str) -> bytes:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        target = tmp_path / f"doc-{len(files)}.json"
        target.write_bytes(response.content)
        files[url] = str(target)
        return response.content

    issuer = credential_document["issuer"]["id"]
    did_document = json.loads(capture(issuer, "/institutions/" + issuer.rsplit(":", 1)[-1] + "/did.json"))
    for method in did_document["verificationMethod"]:
        target = tmp_path / f"{method['publicKeyMultibase']}.json"
        target.write_text(json.dumps(method))
        files[method["id"]] = str(target)
    for entry in credential_document["credentialStatus"]:
        url = entry["statusListCredential"]
        capture(url, url.removeprefix(settings.MCPORTAL_PUBLIC_URL))
    return files


def _reference_verify_served(node: str, credential, tmp_path) -> dict:
    """Run the reference verifier on the credential with the documents the portal serves."""
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps(_served_documents(json.loads(credential.signed_document), tmp_path)))
    completed = subprocess.run(
        [node, str(INTEROP / "verify.mjs"), "--contexts", str(mapping), "-"],
        input=credential.signed_document,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    return json.loads(completed.stdout)


def test_portal_issued_credential_with_status_verifies_in_the_reference_verifier(
    node, completed_run, registrar, tmp_path
):
    run = completed_run(1)
    credential = credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential

    assert _reference_verify_served(node, credential, tmp_path) == {"verified": True, "errors": []}


def test_a_revoked_portal_credential_fails_the_reference_status_check(
    node, completed_run, registrar, tmp_path
):
    run = completed_run(1)
    credential = credential_issue(enrollment=Enrollment.objects.get(run=run), actor=registrar).credential
    credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    result = _reference_verify_served(node, credential, tmp_path)

    assert result["verified"] is False
    assert any("credential status set: revocation" in error for error in result["errors"]), result
