"""Learner: finds a course by search and filter, signs up, confirms the e-mail from the outbox,
enrols in a priced run and pays on the sandbox provider's page, is graded by an instructor, then
sees the credential and downloads its PDF and JSON."""
import json
import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from credentials.choices import PdfStatus
from credentials.models import Credential
from credentials.services.batches import issuance_batch_create
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from tests.browser.world import catalogue, open_run, verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEARNER_EMAIL = "ana.horvat@example.org"
LEARNER_PASSWORD = "Seagrass-meadow-2026"


def test_learner_finds_enrols_completes_and_downloads_the_credential(
    journey, portal, institution, registrar, instructor
):
    course = catalogue(institution=institution, registrar=verified(registrar))
    run = open_run(course=course, label="Spring 2027", price=Decimal("150.00"))
    learner = journey("learner")
    page = learner.page

    # The catalogue: a search, then a filter narrows it to the one course.
    learner.goto("/courses/")
    learner.check("catalogue")
    page.get_by_label("Search courses").fill("marine")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="2 courses")).to_be_visible()
    learner.check("search-marine")
    # catalogue.js submits the filter form as soon as a box is ticked.
    page.get_by_role("checkbox", name="EQF level 6", exact=True).check()
    expect(page.get_by_role("heading", name="1 course", exact=True)).to_be_visible()
    learner.check("filtered-eqf6")
    page.get_by_role("link", name="Marine Ecology Field Methods").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marine Ecology Field Methods")
    learner.check("course")

    # Sign up from the run card, then confirm the address with the link from the e-mail.
    page.get_by_role("link", name="Sign up to enrol").click()
    learner.check("signup")
    page.get_by_label("E-mail", exact=True).fill(LEARNER_EMAIL)
    page.get_by_label("Full name").fill("Ana Horvat")
    page.get_by_label("Password", exact=True).fill(LEARNER_PASSWORD)
    page.get_by_label("Password again").fill(LEARNER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/verify/sent/**")
    learner.check("verification-sent")
    message = portal.outbox.wait_for(to=LEARNER_EMAIL, subject_contains="confirm")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", portal.outbox.text(message)).group(0)
    assert link.startswith(portal.url), link
    learner.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your e-mail address is verified")
    learner.check("email-verified")

    # Reserve a place in the priced run, then pay for it on the sandbox provider's page.
    learner.goto(course.get_absolute_url())
    page.get_by_role("button", name=re.compile("^Reserve a place")).click()
    page.wait_for_url("**/learning/")
    card = page.get_by_role("article", name="Marine Ecology Field Methods")
    expect(card).to_be_visible()
    learner.check("place-reserved")
    enrollment = Enrollment.objects.get(learner__email=LEARNER_EMAIL, run=run)
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    card.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay for your place")
    learner.check("checkout")
    page.get_by_label("Full name").fill("Ana Horvat")
    page.get_by_label("E-mail for the invoice").fill(LEARNER_EMAIL)
    page.get_by_label("Billing address").fill("Ilica 12\n10000 Zagreb\nCroatia")
    page.get_by_role("button", name="Continue to the order summary").click()
    page.wait_for_url("**/payments/orders/*/")
    learner.check("order")
    page.get_by_label("Sandbox (test payment page)").check()
    # The price plus VAT, as the order computed it: "Pay €181.50".
    pay = page.get_by_role("button", name=re.compile(r"^Pay €\d"))
    total = re.search(r"[\d.,]+", pay.inner_text()).group(0)
    assert Decimal(total) > Decimal("150.00"), total
    pay.click()
    page.wait_for_url("**/payments/sandbox/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test payment page")
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text(total)
    learner.check("sandbox")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/learning/")
    expect(page.get_by_text("Payment received. Thank you!")).to_be_visible()
    learner.check("paid")
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE

    # The instructor records the result of the final project on the staff pages.
    teacher = journey("instructor")
    teacher.login(verified(instructor).email, then=f"/staff/runs/{run.pk}/")
    teacher.check("roster")
    teacher.page.get_by_role("link", name="Ana Horvat").click()
    teacher.check("learner-results")
    teacher.page.get_by_label("Assessment").select_option(label="Final project")
    teacher.page.get_by_role("spinbutton", name="Score").fill("88")
    teacher.page.get_by_role("button", name="Save the score").click()
    expect(teacher.page.get_by_text("These results meet every completion rule.")).to_be_visible()
    teacher.check("result-saved")
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED

    # The registrar's batch (its own journey drives that page) issues the credential on the worker.
    issuance_batch_create(run=run, actor=registrar)
    credential = _wait_for_pdf(enrollment)

    # The learner sees the credential and downloads both documents.
    learner.goto("/learning/")
    learner.check("dashboard-completed")
    page.get_by_role("link", name="My credentials").click()
    card = page.get_by_role("article", name="Marine Ecology Field Methods")
    expect(card.get_by_text("Valid", exact=True)).to_be_visible()
    expect(card.get_by_text(credential.verification_code)).to_be_visible()
    learner.check("credentials")
    with page.expect_download() as download_info:
        card.get_by_role("link", name="Download PDF").click()
    pdf_path = learner.artefacts / "learner-credential.pdf"
    download_info.value.save_as(pdf_path)
    with page.expect_download() as download_info:
        card.get_by_role("link", name="Download JSON").click()
    json_path = learner.artefacts / "learner-credential.json"
    download_info.value.save_as(json_path)

    assert pdf_path.read_bytes().startswith(b"%PDF-")
    document = json.loads(json_path.read_text())
    assert "VerifiableCredential" in document["type"]
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["credentialSubject"]["achievement"]["name"] == "Marine Ecology Field Methods"

    # The public page the learner shares with employers.
    card.get_by_role("link", name="Public verification page").click()
    expect(page.get_by_role("status")).to_contain_text("Valid")
    expect(page.get_by_role("definition").filter(has_text="Ana Horvat").first).to_be_visible()
    learner.check("public-page")
    learner.finish()
    teacher.finish()


def _wait_for_pdf(enrollment, timeout: float = 90) -> Credential:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        credential = Credential.objects.filter(enrollment=enrollment).first()
        if credential is not None and credential.pdf_status == PdfStatus.READY:
            return credential
        time.sleep(0.3)
    pytest.fail(f"the worker did not issue the credential with its PDF within {timeout}s")
