"""Public verification URLs (no account needed)."""
from django.urls import path

from . import views

app_name = "verification"
urlpatterns = [
    path("v/<slug:code>", views.credential_page, name="credential"),
    path("v/<slug:code>.json", views.credential_report_json, name="credential-report"),
    path("v/<slug:code>/credential.json", views.credential_download, name="credential-download"),
    path("verify/", views.verify_file, name="verify-file"),
]
