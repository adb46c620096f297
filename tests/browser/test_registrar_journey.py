"""Registrar: issues the credentials of a run as a batch, watches the progress bar reach 100 %, then
revokes one credential with a reason and sees the public page say so."""
import pytest
from playwright.sync_api import expect

from credentials.choices import CredentialStatus, RevocationReason
from credentials.models import Credential
from mcportal.core.models import AuditEvent
from tests.browser.world import verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEARNERS = 6

# Records every value the progress bar takes (batch_progress.js sets aria-valuenow on each poll).
RECORD_PROGRESS = """
() => {
  const bar = document.querySelector('[role="progressbar"]');
  window.progressSeen = [Number(bar.getAttribute("aria-valuenow"))];
  new MutationObserver(() => window.progressSeen.push(Number(bar.getAttribute("aria-valuenow"))))
    .observe(bar, {attributes: true, attributeFilter: ["aria-valuenow"]});
}
"""


def test_registrar_issues_a_batch_and_watches_it_finish(journey, portal, completed_run, registrar):
    run = completed_run(LEARNERS)
    person = journey("registrar")
    page = person.page

    person.login(verified(registrar).email, then=f"/staff/credentials/runs/{run.pk}/")
    person.check("run-credentials")
    expect(page.get_by_role("heading", name="Waiting for a credential")).to_be_visible()

    # Hold the worker back, so the batch page is seen before any credential is issued.
    portal.stop("worker")
    page.get_by_role("button", name=f"Issue all ({LEARNERS} credentials, as a batch)").click()
    page.wait_for_url("**/staff/credentials/batches/*/")
    bar = page.get_by_role("progressbar", name="Batch processed")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    person.check("batch-queued")
    page.evaluate(RECORD_PROGRESS)

    portal.start("worker")
    # batch_progress.js polls progress.json and moves the bar while the worker issues.
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=90_000)
    expect(page.locator('[data-field="status_label"]')).to_have_text("Completed")
    expect(page.locator('[data-field="issued"]')).to_have_text(str(LEARNERS))
    expect(page.locator('[data-field="failed"]')).to_have_text("0")
    person.check("batch-finished")
    seen = page.evaluate("window.progressSeen")
    assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(seen), seen

    page.get_by_role("link", name="Back to the run's credentials").click()
    expect(page.get_by_text("Nobody in this run is waiting for a credential.")).to_be_visible()
    issued = page.get_by_role("region", name="Issued credentials")
    expect(issued.get_by_role("row")).to_have_count(LEARNERS + 1)
    person.check("run-issued")
    assert Credential.objects.filter(enrollment__run=run).count() == LEARNERS

    # Revoke one credential, with a reason, from its staff page.
    target = Credential.objects.filter(enrollment__run=run).order_by("pk").first()
    issued.get_by_role("link", name=target.learner_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(target.learner_name)
    person.check("credential")
    page.get_by_role("link", name="Revoke the credential").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the credential")
    person.check("revoke-form")
    page.get_by_label("Reason").select_option(label="Issued in error")
    page.get_by_label("Explanation").fill("Enrolled in the wrong run by the registry office.")
    page.get_by_label("I understand that revocation is permanent and public.").check()
    page.get_by_role("button", name="Revoke for good").click()
    expect(page.get_by_text("The credential is revoked and its holder was told.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoked")
    person.check("revoked")

    target.refresh_from_db()
    assert target.status == CredentialStatus.REVOKED
    assert target.revocation_reason == RevocationReason.ISSUED_IN_ERROR
    assert AuditEvent.objects.filter(action="credential.revoked").count() == 1
    still_valid = Credential.objects.filter(enrollment__run=run, status=CredentialStatus.ISSUED)
    assert still_valid.count() == LEARNERS - 1

    page.get_by_role("link", name="Public verification page").click()
    verdict = page.get_by_role("status")
    expect(verdict).to_contain_text("Revoked")
    expect(verdict).to_contain_text("Issued in error")
    person.check("public-page-revoked")
    person.finish()
