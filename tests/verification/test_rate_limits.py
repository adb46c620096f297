"""Verification endpoints are rate-limited per client IP, with a friendly 429 (or problem JSON)."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(settings):
    settings.MCPORTAL_VERIFICATION_RATE_LIMITS = {"page": "2/minute", "file": "1/minute", "api": "1/minute"}


def test_the_page_answers_429_with_a_friendly_page_after_the_limit(credential, low_limits):
    client = Client(REMOTE_ADDR="198.51.100.1")
    statuses = [client.get(f"/v/{credential.verification_code}").status_code for _ in range(3)]

    response = client.get(f"/v/{credential.verification_code}")

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many verifications from your connection" in response.content.decode()


def test_the_json_twin_answers_problem_json(credential, low_limits):
    client = Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(2):
        client.get(f"/v/{credential.verification_code}.json")

    response = client.get(f"/v/{credential.verification_code}.json")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429


def test_another_client_is_not_limited(credential, low_limits):
    for _ in range(3):
        Client(REMOTE_ADDR="198.51.100.3").get(f"/v/{credential.verification_code}")

    assert Client(REMOTE_ADDR="198.51.100.4").get(f"/v/{credential.verification_code}").status_code == 200


def test_the_file_page_is_limited(credential, low_limits):
    client = Client(REMOTE_ADDR="198.51.100.5")

    first = client.post("/verify/", {"pasted": credential.signed_document})
    second = client.post("/verify/", {"pasted": credential.signed_document})

    assert (first.status_code, second.status_code) == (200, 429)


def test_the_api_is_limited_with_problem_json(signed_document, low_limits):
    client = Client(REMOTE_ADDR="198.51.100.6")
    body = json.dumps({"verifiableCredential": signed_document})

    first = client.post("/api/v1/credentials/verify", data=body, content_type="application/json")
    second = client.post("/api/v1/credentials/verify", data=body, content_type="application/json")

    assert (first.status_code, second.status_code) == (200, 429)
    assert second["Content-Type"] == "application/problem+json"
    assert second.json()["title"] == "Too many requests"
    assert "Retry-After" in second


@pytest.mark.parametrize("rate", ["off", ""])
def test_the_limit_can_be_turned_off(credential, settings, rate):
    settings.MCPORTAL_VERIFICATION_RATE_LIMITS = {"page": rate}
    client = Client(REMOTE_ADDR="198.51.100.7")

    assert {client.get(f"/v/{credential.verification_code}").status_code for _ in range(5)} == {200}


# --- the client's address behind reverse proxies (MCPORTAL_TRUSTED_PROXY_COUNT) ---------------


@pytest.mark.parametrize(
    ("_case", "proxies", "forwarded", "expected"),
    [
        ("no proxy: the header is never read", 0, "203.0.113.9", "10.0.0.1"),
        ("one proxy: the rightmost entry", 1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        ("two proxies: the second from the right", 2, "198.51.100.66, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("fewer entries than proxies: the leftmost", 3, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("no header behind a proxy: the peer", 1, "", "10.0.0.1"),
        ("not an address: the peer", 1, "198.51.100.66, unknown", "10.0.0.1"),
        ("spaces and IPv6 are normalised", 1, " 2001:DB8::1 ", "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_through_the_trusted_proxies_only(
    settings, rf, _case, proxies, forwarded, expected
):
    from verification.ratelimit import client_address

    settings.MCPORTAL_TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/v/ABC", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_the_default_trusts_no_proxy(rf):
    from django.conf import settings

    from verification.ratelimit import client_address

    request = rf.get("/v/ABC", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert settings.MCPORTAL_TRUSTED_PROXY_COUNT == 0
    assert client_address(request) == "10.0.0.1"


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_limit(credential, low_limits, settings):
    settings.MCPORTAL_TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="198.51.100.7")
    url = f"/v/{credential.verification_code}"

    statuses = [client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)]

    assert statuses == [200, 200, 429]


def test_behind_one_proxy_clients_are_limited_apart_and_forged_entries_do_not_help(
    credential, low_limits, settings
):
    # given one trusted proxy: every request comes from its address
    settings.MCPORTAL_TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    url = f"/v/{credential.verification_code}"

    # when one client makes three requests, each with a different forged entry in front
    statuses = [
        proxy.get(url, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.10").status_code for n in range(3)
    ]

    # then it is limited as one client, and another client behind the same proxy is not
    assert statuses == [200, 200, 429]
    assert proxy.get(url, HTTP_X_FORWARDED_FOR="203.0.113.11").status_code == 200
