"""/verify/: upload or paste a JSON-LD credential, or upload the sealed PDF, and get a verdict."""

import dataclasses
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from credentials.services import pdf as pdf_services
from credentials.services.revocation import credential_revoke, credential_suspend
from tests.verification.conftest import did_key_credential
from verification.models import VerificationEvent

pytestmark = pytest.mark.django_db


def _upload(content: bytes, name: str = "credential.json", **extra):
    return Client().post("/verify/", {"document": SimpleUploadedFile(name, content)}, **extra)


def _paste(text: str):
    return Client().post("/verify/", {"pasted": text})


def _failed(response) -> dict:
    report = response.context["report"]
    return {check.name: check.code for check in report.failed_checks}


@pytest.fixture
def sealed_pdf(issue, django_capture_on_commit_callbacks):
    """A credential with its real sealed, timestamped PDF: (credential, pdf bytes)."""
    with django_capture_on_commit_callbacks(execute=True):
        credential = issue(1)[0]
    credential.refresh_from_db()
    return credential, credential.pdf.read()


def test_the_form_page_has_one_heading_and_labelled_fields(db):
    page = Client().get("/verify/").content.decode()

    assert page.count("<h1") == 1
    assert 'for="id_document"' in page and 'for="id_pasted"' in page


def test_an_employer_without_an_account_finds_the_verify_page_in_the_menu(db):
    catalogue = Client().get("/courses/").content.decode()

    assert 'href="/verify/"' in catalogue


def test_an_uploaded_portal_credential_is_valid_and_links_to_its_page(credential):
    response = _upload(credential.signed_document.encode())

    report = response.context["report"]
    assert response.status_code == 200
    assert report.verdict == "valid"
    assert [c.name for c in report.checks] == [
        "format",
        "contexts",
        "signature",
        "issuer_key",
        "status",
        "validity_period",
    ]
    assert report.credential == credential
    assert f'href="/v/{credential.verification_code}"' in response.content.decode()
    assert VerificationEvent.objects.get().method == "file"


def test_a_pasted_credential_is_verified_too(credential):
    assert _paste(credential.signed_document).context["report"].verdict == "valid"


def test_a_revoked_and_a_suspended_credential_are_reported_from_the_status_lists(issue, registrar):
    revoked, suspended = issue(2)
    credential_revoke(credential=revoked, reason="academic_misconduct", actor=registrar)
    credential_suspend(credential=suspended, reason="under_investigation", note="Pending.", actor=registrar)

    assert _upload(revoked.signed_document.encode()).context["report"].verdict == "revoked"
    assert _upload(suspended.signed_document.encode()).context["report"].verdict == "suspended"


def test_a_credential_of_another_issuer_with_did_key_verifies(db):
    response = _upload(json.dumps(did_key_credential()).encode())

    report = response.context["report"]
    assert report.verdict == "valid"
    assert report.credential is None
    assert report.warnings == ["The credential carries no status entry: its issuer cannot revoke it."]


def test_a_credential_changed_by_one_character_is_invalid(credential):
    tampered = credential.signed_document.replace("Learner Nº0", "Learner Nº1", 1)
    assert tampered != credential.signed_document

    response = _upload(tampered.encode())

    assert response.context["report"].verdict == "invalid"
    assert _failed(response) == {"signature": "signature_invalid"}
    assert "The signature does not verify" in response.content.decode()
    assert response.context["report"].credential is None


def test_an_issuer_this_portal_cannot_resolve_is_unknown_not_a_crash(signed_document):
    foreign = dict(signed_document, issuer={**signed_document["issuer"], "id": "did:web:elsewhere.example"})
    foreign["proof"] = dict(signed_document["proof"], verificationMethod="did:web:elsewhere.example#key-1")

    response = _upload(json.dumps(foreign).encode())

    assert response.status_code == 200
    assert response.context["report"].verdict == "unknown_issuer"
    assert _failed(response) == {"issuer_key": "unknown_issuer"}
    assert "never fetched" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(
            b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ',
            "malformed_json",
            id="truncated",
        ),
        pytest.param(b"\xff\xfe not utf-8", "malformed_json", id="not_text"),
        pytest.param(b'{"hello": "world"}', "not_a_credential", id="object_not_a_credential"),
        pytest.param(b"[1, 2, 3]", "not_a_credential", id="array"),
        pytest.param(b'"just a string"', "not_a_credential", id="string"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "malformed_json", id="deeply_nested"),
    ],
)
def test_malformed_or_non_credential_json_gets_an_invalid_verdict_with_the_reason(db, content, code):
    response = _upload(content)

    assert response.status_code == 200
    assert response.context["report"].verdict == "invalid"
    assert _failed(response) == {"format": code}


def test_a_remote_context_is_never_fetched(signed_document, no_network):
    remote = dict(
        signed_document, **{"@context": [*signed_document["@context"], "https://evil.example/context.jsonld"]}
    )
    inline = dict(
        signed_document, **{"@context": [*signed_document["@context"], {"@import": "https://evil.example/x"}]}
    )

    for document in (remote, inline):
        response = _upload(json.dumps(document).encode())
        assert response.context["report"].verdict == "invalid"
        assert _failed(response) == {"contexts": "unknown_context"}

    assert no_network == []


def test_a_document_with_an_inline_context_that_pulls_a_remote_one_is_refused_offline(no_network):
    document = did_key_credential()
    document["@context"] = [
        *document["@context"],
        {"ex": {"@id": "https://ex.example/#", "@context": "https://ex.example/ctx"}},
    ]

    response = _upload(json.dumps(document).encode())

    assert response.context["report"].verdict == "invalid"
    assert no_network == []


def test_an_oversized_upload_is_refused_before_it_is_read(db, settings):
    settings.MCPORTAL_VERIFY_UPLOAD_MAX_BYTES = 1024

    response = _upload(b" " * 1025 + b"{}")

    assert response.status_code == 413
    assert response.context["report"].verdict == "invalid"
    assert _failed(response) == {"size": "too_large"}
    assert "larger than 1 KiB" in response.content.decode()


def test_a_sealed_pdf_is_checked_with_its_embedded_credential(sealed_pdf):
    credential, pdf = sealed_pdf

    response = _upload(pdf, "credential.pdf")

    report = response.context["report"]
    assert report.verdict == "valid", report.checks
    names = [check.name for check in report.checks]
    assert names[:3] == ["pdf_seal", "pdf_timestamp", "pdf_embedded"]
    assert names[-1] == "pdf_agreement"
    assert report.credential == credential
    assert all(check.passed for check in report.checks)


def test_a_sealed_pdf_of_a_revoked_credential_is_revoked(sealed_pdf, registrar):
    credential, pdf = sealed_pdf
    credential_revoke(credential=credential, reason="issued_in_error", actor=registrar)

    assert _upload(pdf, "credential.pdf").context["report"].verdict == "revoked"


def test_a_pdf_without_a_seal_is_invalid(db):
    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(buffer)

    response = _upload(buffer.getvalue(), "unsigned.pdf")

    assert response.context["report"].verdict == "invalid"
    assert _failed(response) == {"pdf_seal": "pdf_unsigned"}
    assert "carries no electronic seal" in response.content.decode()


def test_a_pdf_changed_after_sealing_is_invalid(sealed_pdf):
    _credential, pdf = sealed_pdf
    position = pdf.index(b"/MediaBox")
    broken = pdf[:position] + b"/MediaBoy" + pdf[position + 9 :]

    response = _upload(broken, "credential.pdf")

    assert response.context["report"].verdict == "invalid"
    assert set(_failed(response)) == {"pdf_seal"}


def test_a_pdf_whose_signature_bytes_were_changed_is_invalid(sealed_pdf):
    _credential, pdf = sealed_pdf
    contents = pdf.index(b"/Contents <") + len(b"/Contents <") + 200
    flipped = b"0" if pdf[contents : contents + 1] != b"0" else b"1"
    broken = pdf[:contents] + flipped + pdf[contents + 1 :]

    response = _upload(broken, "credential.pdf")

    assert response.status_code == 200
    assert response.context["report"].verdict == "invalid"
    assert set(_failed(response)) == {"pdf_seal"}


def test_a_damaged_pdf_is_invalid_not_a_crash(db):
    response = _upload(b"%PDF-1.7\n garbage \x00\x01", "broken.pdf")

    assert response.status_code == 200
    assert response.context["report"].verdict == "invalid"
    assert set(_failed(response)) == {"pdf_seal"}


def test_a_sealed_pdf_whose_print_disagrees_with_its_credential_is_invalid(
    issue, django_capture_on_commit_callbacks, monkeypatch
):
    real = pdf_services.certificate_data_for
    monkeypatch.setattr(
        pdf_services,
        "certificate_data_for",
        lambda credential: dataclasses.replace(real(credential), learner_name="Somebody Else"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        credential = issue(1)[0]
    credential.refresh_from_db()

    response = _upload(credential.pdf.read(), "credential.pdf")

    assert response.context["report"].verdict == "invalid"
    assert _failed(response) == {"pdf_agreement": "pdf_mismatch"}
    assert "holder&#x27;s name" in response.content.decode()


def test_neither_file_nor_text_is_a_form_error(db):
    response = Client().post("/verify/", {})

    assert response.status_code == 400
    assert "Choose a file or paste a credential." in response.content.decode()
