"""Bundles: a flat fee for several runs within a sale period; paying enrols the buyer in every run."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from courses.services import course_publish
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import bundle_checkout_order_create, enrollment_enrol
from mcportal.core import clock
from mcportal.core.exceptions import Conflict, ValidationFailed
from payments.choices import OrderStatus, ReviewReason
from payments.models import Bundle
from payments.services import bundle_create
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import LearnerFactory

from .conftest import buyer_details
from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(institution, registrar, billing):
    made = []
    for title, capacity in [("Genomics", 10), ("Proteomics", 1)]:
        course = CourseFactory(institution=institution, title=title)
        course_publish(course=course, actor=registrar)
        made.append(CourseRunFactory(course=course, price_amount=Decimal("300.00"), capacity=capacity))
    return made


@pytest.fixture
def bundle(institution, finance, runs):
    return bundle_create(
        institution=institution,
        actor=finance,
        attributes={
            "name": "Omics pack",
            "price_amount": Decimal("500.00"),
            "currency": "EUR",
            "purchasables": [f"run:{run.pk}" for run in runs],
            "valid_until": clock.now() + dt.timedelta(days=30),
        },
    )


def test_bundle_order_is_one_flat_fee_line_with_vat(bundle):
    learner = LearnerFactory()

    order = bundle_checkout_order_create(bundle=bundle, voucher_code="", buyer=buyer_details(), actor=learner)

    line = order.lines.get()
    assert line.description == "Omics pack (Genomics, Proteomics)"
    assert (order.net_amount, order.vat_amount, order.total_amount) == (
        Decimal("500.00"),
        Decimal("105.00"),
        Decimal("605.00"),
    )
    assert order.payable_until == bundle.valid_until


def test_paying_a_bundle_enrols_the_buyer_in_every_run(bundle, runs, django_capture_on_commit_callbacks):
    learner = LearnerFactory()
    order = bundle_checkout_order_create(bundle=bundle, voucher_code="", buyer=buyer_details(), actor=learner)

    with django_capture_on_commit_callbacks(execute=True):
        pay_with_sandbox(order)

    statuses = {
        enrollment.run_id: enrollment.status for enrollment in Enrollment.objects.filter(learner=learner)
    }
    assert statuses == {runs[0].pk: EnrollmentStatus.ACTIVE, runs[1].pk: EnrollmentStatus.ACTIVE}
    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.PAID, False)


def test_a_run_that_filled_up_before_payment_is_flagged_for_finance(bundle, runs):
    learner = LearnerFactory()
    order = bundle_checkout_order_create(bundle=bundle, voucher_code="", buyer=buyer_details(), actor=learner)
    someone = LearnerFactory()
    enrollment_enrol(learner=someone, run=runs[1], actor=someone)  # the last seat of Proteomics

    pay_with_sandbox(order)

    order.refresh_from_db()
    assert order.needs_review is True
    assert order.review_reason == ReviewReason.NOT_PAYABLE
    assert "Proteomics: the run is full" in order.review_note
    assert Enrollment.objects.get(learner=learner).run == runs[0]


def test_a_bundle_outside_its_sale_period_is_refused(bundle):
    bundle.valid_until = clock.now() - dt.timedelta(minutes=1)
    bundle.save()

    with pytest.raises(Conflict, match="no longer on sale"):
        bundle_checkout_order_create(
            bundle=bundle, voucher_code="", buyer=buyer_details(), actor=LearnerFactory()
        )


def test_a_learner_already_in_one_of_the_runs_cannot_buy_the_bundle(bundle, runs):
    learner = LearnerFactory()
    enrollment_enrol(learner=learner, run=runs[0], actor=learner)

    with pytest.raises(Conflict, match="Genomics: You are already enrolled"):
        bundle_checkout_order_create(bundle=bundle, voucher_code="", buyer=buyer_details(), actor=learner)


def test_a_bundle_needs_two_courses(institution, finance, runs):
    with pytest.raises(ValidationFailed):
        bundle_create(
            institution=institution,
            actor=finance,
            attributes={"name": "One", "price_amount": Decimal("1"), "purchasables": [f"run:{runs[0].pk}"]},
        )
    assert not Bundle.objects.exists()


def test_bundle_pages_end_to_end(client_for, bundle):
    client = client_for(LearnerFactory())

    listing = client.get(reverse("enrollment:bundles")).content.decode()
    response = client.post(
        reverse("enrollment:bundle_checkout", kwargs={"bundle_id": bundle.pk}),
        {"name": "Ada", "email": "ada@example.org", "address": "Brno", "total_amount": "1"},
    )

    assert "Omics pack" in listing and "Genomics" in listing
    assert response.status_code == 302
    assert bundle.institution.orders.get().total_amount == Decimal("605.00")


def test_finance_creates_a_bundle_on_the_staff_page(client_for, finance, institution, runs):
    response = client_for(finance).post(
        reverse("payments_staff:bundle_create"),
        {
            "institution": institution.pk,
            "name": "Pack",
            "price_amount": "450.00",
            "currency": "EUR",
            "is_active": "on",
            "purchasables_text": f"run:{runs[0].pk}, run:{runs[1].pk}",
        },
    )

    assert response.status_code == 302
    assert Bundle.objects.get().purchasables == [f"run:{runs[0].pk}", f"run:{runs[1].pk}"]


def test_bundle_checkout_page_asks_for_the_invoice_details(client_for, bundle):
    page = client_for(LearnerFactory()).get(
        reverse("enrollment:bundle_checkout", kwargs={"bundle_id": bundle.pk})
    ).content.decode()

    assert "<legend>Invoice details</legend>" in page
    for name in ("name", "email", "address", "company", "vat_id"):
        assert f'name="{name}"' in page
