"""Employer, on a phone: scans the QR code printed in a credential PDF and sees the verdict and
the EU elements on the public verification page; then uploads files on the verify page: the PDF and
the JSON of a valid credential, the PDF of a revoked one, and tampered copies."""
import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from credentials.choices import PdfStatus, RevocationReason
from credentials.models import Credential
from credentials.services.batches import issuance_batch_create
from credentials.services.revocation import credential_revoke
from tests.browser.conftest import PHONE
from tests.browser.documents import qr_codes_in_pdf
from tests.browser.world import verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The elements the EU Recommendation makes mandatory, as the verification page labels them.
EU_ELEMENTS = [
    "Holder", "Awarding body", "Date of issuing", "Learning outcomes", "Notional workload",
    "Level", "Type of assessment", "Form of participation", "Quality assurance",
]


@pytest.fixture
def issued(portal, completed_run, registrar):
    """Two credentials issued by the worker, each with its sealed PDF ready."""
    run = completed_run(2)
    issuance_batch_create(run=run, actor=verified(registrar))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        credentials = list(Credential.objects.filter(enrollment__run=run).order_by("pk"))
        if len(credentials) == 2 and all(c.pdf_status == PdfStatus.READY for c in credentials):
            return credentials
        portal.assert_running()
        time.sleep(0.3)
    pytest.fail("the worker did not issue the two credentials with their PDFs in time")


def test_employer_scans_the_qr_code_of_the_pdf_and_sees_a_valid_credential(journey, portal, issued):
    credential = issued[0]
    pdf = Path(credential.pdf.path)

    codes = qr_codes_in_pdf(pdf)
    assert codes == [f"{portal.url}/v/{credential.verification_code}"], codes

    employer = journey("employer", viewport=PHONE)
    page = employer.page
    employer.goto(codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text(credential.title)
    verdict = page.get_by_role("status")
    expect(verdict).to_contain_text("Valid")
    expect(verdict).to_contain_text("this credential is genuine and in force.")
    for element in EU_ELEMENTS:
        expect(page.get_by_role("term").filter(has_text=element).first).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=credential.learner_name).first).to_be_visible()
    employer.check("verification-valid")
    employer.finish()


def test_employer_uploads_files_and_sees_valid_revoked_and_invalid(
    journey, portal, issued, registrar, artefacts
):
    valid, revoked = issued
    credential_revoke(
        credential=revoked, reason=RevocationReason.ACADEMIC_MISCONDUCT, note="Plagiarised project.",
        actor=registrar,
    )
    files = {
        "valid.pdf": Path(valid.pdf.path).read_bytes(),
        "valid.json": valid.signed_document.encode(),
        "revoked.pdf": Path(revoked.pdf.path).read_bytes(),
        "tampered.json": _forged_credits(valid.signed_document),
        "tampered.pdf": _flipped_byte(Path(valid.pdf.path).read_bytes()),
    }
    for name, content in files.items():
        (artefacts / name).write_bytes(content)

    employer = journey("employer", viewport=PHONE)
    page = employer.page
    employer.goto(f"/v/{valid.verification_code}")
    employer.check("public-page")
    page.get_by_role("link", name="Verify a file (JSON or PDF) instead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a credential file")
    employer.check("verify-form")

    for name, verdict, detail in [
        ("valid.pdf", "Valid", None),
        ("valid.json", "Valid", None),
        ("revoked.pdf", "Revoked", "Academic misconduct"),
        ("tampered.json", "Invalid", None),
        ("tampered.pdf", "Invalid", None),
    ]:
        page.get_by_label("Credential file (JSON or PDF)").set_input_files(artefacts / name)
        page.get_by_role("button", name="Verify", exact=True).click()
        page.wait_for_load_state("load")
        status = page.get_by_role("status")
        expect(status).to_contain_text(verdict)
        if detail:
            expect(status).to_contain_text(detail)
        if verdict == "Invalid":
            # What failed is said, not only that something did.
            expect(page.get_by_role("listitem").filter(has_text="Failed:").first).to_be_attached()
        employer.check(f"verified-{name.replace('.', '-')}")
    employer.finish()


def _forged_credits(signed_document: str) -> bytes:
    """The same credential claiming 30 ECTS credits: the proof no longer matches."""
    document = json.loads(signed_document)
    document["credentialSubject"]["creditsEarned"] = 30
    return json.dumps(document).encode()


def _flipped_byte(pdf: bytes) -> bytes:
    """One character of the page content changed, inside the range the PAdES seal covers."""
    position = len(pdf) // 3
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1:]
