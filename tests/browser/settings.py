"""Settings of the portal and Celery worker processes that the browser tests start.

The test settings, plus what a separate process needs to be driven from a browser: the public URL
of the live server (links in e-mails, the QR code in PDFs), e-mails written as files to a folder
the test reads (the outbox), and static files served from the source tree (no collectstatic).
"""
from mcportal.settings.env import env
from mcportal.settings.test import *  # noqa: F403

MCPORTAL_PUBLIC_URL = env("MCPORTAL_BROWSER_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env("MCPORTAL_BROWSER_OUTBOX")
# WhiteNoise serves CSS and JS from the app and project static folders, as runserver would.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
