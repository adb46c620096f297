"""Invoices: gapless numbers per institution and year (also under concurrency); PDFs with legal data, VAT."""

import functools
import io
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from pypdf import PdfReader

from mcportal.core import clock
from payments.choices import InvoiceKind
from payments.invoice_pdf import document_pdf_render
from payments.models import Invoice, InvoiceCounter
from payments.services import invoices as invoice_services
from payments.services import refund_create
from payments.services.invoices import invoice_issue
from tests.factories.core import InstitutionFactory
from tests.fixtures.concurrency import run_concurrently

from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_invoices_are_numbered_in_sequence_per_institution_and_year(
    make_order, priced_run, pending_enrollment
):
    from enrollment.services import enrollment_enrol
    from tests.factories.enrollment import LearnerFactory

    numbers = []
    for _ in range(3):
        learner = LearnerFactory()
        enrollment = enrollment_enrol(learner=learner, run=priced_run, actor=learner)
        numbers.append(pay_with_sandbox(make_order(enrollment=enrollment)).order.invoices.get().number)

    year = clock.now().year
    assert numbers == [f"INV-{year}-000001", f"INV-{year}-000002", f"INV-{year}-000003"]


def test_another_institution_has_its_own_series(institution):
    other = InstitutionFactory()
    first = invoice_services._next_sequence(institution=institution, kind=InvoiceKind.INVOICE, year=2026)
    other_first = invoice_services._next_sequence(institution=other, kind=InvoiceKind.INVOICE, year=2026)
    credit = invoice_services._next_sequence(institution=institution, kind=InvoiceKind.CREDIT_NOTE, year=2026)

    assert (first, other_first, credit) == (1, 1, 1)


def test_issuing_twice_returns_the_same_invoice(make_order):
    order = pay_with_sandbox(make_order()).order

    assert invoice_issue(order=order) == order.invoices.get()
    assert InvoiceCounter.objects.get().last_sequence == 1


def test_invoice_pdf_carries_legal_data_buyer_and_vat_breakdown(make_order, institution):
    order = pay_with_sandbox(make_order(tier="corporate", company="Acme s.r.o.", vat_id="CZ12345678")).order
    invoice = order.invoices.get()

    text = _pdf_text(
        document_pdf_render(
            title="Invoice", number=invoice.number, issued_on="2026-11-29", content=invoice.content
        )
    )

    for expected in [
        invoice.number,
        "Masaryk University",
        "CZ00216224",
        "00216224",
        "Acme s.r.o.",
        "CZ12345678",
        "VAT breakdown",
        "21.00 %",
        "400.00 EUR",
        "84.00 EUR",
        "484.00 EUR",
    ]:
        assert expected in text, expected


def test_reverse_charge_invoice_says_so(make_order):
    order = pay_with_sandbox(
        make_order(tier="corporate", company="Beispiel GmbH", vat_id="DE123456789")
    ).order
    invoice = order.invoices.get()

    text = _pdf_text(
        document_pdf_render(
            title="Invoice", number=invoice.number, issued_on="2026-11-29", content=invoice.content
        )
    )

    assert "Reverse charge" in text
    assert "0.00 EUR" in text


def test_credit_note_pdf_names_the_invoice_it_credits(make_order, finance):
    payment = pay_with_sandbox(make_order())
    refund_create(payment=payment, amount=Decimal("302.50"), reason="Run cancelled", actor=finance)
    credit_note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)

    text = _pdf_text(
        document_pdf_render(
            title="Credit note",
            number=credit_note.number,
            issued_on="2026-11-29",
            content=credit_note.content,
            extra={"is_credit_note": True},
        )
    )

    assert credit_note.credits.number in text
    assert "Run cancelled" in text and "Total credited" in text


def test_invoice_content_is_frozen_when_the_institution_changes(make_order, institution):
    invoice = pay_with_sandbox(make_order()).order.invoices.get()

    institution.legal_name = "Renamed University"
    institution.save()

    invoice.refresh_from_db()
    assert invoice.content["seller"]["legal_name"] == "Masaryk University"


def _issue_concurrently(orders):
    """Issue each order's invoice in its own thread (own connection, own transaction) at the same moment.

    A pause after the number is taken, while the transaction is still open, makes the two overlap.
    """
    original_next = invoice_services._next_sequence

    def slow_next(**kwargs):
        number = original_next(**kwargs)
        time.sleep(0.5)
        return number

    def issue(order):
        with transaction.atomic():
            return invoice_issue(order=order).number

    with mock.patch.object(invoice_services, "_next_sequence", slow_next):
        return run_concurrently(*[functools.partial(issue, order) for order in orders])


def _counter_create(order):
    InvoiceCounter.objects.create(
        institution=order.institution, kind=InvoiceKind.INVOICE, year=clock.now().year
    )


@pytest.fixture
def two_orders(make_order, priced_run):
    from enrollment.services import enrollment_enrol
    from tests.factories.enrollment import LearnerFactory

    orders = []
    for _ in range(2):
        learner = LearnerFactory()
        orders.append(make_order(enrollment=enrollment_enrol(learner=learner, run=priced_run, actor=learner)))
    return orders


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.parametrize("counter_exists", [True, False])
def test_two_connections_issuing_at_once_get_consecutive_numbers_without_gaps(two_orders, counter_exists):
    if counter_exists:
        _counter_create(two_orders[0])

    outcomes = _issue_concurrently(two_orders)

    year = clock.now().year
    assert sorted(outcomes) == [f"INV-{year}-000001", f"INV-{year}-000002"]
    assert InvoiceCounter.objects.get(kind=InvoiceKind.INVOICE).last_sequence == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_without_the_counter_lock_the_race_would_reuse_a_number(two_orders):
    """The control experiment: the same race with the lock removed does collide (so the test above
    proves the lock, not luck)."""
    _counter_create(two_orders[0])

    with mock.patch.object(
        invoice_services, "invoice_counter_qs_for_update", lambda: InvoiceCounter.objects.all()
    ):
        outcomes = _issue_concurrently(two_orders)

    assert any(isinstance(outcome, IntegrityError) for outcome in outcomes)
