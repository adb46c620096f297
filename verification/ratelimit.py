"""Per-client rate limits of the verification endpoints, counted in the Django cache.

A fixed window per scope ("page", "file", "api") and client IP. Behind reverse proxies, set
MCPORTAL_TRUSTED_PROXY_COUNT so the IP is read from X-Forwarded-For. The IP is hashed before it
becomes a cache key and is never stored anywhere else. Rates come from
settings.MCPORTAL_VERIFICATION_RATE_LIMITS ("<count>/<second|minute|hour|day>"; "off" turns a
scope's limit off).
"""
from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

DEFAULT_RATES = {"page": "120/minute", "file": "20/minute", "api": "60/minute"}
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateLimitOutcome:
    exceeded: bool
    retry_after: int = 0


def _rate(scope: str) -> tuple[int, int] | None:
    rates = {**DEFAULT_RATES, **getattr(settings, "MCPORTAL_VERIFICATION_RATE_LIMITS", {})}
    text = (rates.get(scope) or "").strip()
    if not text or text.lower() in {"off", "none"}:
        return None
    count, _, period = text.partition("/")
    return int(count), _PERIODS[period.strip().rstrip("s") or "minute"]


def client_address(request) -> str:
    """The client's IP address, read through settings.MCPORTAL_TRUSTED_PROXY_COUNT reverse proxies.

    Each trusted proxy appends the address it was reached from to X-Forwarded-For, so with N of
    them the client is the Nth entry from the right (or the leftmost, if the request passed fewer
    proxies); entries further left were written by the client and could be anything. With 0 the
    header is never read. An entry that is not an IP address falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = settings.MCPORTAL_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if trusted > 0 else ""
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    candidate = entries[-min(trusted, len(entries))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_fingerprint(request) -> str:
    """A hash of the client's address (see client_address); the address itself is never stored."""
    address = client_address(request)
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:24]


def rate_limit_hit(*, request, scope: str) -> RateLimitOutcome:
    """Count one request of the client in the scope; say whether it is over the limit."""
    rate = _rate(scope)
    if rate is None:
        return RateLimitOutcome(exceeded=False)
    limit, period = rate
    now = int(time.time())
    window = now // period
    key = f"verification-rate:{scope}:{client_fingerprint(request)}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count > limit:
        return RateLimitOutcome(exceeded=True, retry_after=max(1, (window + 1) * period - now))
    return RateLimitOutcome(exceeded=False)
