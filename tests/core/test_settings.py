"""Settings: production refuses to boot without secrets and passes check --deploy when complete."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "mcportal.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "A7#pZ!x2@Lq9$wV4%mN8^bT6&cR3*yH5(jK1)fG0-" + "z" * 10,
    "DJANGO_ALLOWED_HOSTS": "portal.example.edu",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/mcportal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MCPORTAL_KEY_ENCRYPTION_KEY": "a" * 44,
    "MCPORTAL_PUBLIC_URL": "https://portal.example.edu",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean_env = {key: value for key, value in os.environ.items()
                 if not key.startswith(("DJANGO_", "MCPORTAL_")) and key not in {"DATABASE_URL", "REDIS_URL"}}
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean_env,
        capture_output=True, text=True, timeout=120,
    )


def test_production_check_deploy_is_clean_with_every_secret_set():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
     "MCPORTAL_KEY_ENCRYPTION_KEY", "MCPORTAL_PUBLIC_URL"],
)
def test_production_refuses_to_boot_without_a_secret(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert f"The environment variable {missing} is required" in result.stderr


@pytest.mark.smoke
def test_embedded_default_uses_sqlite_and_eager_tasks():
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], "
        "settings.CELERY_TASK_ALWAYS_EAGER, settings.CACHES['default']['BACKEND']]))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "mcportal.settings.local", "MCPORTAL_VAR_DIR": "/tmp/mcportal-var-test"}
    clean_env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MCPORTAL_", "CELERY_"))
        and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    clean_env.update(env)

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["django.db.backends.sqlite3", true, "django.core.cache.backends.locmem.LocMemCache"]'
    )


def test_database_and_redis_urls_switch_to_the_production_shape():
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], "
        "settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL, "
        "settings.CACHES['default']['BACKEND']]))"
    )
    clean_env = {key: value for key, value in os.environ.items()
                 if not key.startswith(("DJANGO_", "MCPORTAL_", "CELERY_"))}
    clean_env.update({
        "DJANGO_SETTINGS_MODULE": "mcportal.settings.local",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/mcportal",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    })

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["django.db.backends.postgresql", false, "redis://127.0.0.1:6379/3", '
        '"django.core.cache.backends.redis.RedisCache"]'
    )


def test_stored_files_are_never_served_by_path(settings):
    """Signed PDFs, invoices and evidence hold personal data: only views that check the user serve them.

    Also in DEBUG, where Django's usual recipe serves MEDIA_ROOT: the URL conf is re-read with it on.
    """
    import importlib

    import mcportal.urls

    settings.DEBUG = True
    try:
        urls = importlib.reload(mcportal.urls)
        routes = [str(pattern.pattern) for pattern in urls.urlpatterns]
    finally:
        settings.DEBUG = False
        importlib.reload(mcportal.urls)
    assert not [route for route in routes if "media" in route]
