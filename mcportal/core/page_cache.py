"""Whole-page caching of public pages that are the same for every anonymous visitor.

A page is cached per path, query string, day (pages that say "starting soon" change with the
date) and a version of its namespace; services bump the version after a commit that changes
what the page shows, so a visitor never waits for the TTL to see a published course.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from mcportal.core import clock

PAGE_CACHE_SECONDS = 300


def _version_key(namespace: str) -> str:
    return f"page-cache-version:{namespace}"


def page_cache_version(namespace: str) -> int:
    return cache.get_or_set(_version_key(namespace), 1, timeout=None)


def page_cache_bump(namespace: str) -> None:
    """Invalidate every cached page of the namespace once the current transaction commits."""

    def bump() -> None:
        try:
            cache.incr(_version_key(namespace))
        except ValueError:
            cache.set(_version_key(namespace), 2, timeout=None)

    transaction.on_commit(bump)


def _cacheable(request: HttpRequest) -> bool:
    # Anyone with a session may see per-user content (navigation, messages): never share it.
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def cache_public_page(namespace: str) -> Callable:
    """View decorator: serve the page from the cache to anonymous visitors (GET, 200 only)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            fingerprint = hashlib.sha256(
                f"{request.path}?{request.META.get('QUERY_STRING', '')}".encode()
            ).hexdigest()
            key = (
                f"page:{namespace}:{page_cache_version(namespace)}:"
                f"{clock.today().isoformat()}:{fingerprint}"
            )
            cached = cache.get(key)
            if cached is not None:
                content, content_type = cached
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                response.render() if hasattr(response, "render") else None
                cache.set(key, (response.content, response["Content-Type"]), PAGE_CACHE_SECONDS)
            return response

        return wrapper

    return decorator
