"""Fixtures of the payments tests: a priced run with tier prices, a learner awaiting payment, vouchers.

The institution is Czech (CZ) with 21 % VAT, so a German VAT id means reverse charge and a Czech
one does not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from courses.services import course_publish
from enrollment.services import checkout_order_create, enrollment_enrol
from mcportal.core import clock
from payments.choices import PriceTier, VoucherKind
from payments.models import BillingProfile, Voucher
from payments.services import BuyerDetails
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import LearnerFactory

STRIPE_TEST_WEBHOOK_SECRET = "whsec_test_0123456789abcdefghijklmnopqrstuv"
STRIPE_TEST_SECRET_KEY = "sk_test_51TestOnlyNotARealKey0000000000000000000000000000"


@pytest.fixture(autouse=True)
def _payment_settings(settings):
    settings.MCPORTAL_PAYMENT_PROVIDERS = ["sandbox", "stripe", "bank_transfer"]
    settings.MCPORTAL_STRIPE_SECRET_KEY = STRIPE_TEST_SECRET_KEY
    settings.MCPORTAL_STRIPE_WEBHOOK_SECRET = STRIPE_TEST_WEBHOOK_SECRET


@pytest.fixture
def billing(institution):
    institution.vat_id = "CZ00216224"
    institution.registration_number = "00216224"
    institution.street_address = "Žerotínovo nám. 617/9"
    institution.postal_code = "601 77"
    institution.save()
    return BillingProfile.objects.create(
        institution=institution,
        vat_rate=Decimal("21.00"),
        iban="CZ6508000000192000145399",
        bic="GIBACZPX",
        bank_account_name="Masaryk University",
    )


@pytest.fixture
def priced_run(institution, registrar, billing):
    course = CourseFactory(institution=institution, title="Applied Bioinformatics")
    course_publish(course=course, actor=registrar)
    return CourseRunFactory(
        course=course,
        label="Spring",
        price_amount=Decimal("250.00"),
        price_partner_amount=Decimal("200.00"),
        price_corporate_amount=Decimal("400.00"),
    )


@pytest.fixture
def pending_enrollment(priced_run):
    learner = LearnerFactory(full_name="Ada Learner")
    return enrollment_enrol(learner=learner, run=priced_run, actor=learner)


def buyer_details(**overrides) -> BuyerDetails:
    values = {"name": "Ada Learner", "email": "ada@example.org", "address": "Kotlářská 2, 602 00 Brno"}
    values.update(overrides)
    return BuyerDetails(**values)


@pytest.fixture
def make_order(pending_enrollment):
    """Check out the pending enrolment through the enrolment service (server-side prices)."""

    def make(*, enrollment=None, tier=PriceTier.INDIVIDUAL, voucher_code="", **buyer):
        enrollment = enrollment or pending_enrollment
        return checkout_order_create(
            enrollment=enrollment,
            tier=tier,
            voucher_code=voucher_code,
            buyer=buyer_details(**buyer),
            actor=enrollment.learner,
        )

    return make


@pytest.fixture
def make_voucher(institution):
    def make(code="SPRING20", *, kind=VoucherKind.PERCENT, value=Decimal("20"), **attributes):
        return Voucher.objects.create(
            institution=institution, code=code, kind=kind, value=value, **attributes
        )

    return make


@pytest.fixture
def yesterday():
    return clock.now() - dt.timedelta(days=1)
