"""Two sign-ups with the same address at the same moment: one account, and a field error for the other."""
import threading
import time

import pytest
from django.db import connection, transaction

from mcportal.core.exceptions import FieldProblem, ValidationFailed
from mcportal.core.models import User
from mcportal.core.users import user_register

from .conftest import SIGNUP_PASSWORD


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_ups_with_one_address_create_one_account():
    first_inserted, release_first = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                user_register(email="race@example.org", password=SIGNUP_PASSWORD, full_name="First Person")
                first_inserted.set()
                # Hold the uncommitted row so that the second sign-up passes its existence check.
                release_first.wait(timeout=10)
            outcomes["first"] = "created"
        finally:
            connection.close()

    def second() -> None:
        try:
            user_register(email="RACE@example.org", password=SIGNUP_PASSWORD, full_name="Second Person")
            outcomes["second"] = "created"
        except ValidationFailed as exc:
            outcomes["second"] = exc.problems
        finally:
            connection.close()

    first_thread = threading.Thread(target=first)
    first_thread.start()
    assert first_inserted.wait(timeout=10)
    second_thread = threading.Thread(target=second)
    second_thread.start()
    # Let the second sign-up reach the insert, where the unique index makes it wait for the first.
    time.sleep(0.5)
    release_first.set()
    first_thread.join(timeout=10)
    second_thread.join(timeout=10)

    assert outcomes == {
        "first": "created",
        "second": [
            FieldProblem(
                "This e-mail address is already registered. Log in, or reset your password if you "
                "have forgotten it.",
                field="email", code="duplicate",
            )
        ],
    }
    assert list(User.objects.values_list("email", "full_name")) == [("race@example.org", "First Person")]
