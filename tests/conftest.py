"""Shared pytest configuration: fixtures for users per role, clients, and a temporary MEDIA_ROOT."""
import pytest

pytest_plugins = ["tests.fixtures.roles", "tests.fixtures.completions"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached pages must not leak between tests)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
