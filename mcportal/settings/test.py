"""Test settings: real PostgreSQL by default, fast hashing, in-memory e-mail, eager tasks.

DATABASE_URL overrides the database (sqlite:///… for the smoke run on the embedded default).
MCPORTAL_TEST_REAL_CELERY=1 turns eager tasks off for a real worker started by an integration
test (broker from REDIS_URL / CELERY_BROKER_URL, visibility timeout from
MCPORTAL_TEST_VISIBILITY_TIMEOUT).
"""
import dj_database_url

from .base import *  # noqa: F403
from .env import env, env_bool, env_int

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mcportal"),
        conn_max_age=0,
    )
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
if env_bool("MCPORTAL_TEST_REAL_CELERY", False):
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_TASK_EAGER_PROPAGATES = False
    # Short, so a message held by a killed worker is redelivered within the test's time.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("MCPORTAL_TEST_VISIBILITY_TIMEOUT", 3600),
    }
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MCPORTAL_PUBLIC_URL = "https://portal.test"
# A fixed, test-only key-encryption key: tests never create var/secrets/dev-kek.
MCPORTAL_KEY_ENCRYPTION_KEY = "test-only-key-encryption-key-0123456789abcdef"
DEBUG = False
