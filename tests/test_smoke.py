"""A small smoke run that also passes on the embedded SQLite default (make test runs it there)."""
import io

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


def test_public_pages_and_api_answer_on_the_demo_data():
    call_command("seed_demo", stdout=io.StringIO())
    client = Client()

    assert client.get("/").status_code == 302
    assert client.get("/courses/").status_code == 200
    assert client.get("/courses/good-clinical-practice/").status_code == 200
    assert client.get("/api/v1/courses/").json()["count"] == 12
    assert client.get("/api/v1/courses/?q=proteomics").json()["count"] == 1
    assert client.get("/no-such-page/").status_code == 404
