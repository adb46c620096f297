"""A voucher's last use under concurrency, with two real PostgreSQL connections (one per thread).

A pause after the use is taken, while the transaction is still open, makes the two checkouts
overlap: without the voucher row lock both would read one use left.
"""

import functools
import time
from unittest import mock

import pytest
from django.db import connection

from enrollment.services import checkout_order_create, enrollment_enrol
from mcportal.core.exceptions import ValidationFailed
from payments.choices import PriceTier
from payments.models import Order, Voucher
from payments.services import orders as order_services
from tests.factories.enrollment import LearnerFactory
from tests.fixtures.concurrency import run_concurrently

from .conftest import buyer_details

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_buyers_racing_for_a_vouchers_last_use_never_both_get_it(priced_run, make_voucher):
    make_voucher("LAST", max_uses=1)
    enrollments = []
    for _ in range(2):
        learner = LearnerFactory()
        enrollments.append(enrollment_enrol(learner=learner, run=priced_run, actor=learner))
    original_claim = order_services._voucher_claim

    def slow_claim(**kwargs):
        voucher = original_claim(**kwargs)
        time.sleep(0.5)
        return voucher

    def checkout(enrollment):
        return checkout_order_create(
            enrollment=enrollment,
            tier=PriceTier.INDIVIDUAL,
            voucher_code="LAST",
            buyer=buyer_details(),
            actor=enrollment.learner,
        )

    with mock.patch.object(order_services, "_voucher_claim", slow_claim):
        outcomes = run_concurrently(*[functools.partial(checkout, enrollment) for enrollment in enrollments])

    orders = [outcome for outcome in outcomes if isinstance(outcome, Order)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, ValidationFailed)]
    assert len(orders) == 1 and len(refusals) == 1, outcomes
    assert refusals[0].problems[0].code == "voucher_used_up"
    assert Voucher.objects.get().times_used == 1
    assert Order.objects.count() == 1
