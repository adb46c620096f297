"""Finance in the browser: finds a paid order, refunds part of it, creates a voucher, imports a bank
statement that pays another order, and downloads an export; every page passes the accessibility audit.

Drives the live portal with the browser tests' fixtures (gunicorn, a Celery worker, Chromium).
"""

import re
from decimal import Decimal

import pytest

from courses.services import course_publish
from enrollment.services import checkout_order_create, enrollment_enrol
from mcportal.core import clock
from payments.choices import OrderStatus, PriceTier, ProviderName
from payments.models import BillingProfile, Refund, Voucher
from payments.services import payment_start
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import LearnerFactory

from .conftest import buyer_details
from .helpers import pay_with_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The live stack of the browser tests (their conftest is not on this folder's path); without them
# (or without Playwright) this module is skipped, like the browser tests themselves.
browser_fixtures = pytest.importorskip("tests.browser.conftest")
verified = pytest.importorskip("tests.browser.world").verified
expect = pytest.importorskip("playwright.sync_api").expect
chromium = browser_fixtures.chromium
broker = browser_fixtures.broker
portal = browser_fixtures.portal
artefacts = browser_fixtures.artefacts
journey = browser_fixtures.journey


def _order(run, name: str):
    learner = LearnerFactory(full_name=name)
    enrollment = enrollment_enrol(learner=learner, run=run, actor=learner)
    return checkout_order_create(
        enrollment=enrollment,
        tier=PriceTier.INDIVIDUAL,
        voucher_code="",
        buyer=buyer_details(name=name, email=learner.email),
        actor=learner,
    )


def test_finance_refunds_creates_a_voucher_imports_a_statement_and_exports(
    journey, portal, institution, registrar, finance, tmp_path
):
    BillingProfile.objects.create(
        institution=institution, vat_rate=Decimal("21.00"), iban="CZ650800000019200014"
    )
    course = CourseFactory(institution=institution, title="Applied Bioinformatics")
    course_publish(course=course, actor=verified(registrar))
    run = CourseRunFactory(course=course, label="Spring", price_amount=Decimal("250.00"))
    paid = pay_with_sandbox(_order(run, "Ada Paid")).order
    waiting = _order(run, "Bob Transfer")
    payment_start(
        order=waiting,
        provider=ProviderName.BANK_TRANSFER,
        actor=waiting.buyer,
        success_url="x",
        cancel_url="x",
    )

    person = journey("finance")
    page = person.page
    person.login(verified(finance).email, then="/staff/payments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    person.check("orders")

    page.get_by_label("Search").fill(paid.payment_reference)
    page.get_by_role("button", name="Filter").click()
    person.check("orders-filtered")
    page.get_by_role("link", name=paid.payment_reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {paid.payment_reference}")
    person.check("order")
    page.get_by_label("Amount to refund").fill("60.50")
    page.get_by_label("Reason").fill("Missed the first week")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("Refunded 60.50 EUR.")).to_be_visible()
    person.check("refunded")
    assert Refund.objects.get().amount == Decimal("60.50")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Credit note CN-")).click()
    assert download.value.suggested_filename.startswith("CN-")

    page.get_by_role("link", name="Vouchers").click()
    person.check("vouchers")
    page.get_by_role("link", name="New voucher").click()
    person.check("voucher-form")
    page.get_by_label("Code").fill("spring10")
    page.get_by_label("Value").fill("10")
    page.get_by_label("Maximum uses").fill("20")
    page.get_by_role("button", name="Save voucher").click()
    expect(page.get_by_text("Voucher SPRING10 saved.")).to_be_visible()
    person.check("voucher-saved")
    assert Voucher.objects.get().max_uses == 20

    statement = tmp_path / "statement.csv"
    statement.write_text(
        "date,amount,currency,reference,transaction_id\n"
        f"2026-11-20,302.50,EUR,VS {waiting.payment_reference},TX-1\n"
    )
    page.get_by_role("link", name="Bank statements").click()
    person.check("bank-import")
    page.get_by_label("Bank statement (CSV)").set_input_files(str(statement))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("cell", name="paid", exact=True)).to_be_visible()
    person.check("bank-imported")
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.PAID

    page.get_by_role("link", name="Exports").click()
    person.check("exports")
    page.get_by_label("What").select_option("refunds")
    today = clock.today().isoformat()
    page.get_by_label("From").fill(today)
    page.get_by_label("Until (inclusive)").fill(today)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    exported = download.value.path().read_text()
    assert "Missed the first week" in exported and "60.50" in exported

    person.finish()
