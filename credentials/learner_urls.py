"""URLs of the learner's credential pages, mounted at /learning/credentials/."""

from django.urls import path

from . import learner_views as views

app_name = "credentials_learner"

urlpatterns = [
    path("", views.CredentialListView.as_view(), name="list"),
    path(
        "<uuid:public_id>/credential.json", views.CredentialJsonDownloadView.as_view(), name="download_json"
    ),
    path("<uuid:public_id>/credential.pdf", views.CredentialPdfDownloadView.as_view(), name="download_pdf"),
    path("<uuid:public_id>/name-change/", views.NameChangeRequestView.as_view(), name="name_change"),
]
