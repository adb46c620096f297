"""Every setting, read from the environment; with nothing set, the embedded default.

The embedded default needs only Python: a SQLite file under var/, Celery tasks run in-process
and a local-memory cache. DATABASE_URL (PostgreSQL) and REDIS_URL (Celery broker and cache)
switch to the production shape.
"""
from pathlib import Path

import dj_database_url

from .env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("MCPORTAL_VAR_DIR", str(BASE_DIR / "var")))

# A development-only key; production.py requires DJANGO_SECRET_KEY and has no default.
SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-development-key-never-used-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Public origin of the portal, used where an absolute URL must not depend on the request
# (QR codes, did:web identifiers, links in e-mails).
MCPORTAL_PUBLIC_URL = env("MCPORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
MCPORTAL_SITE_NAME = env("MCPORTAL_SITE_NAME", "mcportal")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "mcportal.core",
    "mcportal.accounts",
    "courses",
    "payments",
    "enrollment",
    "credentials",
    "verification",
    "checklist",
    "mcportal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mcportal.urls"
WSGI_APPLICATION = "mcportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mcportal.core.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'mcportal.sqlite3'}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads are small documents (logos, evidence, credentials to verify); refuse anything large.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mcportal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not bool(REDIS_URL or env("CELERY_BROKER_URL", ""))
CELERY_TASK_EAGER_PROPAGATES = CELERY_TASK_ALWAYS_EAGER
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"credentials.issuance_*": {"queue": "issuance"}}
CELERY_BEAT_SCHEDULE = {
    "issuance-batch-sweep": {"task": "credentials.issuance_batch_sweep", "schedule": 300.0},
    "payment-reconcile-pending": {"task": "payments.payment_reconcile_pending", "schedule": 3600.0},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "mcportal <no-reply@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "mcportal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mcportal.api.exceptions.problem_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "120/minute", "user": "600/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mcportal API",
    "DESCRIPTION": "Public catalogue, enrolments, credentials and verification of mcportal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# mcportal's own settings (read inside functions, never at import time, by the apps).
MCPORTAL_CATALOGUE_PAGE_SIZE = env_int("MCPORTAL_CATALOGUE_PAGE_SIZE", 12)
MCPORTAL_STARTING_SOON_DAYS = env_int("MCPORTAL_STARTING_SOON_DAYS", 60)
MCPORTAL_KEY_ENCRYPTION_KEY = env("MCPORTAL_KEY_ENCRYPTION_KEY", "")
MCPORTAL_TSA_URL = env("MCPORTAL_TSA_URL", "")
MCPORTAL_ISSUANCE_CHUNK_SIZE = env_int("MCPORTAL_ISSUANCE_CHUNK_SIZE", 50)
# Signed PDFs per render task of a batch (the signer is looked up once per task).
MCPORTAL_PDF_CHUNK_SIZE = env_int("MCPORTAL_PDF_CHUNK_SIZE", 10)
# Verification: uploads read at most this many bytes; requests per client IP per scope
# ("<count>/<second|minute|hour|day>", "off": no limit).
MCPORTAL_VERIFY_UPLOAD_MAX_BYTES = env_int("MCPORTAL_VERIFY_UPLOAD_MAX_BYTES", 2 * 1024 * 1024)
MCPORTAL_VERIFICATION_RATE_LIMITS = {
    "page": env("MCPORTAL_VERIFICATION_RATE_PAGE", "120/minute"),
    "file": env("MCPORTAL_VERIFICATION_RATE_FILE", "20/minute"),
    "api": env("MCPORTAL_VERIFICATION_RATE_API", "60/minute"),
}
# Reverse proxies in front of the portal that append the client to X-Forwarded-For: with N, the
# client is the Nth address from the right; 0 (no proxy) never reads the header, which a client
# could write itself.
MCPORTAL_TRUSTED_PROXY_COUNT = env_int("MCPORTAL_TRUSTED_PROXY_COUNT", 0)
# Payments: which providers buyers may choose (the first is the default), Stripe keys from env.
# The sandbox takes no money, so it is on by default only outside the production settings
# (check --deploy refuses it there: payments.E004).
MCPORTAL_PAYMENT_PROVIDERS = env_list(
    "MCPORTAL_PAYMENT_PROVIDERS",
    ["bank_transfer"]
    if env("DJANGO_SETTINGS_MODULE", "").endswith(".production")
    else ["sandbox", "bank_transfer"],
)
MCPORTAL_STRIPE_SECRET_KEY = env("MCPORTAL_STRIPE_SECRET_KEY", "")
MCPORTAL_STRIPE_WEBHOOK_SECRET = env("MCPORTAL_STRIPE_WEBHOOK_SECRET", "")
