"""Public URLs of credentials: issuer DID documents and the portal's JSON-LD context."""
from django.urls import path

from . import views

app_name = "credentials"
urlpatterns = [
    path(".well-known/did.json", views.portal_did_document, name="portal-did-document"),
    path(
        "institutions/<slug:slug>/did.json",
        views.institution_did_document,
        name="institution-did-document",
    ),
    path("contexts/mcportal/v1.jsonld", views.mcportal_context, name="mcportal-context"),
    path(
        "status/<slug:institution>/<str:purpose>/<int:sequence>",
        views.status_list_document,
        name="status_list",
    ),
]
