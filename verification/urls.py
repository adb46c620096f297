"""Public verification URLs (no account needed)."""
from django.urls import path

from . import views

app_name = "verification"
urlpatterns = [
    path("v/<str:code>", views.credential_page, name="credential"),
    path("v/<str:code>.json", views.credential_report_json, name="credential-report"),
    path("v/<str:code>/credential.json", views.credential_download, name="credential-download"),
]
