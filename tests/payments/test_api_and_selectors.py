"""Finance API reads, and the selectors other apps call (payment_succeeded_count_since)."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from mcportal.core import clock
from payments.selectors import payment_succeeded_count_since
from tests.factories.core import InstitutionFactory

from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"), [(None, 403), ("learner", 403), ("registrar", 403), ("finance", 200)]
)
def test_order_list_api_is_for_finance(request, who, status, make_order):
    make_order()
    user = request.getfixturevalue(who) if who else None

    response = _api(user).get("/api/v1/payments/orders/")

    assert response.status_code in ({401, 403} if status == 403 else {status})
    if status == 200:
        assert response.json()["results"][0]["total_amount"] == "302.50"


def test_payment_list_api_shows_refunds(finance, make_order):
    pay_with_sandbox(make_order())

    rows = _api(finance).get("/api/v1/payments/payments/").json()["results"]

    assert rows[0]["status"] == "succeeded" and rows[0]["refunds"] == []


def test_payment_succeeded_count_since(make_order, institution):
    since = clock.now() - dt.timedelta(minutes=1)
    pay_with_sandbox(make_order())

    assert payment_succeeded_count_since(institution=institution, since=since) == 1
    assert (
        payment_succeeded_count_since(institution=institution, since=clock.now() + dt.timedelta(seconds=1))
        == 0
    )
    assert payment_succeeded_count_since(institution=InstitutionFactory(), since=since) == 0


def test_finance_of_another_institution_sees_no_orders_in_the_api(make_order, other_institution):
    from tests.factories.core import MembershipFactory

    order = make_order()
    other_finance = MembershipFactory(institution=other_institution, role="finance").user

    assert _api(other_finance).get("/api/v1/payments/orders/").json()["results"] == []
    assert _api(other_finance).get(f"/api/v1/payments/orders/{order.pk}/").status_code == 404


def test_order_detail_api_has_the_lines(finance, make_order):
    order = make_order(voucher_code="")

    body = _api(finance).get(f"/api/v1/payments/orders/{order.pk}/").json()

    assert body["payment_reference"] == order.payment_reference
    assert body["lines"][0]["unit_price"] == "250.00"
    assert (body["vat_amount"], body["total_amount"]) == ("52.50", "302.50")
