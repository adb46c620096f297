"""Leadership: updates activities of the D3.2 readiness checklist, sees the dashboard change and
exports it as a PDF."""
import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.world import verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def checklist_template(transactional_db):
    """The D3.2 checklist as its data migration loads it.

    The flush after an earlier transactional test empties the tables that the migration filled
    (serialized_rollback would restore them but collides with the content types that the flush
    re-creates), so run the migration's own loader again; it does nothing if the template is there.
    """
    migration = importlib.import_module("checklist.migrations.0002_load_d3_2_checklist")
    migration.load_checklist(django_apps, None)


def _summary(page, term: str) -> str:
    return page.locator(".readiness-summary div").filter(has=page.get_by_role("term").filter(
        has_text=re.compile(f"^{re.escape(term)}$"))).get_by_role("definition").inner_text().strip()


def test_leadership_updates_activities_and_exports_the_dashboard(
    journey, portal, checklist_template, institution, leadership
):
    person = journey("leadership")
    page = person.page
    dashboard = f"/staff/checklist/{institution.slug}/"

    person.login(verified(leadership).email, then=dashboard)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Readiness of {institution.legal_name}")
    person.check("dashboard-before")
    done_before = _summary(page, "Done")
    assert _summary(page, "Overall readiness") == "0 %", _summary(page, "Overall readiness")
    assert done_before.startswith("0 / "), done_before
    applicable = int(done_before.split("/")[1])

    activities = page.locator("a.table__title")
    first_title = activities.nth(0).inner_text().strip()
    second_title = activities.nth(1).inner_text().strip()

    # The first activity is done, with a responsible person and a remark.
    activities.nth(0).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_title)
    person.check("activity")
    page.get_by_label("Status").select_option(label="Done")
    page.get_by_label("Responsible person").select_option(label=leadership.get_full_name())
    page.get_by_label("Remarks").fill("Adopted by the rector's board on 12 November.")
    page.get_by_role("button", name="Save the answer").click()
    expect(page.get_by_text("The activity is updated.")).to_be_visible()
    person.check("activity-done")

    # The second is in progress, with a deadline.
    page.get_by_role("link", name=f"Readiness of {institution.short_name}").click()
    page.locator("a.table__title").filter(has_text=second_title).first.click()
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_label("Deadline").fill("2027-03-31")
    page.get_by_role("button", name="Save the answer").click()
    expect(page.get_by_text("The activity is updated.")).to_be_visible()
    person.check("activity-in-progress")

    page.get_by_role("link", name=f"Readiness of {institution.short_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Readiness of {institution.legal_name}")
    assert _summary(page, "Done") == f"1 / {applicable}"
    assert _summary(page, "In progress") == "1"
    overall = int(_summary(page, "Overall readiness").rstrip(" %"))
    assert 0 < overall <= 100 // applicable + 1, overall
    # One line per changed field: status, responsible and remarks of the first; status and deadline
    # of the second.
    changes = page.get_by_role("region", name="Recent changes")
    expect(changes.get_by_role("link", name=first_title)).to_have_count(3)
    expect(changes.get_by_role("link", name=second_title)).to_have_count(2)
    person.check("dashboard-after")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = person.artefacts / "readiness.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    text = " ".join(" ".join((page_.extract_text() or "").split()) for page_ in PdfReader(pdf_path).pages)
    assert institution.legal_name in text
    assert " ".join(first_title.split()) in text
    person.finish()
