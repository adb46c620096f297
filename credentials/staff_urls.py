"""URLs of the staff credential pages (issue per run, preview, batches, one credential and its
revoke/suspend/reinstate/reissue and PDF re-render, name changes), mounted at /staff/credentials/."""

from django.urls import path

from . import staff_views as views

app_name = "credentials_staff"

urlpatterns = [
    path("runs/<int:run_id>/", views.RunCredentialsView.as_view(), name="run"),
    path(
        "runs/<int:run_id>/enrolments/<int:enrollment_id>/preview/",
        views.CredentialPreviewView.as_view(),
        name="preview",
    ),
    path(
        "runs/<int:run_id>/enrolments/<int:enrollment_id>/issue/",
        views.CredentialIssueView.as_view(),
        name="issue",
    ),
    path("runs/<int:run_id>/batches/", views.BatchCreateView.as_view(), name="batch_create"),
    path("batches/<int:batch_id>/", views.BatchDetailView.as_view(), name="batch"),
    path("batches/<int:batch_id>/progress.json", views.BatchProgressView.as_view(), name="batch_progress"),
    path("batches/<int:batch_id>/retry/", views.BatchRetryView.as_view(), name="batch_retry"),
    path("credentials/<uuid:public_id>/", views.CredentialDetailView.as_view(), name="credential"),
    path(
        "credentials/<uuid:public_id>/pdf/render/",
        views.CredentialPdfRenderView.as_view(),
        name="credential_pdf_render",
    ),
    path(
        "credentials/<uuid:public_id>/<slug:action>/",
        views.CredentialActionView.as_view(),
        name="credential_action",
    ),
    path("name-changes/", views.NameChangeListView.as_view(), name="name_changes"),
    path("name-changes/<int:request_id>/", views.NameChangeDecideView.as_view(), name="name_change"),
]
