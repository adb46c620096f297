"""Stripe test doubles: only the HTTP hop to Stripe's servers is replaced; signing is Stripe's real scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import parse_qs

import stripe

DATA = Path(__file__).parent / "data"


def recorded(name: str, **replacements: str) -> str:
    """A recorded Stripe JSON payload with placeholders (PAYMENT_ID, ORDER, …) filled in."""
    text = (DATA / name).read_text()
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


def stripe_signature(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send: t=<time>,v1=HMAC-SHA256(secret, "<time>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


class RecordingStripeHttpClient(stripe.HTTPClient):
    """Answers Stripe API calls with recorded responses and remembers every request."""

    name = "recording"

    def __init__(self, responses: dict[tuple[str, str], tuple[str, int]]) -> None:
        super().__init__()
        self.responses = responses
        self.requests: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = url.split("api.stripe.com", 1)[-1]
        self.requests.append(
            {
                "method": method,
                "path": path,
                "headers": dict(headers or {}),
                "params": parse_qs(post_data or ""),
            }
        )
        body, status = self.responses[(method.upper(), path)]
        return body, status, {"request-id": "req_test"}

    def request_with_retries(
        self, method, url, headers, post_data=None, max_network_retries=None, *, _usage=None
    ):
        return self.request(method, url, headers, post_data)

    def close(self):
        return None


def stripe_error_body(message: str) -> str:
    return json.dumps({"error": {"type": "invalid_request_error", "message": message}})
