"""WSGI entry point (gunicorn mcportal.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcportal.settings.production")

application = get_wsgi_application()
