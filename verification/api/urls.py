"""Verification API URLs, under /api/v1/."""
from django.urls import path

from .views import CredentialVerifyApi

urlpatterns = [
    path("credentials/verify", CredentialVerifyApi.as_view(), name="credentials-verify"),
]
